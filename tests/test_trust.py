"""A researcher's and a partner app's trust: nothing is lost without a word, nothing sent is
silently ignored, every refusal names what is wrong and changes nothing."""

import datetime

import pytest
from django.apps import apps
from django.db import IntegrityError
from django.db.models import ProtectedError
from django.db.transaction import atomic

from catalog.models import ApiToken, ChangeRecord, Source
from partners.models import Chip
from tests.conftest import committed_document
from vehicles.models import AllianceMembership, Brand, Delivery


def row_counts():
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in {"catalog", "partners", "vehicles"}
    }


@pytest.fixture
def superuser_auth(db, django_user_model):
    user = django_user_model.objects.create_superuser("chief", "chief@example.org", "pw")
    _, raw = ApiToken.issue(user=user, name="tests")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def as_written(read):
    """What a client sends back after reading a resource: every field as it was read,
    relations written as their slugs (as the API takes them)."""

    def slug_of(value):
        if isinstance(value, dict) and "slug" in value:
            return value["slug"]
        if isinstance(value, dict):
            return {key: slug_of(item) for key, item in value.items()}
        if isinstance(value, list):
            return [slug_of(item) for item in value]
        return value

    return {name: slug_of(value) for name, value in read.items()}


def send(client, method, path, body, auth, **headers):
    return getattr(client, method)(path, body, content_type="application/json", **auth, **headers)


# -- 1. no silent loss on delete ----------------------------------------------------------


def test_deleting_a_cited_source_is_a_409_naming_the_citing_records(world, client, superuser_auth):
    before = row_counts()
    response = client.delete("/api/v1/sources/test-source/", **superuser_auth)
    assert response.status_code == 409
    body = response.json()
    assert (body["status"], body["code"], body["errors"]) == (409, "protected", {})
    assert body["detail"].startswith("Cannot delete source 'test-source': ")
    cited = {entry["type"]: entry for entry in body["references"]}
    # Every kind of fact citing it is named, with how many and the first slugs.
    assert (
        cited["vehicles.brand"]["slugs"]
        == sorted(Brand.objects.filter(sources__slug="test-source").values_list("slug", flat=True))[
            : len(cited["vehicles.brand"]["slugs"])
        ]
    )
    assert (
        cited["vehicles.delivery"]["count"]
        == Delivery.objects.filter(sources__slug="test-source").count()
    )
    assert row_counts() == before
    assert Source.objects.get(slug="test-source").cited_by_brand.count() > 0


def test_deleting_a_chip_a_stack_computes_on_is_a_409(world, client, superuser_auth):
    chip = Chip.objects.filter(driver_assist_stacks__isnull=False).first()
    stack = chip.driver_assist_stacks.first()
    # The chip is also fitted to vehicle models (a protected foreign key): both are named.
    response = client.delete(f"/api/v1/chips/{chip.slug}/", **superuser_auth)
    assert response.status_code == 409
    kinds = {entry["type"]: entry["slugs"] for entry in response.json()["references"]}
    assert stack.slug in kinds["partners.driverassiststack"]
    assert chip.driver_assist_stacks.filter(pk=stack.pk).exists()


def test_no_other_path_drops_a_many_to_many_link_either(world):
    """The restore command, the loader and the shell delete through the ORM: refused too."""
    with pytest.raises(ProtectedError, match="Cannot delete source 'test-source'"), atomic():
        Source.objects.get(slug="test-source").delete()
    with pytest.raises(ProtectedError), atomic():
        Source.objects.filter(slug="test-source").delete()
    assert Source.objects.filter(slug="test-source").exists()


# -- 2. no silently ignored input ---------------------------------------------------------


def test_a_misspelt_body_field_is_a_400_naming_it(world, client, superuser_auth):
    before = row_counts()
    response = send(
        client,
        "post",
        "/api/v1/brands/",
        {"name": "Onvo", "group": "seres", "headquaters": "Hefei"},
        superuser_auth,
    )
    assert response.status_code == 400
    [message] = response.json()["errors"]["headquaters"]
    assert message.startswith("Unknown field. Fields that can be written: ")
    assert "headquarters" in message
    assert row_counts() == before


def test_a_client_may_send_back_what_it_read_but_not_change_read_only_fields(
    world, client, superuser_auth
):
    read = client.get("/api/v1/brands/aito/").json()
    echoed = send(client, "put", "/api/v1/brands/aito/", as_written(read), superuser_auth)
    assert echoed.status_code == 200, echoed.json()
    changed = send(
        client,
        "patch",
        "/api/v1/brands/aito/",
        {"created": "2001-01-01T00:00:00Z", "url": "http://elsewhere/"},
        superuser_auth,
    )
    assert changed.status_code == 400
    assert changed.json()["errors"] == {
        "created": ["Read-only field: leave it out, or send it back unchanged."],
        "url": ["Read-only field: leave it out, or send it back unchanged."],
    }


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/brands/?limit=5&limit=10",
        "/api/v1/brands/?offset=0&offset=5",
        "/api/v1/partnerships/?active_on=2025-01-01&active_on=2025-06-01",
        "/api/v1/deliveries/?month__gte=2025-01&month__gte=2025-03",
        "/api/v1/brands/aito/stack/?as_of=2025-01-01&as_of=2025-02-01",
        "/api/v1/insights/deliveries/?period=month&period=year",
        "/api/v1/insights/deliveries/?group_by=brand&group_by=alliance",
        "/api/v1/insights/dependencies/?weight_to=2025-06&weight_to=2025-09",
        "/api/v1/insights/exposure/?country=US&month_from=2025-01&month_from=2025-02",
    ],
)
def test_a_parameter_that_takes_one_value_given_twice_is_a_400(world, client, query):
    response = client.get(query)
    assert response.status_code == 400, response.json()
    [(name, [message])] = response.json()["errors"].items()
    assert query.count(f"{name}=") == 2
    assert message == "Give this parameter once; it takes one value, not 2."


def test_an_order_of_several_terms_is_given_repeated_or_joined_by_commas(world, client):
    """The document declares `ordering` an exploded array, so a generated client repeats
    it: the same order as its terms joined by commas, on lists and exports alike."""
    for path in ("/api/v1/brands/", "/api/v1/brands/export/"):
        repeated = client.get(f"{path}?ordering=-launched&ordering=name&format=csv")
        joined = client.get(f"{path}?ordering=-launched,name&format=csv")
        assert repeated.status_code == joined.status_code == 200
        assert b"".join(repeated) == b"".join(joined)
    slugs = [
        b["slug"]
        for b in client.get("/api/v1/brands/?ordering=-launched&ordering=name").json()["results"]
    ]
    expected = Brand.objects.order_by("-launched", "name").values_list("slug", flat=True)
    assert slugs == list(expected)
    refused = client.get("/api/v1/brands/?ordering=name&ordering=-name")
    assert refused.json()["errors"] == {
        "ordering": [
            "Cannot order by name, -name. Accepted: slug, -slug, name, -name, launched, "
            "-launched, created, -created, updated, -updated."
        ]
    }


def test_a_repeatable_parameter_still_means_or(world, client):
    response = client.get("/api/v1/brands/?slug=aito&slug=luxeed")
    assert [brand["slug"] for brand in response.json()["results"]] == ["aito", "luxeed"]


@pytest.mark.parametrize(
    "endpoint",
    [
        "/api/v1/insights/deliveries/?alliance=hima",
        "/api/v1/insights/dependencies/?",
        "/api/v1/insights/exposure/?country=US",
        "/api/v1/insights/graph/?",
        "/api/v1/brands/aito/stack/?",
        "/api/v1/brands/aito/?",
    ],
)
@pytest.mark.parametrize("extra", ["limit=5", "offset=10", "ordering=name"])
def test_answers_that_are_not_paged_or_ordered_refuse_paging_and_ordering(
    world, client, endpoint, extra
):
    response = client.get(f"{endpoint}&{extra}")
    assert response.status_code == 400
    name = extra.split("=")[0]
    assert response.json()["errors"][name][0].startswith("Unknown query parameter. Accepted: ")


@pytest.mark.parametrize(
    ("query", "name", "message"),
    [
        (
            "/api/v1/deliveries/?month__gte=2025-06&month__lte=2025-01",
            "month__gte",
            "Reversed range: month__gte (2025-06-01) is after month__lte (2025-01-01); "
            "month__gte must be the earlier (or lower) end.",
        ),
        (
            "/api/v1/chips/?ai_tops__gt=500&ai_tops__lte=100",
            "ai_tops__gt",
            "Reversed range: ai_tops__gt (500) is after ai_tops__lte (100); "
            "ai_tops__gt must be the earlier (or lower) end.",
        ),
        (
            "/api/v1/insights/dependencies/?weight_from=2025-09&weight_to=2025-03",
            "weight_from",
            "Reversed range: weight_from (2025-09-01) is after weight_to (2025-03-01); "
            "weight_from must be the earlier (or lower) end.",
        ),
        (
            "/api/v1/insights/exposure/?country=US&month_from=2025-09&month_to=2025-03",
            "month_from",
            "Reversed range: month_from (2025-09-01) is after month_to (2025-03-01); "
            "month_from must be the earlier (or lower) end.",
        ),
    ],
)
def test_a_reversed_window_is_a_400_that_says_so(world, client, query, name, message):
    response = client.get(query)
    assert response.status_code == 400
    assert response.json()["errors"] == {name: [message]}


def test_a_reversed_period_in_a_body_names_its_end(world, client, superuser_auth):
    before = row_counts()
    response = send(
        client,
        "post",
        "/api/v1/delivery-totals/",
        {"alliance": "hima", "first_month": "2025-06", "last_month": "2025-01", "units": 5},
        superuser_auth,
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "last_month": [
            "Reversed period: last_month (2025-01) is before first_month (2025-06); "
            "give the earlier month first."
        ]
    }
    response = send(
        client,
        "patch",
        "/api/v1/partnerships/geely-china-mobile/",
        {"started_on": "2025-01-01", "ended_on": "2024-01-01"},
        superuser_auth,
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "ended_on": [
            "Reversed period: ended_on (2024-01-01) is before started_on (2025-01-01); "
            "ended_on must be on or after started_on."
        ]
    }
    assert row_counts() == before


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("/api/v1/deliveries/?month=2025-3", "month"),
        ("/api/v1/deliveries/?month=0001-01", "month"),
        ("/api/v1/brands/?launched=%2B2021", "launched"),
        ("/api/v1/brands/?launched=2_021", "launched"),
        ("/api/v1/brands/?launched=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%91", "launched"),
        ("/api/v1/brands/?launched=%D9%A2%D9%A0%D9%A2%D9%A1", "launched"),
        ("/api/v1/brands/?launched__gte=%202021", "launched__gte"),
        ("/api/v1/chips/?ai_tops=1e3", "ai_tops"),
        ("/api/v1/brands/?limit=%2B5", "limit"),
        ("/api/v1/brands/?ordering=name,,slug", "ordering"),
        ("/api/v1/brands/?ordering=name,name", "ordering"),
        ("/api/v1/brands/?ordering=--name", "ordering"),
        ("/api/v1/partnerships/?active_on=2025-6-30", "active_on"),
        ("/api/v1/partnerships/?active_on=1899-12-31", "active_on"),
    ],
)
def test_values_have_one_spelling_in_ascii_digits(world, client, query, name):
    response = client.get(query)
    assert response.status_code == 400, response.json()
    assert list(response.json()["errors"]) == [name]


def test_an_impossible_date_is_not_a_date(world, client):
    response = client.get("/api/v1/partnerships/?active_on=2025-02-30")
    assert response.json()["errors"] == {
        "active_on": ["'2025-02-30' is not a date: that day does not exist in the calendar."]
    }


def query_parameters(operation):
    """The names of an operation's query parameters in the committed document."""
    document = committed_document()
    for parameter in operation.get("parameters", []):
        while "$ref" in parameter:
            parameter = document["components"]["parameters"][parameter["$ref"].split("/")[-1]]
        if parameter["in"] == "query":
            yield parameter["name"]


LIST_OPERATIONS = sorted(
    (path, names)
    for path, operations in committed_document()["paths"].items()
    if "{" not in path and "get" in operations
    # ?format= is the content negotiation's (tests/test_negotiation.py)
    for names in [sorted(set(query_parameters(operations["get"])) - {"format"})]
    if names
)


@pytest.mark.parametrize("value", ["%s", "%(value)s", "100%"])
@pytest.mark.parametrize(("path", "names"), LIST_OPERATIONS, ids=[p for p, _ in LIST_OPERATIONS])
def test_a_value_with_percent_signs_is_refused_quoting_it_as_given(
    world, client, path, names, value
):
    """Every parameter of every list at once, given a value that reads as a placeholder to
    %-formatting: each refusal that quotes the value quotes it as sent, none is a 500."""
    response = client.get(path, dict.fromkeys(names, value))
    assert response.status_code == 400, response.content[:500]
    errors = response.json()["errors"]
    assert set(errors) <= set(names)
    for messages in errors.values():
        for message in messages:
            assert "%(" not in message.replace(value, "")


def test_a_quoted_value_is_shown_as_sent(world, client):
    response = client.get("/api/v1/alliance-memberships/", {"joined_on": "100%", "active_on": "%s"})
    assert response.json()["errors"] == {
        "active_on": ["Enter a date as YYYY-MM-DD, e.g. 2025-06-30; got '%s'."],
        "joined_on": ["Enter a date as YYYY-MM-DD, e.g. 2025-06-30; got '100%'."],
    }
    page = client.get("/dependencies/", {"active_on": "%(value)s"})
    assert page.status_code == 400
    assert "got &#x27;%(value)s&#x27;." in page.content.decode()


def test_bytes_that_are_not_utf8_are_a_400(world, client, superuser_auth):
    response = client.get("/api/v1/brands/?q=%FF%FE")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_encoding"
    before = row_counts()
    response = client.post(
        "/api/v1/sources/",
        b'{"title": "\xff\xfe", "publisher": "x", "link": "https://example.org/x"}',
        content_type="application/json",
        **superuser_auth,
    )
    assert response.status_code == 400
    assert "not valid utf-8" in response.json()["detail"].lower()
    assert row_counts() == before


def test_a_json_key_given_twice_is_a_400(world, client, superuser_auth):
    before = row_counts()
    response = client.post(
        "/api/v1/brands/",
        b'{"name": "Onvo", "group": "seres", "name": "Firefly"}',
        content_type="application/json",
        **superuser_auth,
    )
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "JSON object has the key 'name' more than once; give each field once."
    )
    assert row_counts() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("launched_on", "2025-3-01"),
        ("launched_on", "2025-02-30"),
        ("launched_on", "0001-01-01"),
        ("launched_on", "\uff12\uff10\uff12\uff15-\uff10\uff11-\uff10\uff11"),  # full-width
    ],
)
def test_body_dates_have_one_spelling_too(world, client, superuser_auth, field, value):
    response = send(
        client, "patch", "/api/v1/vehicle-models/aito-m5/", {field: value}, superuser_auth
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


# -- 3. errors name the right thing -------------------------------------------------------


def test_a_deal_without_a_carmaker_side_is_refused_on_those_fields(world, client, superuser_auth):
    response = send(
        client,
        "post",
        "/api/v1/partnerships/",
        {"partner": "huawei", "kind": "adas"},
        superuser_auth,
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "brand": ["Give brand or carmaker (a slug): one of them is required."],
        "carmaker": ["Give brand or carmaker (a slug): one of them is required."],
    }


def test_errors_and_the_change_log_use_the_api_names(world, client, superuser_auth):
    taken = Source.objects.get(slug="test-source").url
    response = send(
        client,
        "post",
        "/api/v1/sources/",
        {"title": "Copy", "publisher": "x", "link": taken},
        superuser_auth,
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["link"]
    send(
        client,
        "patch",
        "/api/v1/sources/test-source/",
        {"link": "https://example.org/moved"},
        superuser_auth,
    )
    change = client.get("/api/v1/changes/?object_type=catalog.source&limit=1").json()
    assert change["results"][0]["changed_fields"] == ["link"]


# -- 4. a write that changes nothing changes nothing --------------------------------------


@pytest.mark.parametrize("method", ["put", "patch"])
def test_a_write_of_the_stored_values_changes_nothing(world, client, superuser_auth, method):
    read = client.get("/api/v1/vehicle-models/aito-m5/")
    stored = read.json()
    brand = Brand.objects.get(slug="aito")
    history_rows = brand.vehicle_models.get(slug="aito-m5").history.count()
    changes = ChangeRecord.objects.count()
    body = (
        as_written(stored)
        if method == "put"
        else {"name": stored["name"], "sources": [s["slug"] for s in stored["sources"]]}
    )
    response = send(
        client,
        method,
        "/api/v1/vehicle-models/aito-m5/",
        body,
        superuser_auth,
        HTTP_IF_MATCH=read["ETag"],
    )
    assert response.status_code == 200, response.json()
    assert response["ETag"] == read["ETag"]
    assert response.json()["updated"] == stored["updated"]
    assert ChangeRecord.objects.count() == changes
    assert brand.vehicle_models.get(slug="aito-m5").history.count() == history_rows


# -- 6. domain rules ----------------------------------------------------------------------


def test_a_membership_cannot_start_before_its_alliance(world, client, superuser_auth):
    response = send(
        client,
        "post",
        "/api/v1/alliance-memberships/",
        {"alliance": "hima", "brand": "lynk-co", "joined_on": "2020-01-01"},
        superuser_auth,
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "joined_on": [
            "Harmony Intelligent Mobility Alliance was founded on 2021-12-01; a membership "
            "cannot start before its alliance."
        ]
    }
    assert not AllianceMembership.objects.filter(brand__slug="lynk-co").exists()


def test_a_brand_figure_within_an_alliance_needs_a_membership_that_month(
    world, client, superuser_auth
):
    response = send(
        client,
        "post",
        "/api/v1/deliveries/",
        {"alliance": "hima", "brand": "lynk-co", "month": "2025-05", "units": 10},
        superuser_auth,
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "brand": [
            "Lynk & Co was not a member of Harmony Intelligent Mobility Alliance in 2025-05 "
            "(no membership in force that month): record the membership first, or report "
            "the figure without the alliance."
        ]
    }
    ok = send(
        client,
        "post",
        "/api/v1/deliveries/",
        {"alliance": "hima", "brand": "luxeed", "month": "2025-05", "units": 10},
        superuser_auth,
    )
    assert ok.status_code == 201, ok.json()


# -- dates stay in the catalog's range, on every path -------------------------------------


def test_the_database_refuses_a_date_outside_the_catalogs_range(world):
    """Even a write that skips validation (a bulk update) cannot store the year 1, which
    would make every monthly series span two thousand years."""
    with pytest.raises(IntegrityError), atomic():
        Delivery.objects.filter(slug="hima-2025-10").update(month=datetime.date(1, 1, 1))
    assert Delivery.objects.get(slug="hima-2025-10").month == datetime.date(2025, 10, 1)


@pytest.mark.parametrize("month", ["0001-01", "0000-01", "1899-12", "2100-01"])
def test_a_month_outside_the_range_is_refused_by_the_api(world, client, superuser_auth, month):
    before = row_counts()
    response = send(
        client,
        "post",
        "/api/v1/deliveries/",
        {"alliance": "hima", "month": month, "units": 1},
        superuser_auth,
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "month": [
            f"'{month}' is outside the catalog's range: give a month from 1900-01 to 2099-12."
        ]
    }
    assert row_counts() == before


MONTH_FILTERS = [
    (path, name)
    for path, names in LIST_OPERATIONS
    for name in names
    if name.partition("__")[0] in {"month", "first_month", "last_month"}
]


@pytest.mark.parametrize(("path", "name"), MONTH_FILTERS)
def test_every_month_filter_refuses_the_year_0_as_outside_the_range(world, client, path, name):
    response = client.get(path, {name: "0000-01"})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        name: ["'0000-01' is outside the catalog's range: give a month from 1900-01 to 2099-12."]
    }


@pytest.mark.parametrize("query", ["q=", "q=%20", "q=%09", "name__ic=%20", "slug=aito&slug=%20"])
def test_a_blank_value_is_refused_like_an_empty_one_search_included(world, client, query):
    """An empty search matched every row, silently; spaces alone read as Django's 'This
    field is required.' though the parameter was given."""
    response = client.get(f"/api/v1/brands/?{query}")
    assert response.status_code == 400
    name = query.split("=")[0]
    assert response.json()["errors"] == {name: ["Give a value, or leave the parameter out."]}


@pytest.mark.parametrize(
    "value",
    [
        "25_0000",
        "\uff12\uff15\uff10\uff10\uff10\uff10",  # full-width
        "\u0662\u0665\u0660\u0660\u0660\u0660",  # Arabic-Indic
        "%20250000%20",
        "+250000",
    ],
)
def test_a_price_is_written_in_ascii_digits_alone(world, client, value):
    """price_cny read 25_0000, full-width and Arabic-Indic digits and spaces as 250000,
    as Python's int() does; every other whole number takes ASCII digits alone."""
    response = client.get(f"/api/v1/vehicle-models/?price_cny={value}")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "price_cny": [
            "Enter a whole number in ASCII digits, e.g. 2021 (no sign, spaces or separators)."
        ]
    }
