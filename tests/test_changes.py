"""Every change leaves a trace: who, when, through what, and which fields."""

import pytest
import yaml
from django.urls import reverse

from catalog.models import ApiToken, ChangeRecord, Source
from tests.conftest import user_with
from vehicles.seed import load_catalog


@pytest.fixture
def editor_auth(db):
    _, raw = ApiToken.issue(
        user=user_with("vehicles.change_brand", "vehicles.add_brand", username="ana"), name="t"
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def changes(client, query=""):
    response = client.get(f"/api/v1/changes/?{query}")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_an_api_change_is_recorded_with_its_actor_and_fields(world, client, editor_auth):
    ChangeRecord.objects.all().delete()
    response = client.patch(
        "/api/v1/brands/aito/",
        {"headquarters": "Chongqing", "launched": 2019},
        content_type="application/json",
        **editor_auth,
    )
    assert response.status_code == 200
    [change] = changes(client)
    assert change["object_type"] == "vehicles.brand"
    assert change["object"] == {
        "slug": "aito",
        "name": "AITO",
        "url": "http://testserver/api/v1/brands/aito/",
    }
    assert (change["action"], change["channel"], change["actor"]) == ("changed", "api", "ana")
    assert change["changed_fields"] == ["headquarters", "launched"]


def test_creates_and_deletes_are_recorded(world, client, editor_auth):
    ChangeRecord.objects.all().delete()
    client.post(
        "/api/v1/brands/",
        {"name": "Onvo", "group": "seres"},
        content_type="application/json",
        **editor_auth,
    )
    world.lynk.partnerships.all().delete()
    created = changes(client, "action=created")
    assert [(c["object"]["slug"], c["actor"]) for c in created] == [("onvo", "ana")]
    assert "group" in created[0]["changed_fields"]
    deleted = changes(client, "action=deleted&object_type=vehicles.partnership")
    assert [(c["object"]["slug"], c["channel"], c["object"]["url"]) for c in deleted] == [
        ("lynk-co-nvidia", "other", None)
    ]


def test_an_admin_change_names_the_staff_user(world, client, admin_user):
    ChangeRecord.objects.all().delete()
    client.force_login(admin_user)
    url = reverse(
        "admin:vehicles_delivery_change", args=[world.hima.deliveries.get(month__month=10).pk]
    )
    page = client.get(url)
    data = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None}
    data.update(units=68217, sources=[], month="2025-10", alliance=world.hima.pk)
    data.pop("brand", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    [change] = changes(client, "channel=admin")
    assert (change["actor"], change["changed_fields"]) == ("admin", ["units"])


def test_the_loader_is_an_actor_and_reloading_adds_nothing(db, client):
    load_catalog()
    loaded = ChangeRecord.objects.filter(channel="loader")
    count = loaded.count()
    assert count > 500
    assert set(loaded.values_list("actor_name", flat=True)) == {"loader"}
    load_catalog()
    assert ChangeRecord.objects.count() == count


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("object_type=vehicles.spaceship", "object_type"),
        ("at__gte=yesterday", "at__gte"),
        ("who=me", "who"),
    ],
)
def test_change_filters_are_strict(world, client, query, param):
    response = client.get(f"/api/v1/changes/?{query}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [param]


def test_changes_filter_by_object_actor_and_time(world, client, editor_auth):
    client.patch(
        "/api/v1/brands/luxeed/", {"launched": 2024}, content_type="application/json", **editor_auth
    )
    assert [c["object"]["slug"] for c in changes(client, "actor=ana")] == ["luxeed"]
    assert [c["action"] for c in changes(client, "object=luxeed")] == ["changed", "created"]
    assert changes(client, "at__gte=2100-01-01") == []


def test_changes_are_read_only_even_for_a_superuser(world, client, admin_user):
    _, raw = ApiToken.issue(user=admin_user, name="root")
    before = ChangeRecord.objects.count()
    response = client.post(
        "/api/v1/changes/", {}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert response.status_code == 405
    assert ChangeRecord.objects.count() == before


def test_the_change_log_query_count_does_not_grow(world, client):
    from tests.test_api_queries import grow, queries_for

    few, _ = queries_for(client, "/api/v1/changes/?limit=1000")
    grow(world, 30)
    many, response = queries_for(client, "/api/v1/changes/?limit=1000")
    assert response.json()["count"] > 300
    assert many == few


def test_a_change_to_sources_alone_is_recorded_as_such(world, client, editor_auth):
    ChangeRecord.objects.all().delete()
    Source.objects.create(
        slug="second-source", title="AITO", publisher="Example", url="https://example.org/aito"
    )
    response = client.patch(
        "/api/v1/brands/aito/",
        {"sources": ["test-source", "second-source"]},
        content_type="application/json",
        **editor_auth,
    )
    assert response.status_code == 200, response.content
    [change] = changes(client, "object_type=vehicles.brand")
    assert (change["action"], change["changed_fields"]) == ("changed", ["sources"])

    # Giving the same sources again changes nothing, so nothing is recorded.
    again = client.patch(
        "/api/v1/brands/aito/",
        {"sources": ["second-source", "test-source"]},
        content_type="application/json",
        **editor_auth,
    )
    assert again.status_code == 200
    assert [c["changed_fields"] for c in changes(client, "object_type=vehicles.brand")] == [
        ["sources"]
    ]


def test_roles_and_chips_written_through_the_api_are_named(world, client):
    ChangeRecord.objects.all().delete()
    _, raw = ApiToken.issue(
        user=user_with("partners.change_company", "vehicles.change_vehiclemodel"), name="t"
    )
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    response = client.patch(
        "/api/v1/companies/seres/",
        {"roles": ["automaker", "tier1"]},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 200, response.content
    response = client.patch(
        "/api/v1/vehicle-models/aito-m5/",
        {"chips": [{"chip": "orin-x", "role": "adas", "quantity": 2}]},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 200, response.content
    named = {
        c["object"]["slug"]: c["changed_fields"]
        for c in changes(client, "action=changed")
        if c["object_type"] != "vehicles.vehiclemodelchip"
    }
    assert named == {"seres": ["roles"], "aito-m5": ["chips"]}


def test_the_loader_records_a_change_to_sources_or_roles(db, tmp_path):
    def write(sources, roles):
        (tmp_path / "catalog.yaml").write_text(
            yaml.safe_dump(
                {
                    "sources": [
                        {
                            "slug": "one",
                            "title": "One",
                            "publisher": "P",
                            "url": "https://a.example/1",
                        },
                        {
                            "slug": "two",
                            "title": "Two",
                            "publisher": "P",
                            "url": "https://a.example/2",
                        },
                    ],
                    "companies": [
                        {
                            "slug": "seres",
                            "name": "Seres",
                            "country": "CN",
                            "roles": roles,
                            "sources": sources,
                        }
                    ],
                }
            )
        )
        load_catalog([tmp_path / "catalog.yaml"])

    write(["one"], ["automaker"])
    [created] = ChangeRecord.objects.filter(object_slug="seres")
    assert {"roles", "sources"} <= set(created.changed_fields)

    write(["one", "two"], ["automaker", "tier1"])
    latest = ChangeRecord.objects.filter(object_slug="seres").order_by("-id")
    assert latest.count() == 2
    assert (latest[0].action, latest[0].channel, latest[0].changed_fields) == (
        "changed",
        "loader",
        ["roles", "sources"],
    )

    write(["one", "two"], ["automaker", "tier1"])
    assert ChangeRecord.objects.filter(object_slug="seres").count() == 2
