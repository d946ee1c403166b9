"""Staff deleting a row that other facts still link to are told what links to it, and
nothing is deleted: a cited source, a chip a driver-assist stack computes on."""

import pytest
from django.urls import reverse

from catalog.models import Source
from partners.models import Chip


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def protected_on_page(response):
    return [str(item) for item in response.context["protected"]]


def test_deleting_a_cited_source_lists_the_facts_citing_it(world, staff_client):
    url = reverse("admin:catalog_source_delete", args=[world.src.pk])
    response = staff_client.get(url)
    assert response.status_code == 200
    company = reverse("admin:partners_company_change", args=[world.huawei.pk])
    alliance = reverse("admin:partners_alliance_change", args=[world.hima.pk])
    delivery = world.hima.deliveries.get(slug="hima-2025-11")
    assert sorted(protected_on_page(response)) == sorted(
        [
            f'Company: <a href="{company}">Huawei</a>',
            f'Alliance: <a href="{alliance}">Harmony Intelligent Mobility Alliance</a>',
            f'Brand: <a href="{reverse("admin:vehicles_brand_change", args=[world.aito.pk])}">AITO</a>',
            f'Vehicle model: <a href="{reverse("admin:vehicles_vehiclemodel_change", args=[world.m5.pk])}">AITO M5</a>',
            f'Partnership: <a href="{reverse("admin:vehicles_partnership_change", args=[world.telecom.pk])}">Geely Holding - China Mobile (Telecom / connectivity)</a>',
            f'Alliance membership: <a href="{reverse("admin:vehicles_alliancemembership_change", args=[world.aito_hima.pk])}">AITO in Harmony Intelligent Mobility Alliance</a>',
            f'Delivery: <a href="{reverse("admin:vehicles_delivery_change", args=[delivery.pk])}">{delivery}</a>',
        ]
    )
    assert "Cannot delete source" in response.content.decode()

    response = staff_client.post(url, {"post": "yes"})
    assert response.status_code == 200
    assert Source.objects.filter(pk=world.src.pk).exists()
    assert world.huawei.sources.get() == world.src


def test_deleting_a_chip_a_stack_computes_on_names_the_stack(world, staff_client):
    url = reverse("admin:partners_chip_delete", args=[world.orin.pk])
    response = staff_client.get(url)
    stack = reverse("admin:partners_driverassiststack_change", args=[world.nop.pk])
    assert f'Driver-assist stack: <a href="{stack}">Orin Pilot</a>' in protected_on_page(response)
    staff_client.post(url, {"post": "yes"})
    assert Chip.objects.filter(pk=world.orin.pk).exists()
    assert list(world.nop.compute_chips.all()) == [world.orin]


def test_the_bulk_delete_action_refuses_a_cited_source(world, staff_client):
    unused = Source.objects.create(
        slug="unused", title="Unused", publisher="Nobody", url="https://example.org/unused"
    )
    response = staff_client.post(
        reverse("admin:catalog_source_changelist"),
        {"action": "delete_selected", "_selected_action": [world.src.pk, unused.pk], "post": "yes"},
    )
    assert response.status_code == 200
    assert "would require deleting the following protected related objects" in (
        response.content.decode()
    )
    assert Source.objects.filter(pk__in=[world.src.pk, unused.pk]).count() == 2


def test_an_unreferenced_source_is_deleted(world, staff_client):
    unused = Source.objects.create(
        slug="unused", title="Unused", publisher="Nobody", url="https://example.org/unused"
    )
    response = staff_client.post(
        reverse("admin:catalog_source_delete", args=[unused.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Source.objects.filter(pk=unused.pk).exists()
