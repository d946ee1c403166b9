"""Staff are given one of two ready-made groups: a delivery clerk enters figures; a
catalog editor adds and changes any fact; neither deletes."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from tests.test_admin import form_data
from vehicles.models import Delivery


def member_of(group_name, username="staff"):
    user = User.objects.create_user(username=username, password="pw-for-tests", is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return User.objects.get(pk=user.pk)


@pytest.mark.django_db
def test_the_groups_hold_exactly_the_documented_permissions():
    def codenames(name):
        return sorted(
            f"{p.content_type.app_label}.{p.codename}"
            for p in Group.objects.get(name=name).permissions.select_related("content_type")
        )

    assert codenames("delivery clerk") == [
        "catalog.add_source",
        "catalog.change_source",
        "catalog.view_changerecord",
        "catalog.view_source",
        "partners.view_alliance",
        "partners.view_company",
        "vehicles.add_delivery",
        "vehicles.add_deliverygap",
        "vehicles.add_deliverytotal",
        "vehicles.change_delivery",
        "vehicles.change_deliverygap",
        "vehicles.change_deliverytotal",
        "vehicles.view_alliancemembership",
        "vehicles.view_brand",
        "vehicles.view_delivery",
        "vehicles.view_deliverygap",
        "vehicles.view_deliverytotal",
    ]
    editor = codenames("catalog editor")
    assert len(editor) == 46
    assert not [name for name in editor if ".delete_" in name]


def test_a_delivery_clerk_enters_a_figure_but_not_a_brand(world, client):
    client.force_login(member_of("delivery clerk"))
    url = reverse("admin:vehicles_delivery_add")
    data = form_data(client.get(url))
    data.update(alliance=world.hima.pk, month="2025-09", units=52916, sources=[world.src.pk])
    assert client.post(url, data).status_code == 302
    assert Delivery.objects.get(slug="hima-2025-09").units == 52916
    group_lookup = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "vehicles", "model_name": "delivery", "field_name": "brand", "term": "AI"},
    )
    assert [item["text"] for item in group_lookup.json()["results"]] == ["AITO"]
    assert client.get(reverse("admin:vehicles_brand_add")).status_code == 403
    assert client.get(reverse("admin:vehicles_delivery_delete", args=[1])).status_code == 403


def test_a_catalog_editor_changes_a_brand_but_deletes_nothing(world, client):
    client.force_login(member_of("catalog editor"))
    assert client.get(reverse("admin:vehicles_brand_add")).status_code == 200
    delete = reverse("admin:vehicles_brand_delete", args=[world.lynk.pk])
    assert client.get(delete).status_code == 403
