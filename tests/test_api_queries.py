"""Every list runs the same number of queries for a few rows as for a dozen more (a query
per row would show with any number); every detail a constant."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Source
from partners.models import (
    Alliance,
    Chip,
    Company,
    DriverAssistStack,
    OperatingSystem,
    Shareholding,
)
from partners.services import set_company_roles
from vehicles.models import (
    AllianceMembership,
    Brand,
    Delivery,
    DeliveryTotal,
    Partnership,
    VehicleModel,
    VehicleModelChip,
)

RESOURCES = {
    "sources": Source,
    "companies": Company,
    "shareholdings": Shareholding,
    "operating-systems": OperatingSystem,
    "chips": Chip,
    "driver-assist-stacks": DriverAssistStack,
    "alliances": Alliance,
    "brands": Brand,
    "vehicle-models": VehicleModel,
    "partnerships": Partnership,
    "alliance-memberships": AllianceMembership,
    "deliveries": Delivery,
    "delivery-totals": DeliveryTotal,
}


# Rows of every resource added between the two reads of a list.
GROWTH = 12


def grow(world, count):
    """Add `count` rows of every resource, each with related rows and two sources."""
    for i in range(count):
        grow_from(world, i)


def grow_from(world, i):
    """Add row number `i` of every resource."""
    sources = [
        Source.objects.create(
            slug=f"s{i}-{k}", title=f"S {i}", publisher="P", url=f"https://example.org/{i}/{k}"
        )
        for k in range(2)
    ]
    company = Company.objects.create(slug=f"c{i}", name=f"C {i}", country="CN", parent=world.huawei)
    set_company_roles(company=company, roles=["tier1", "automaker"])
    os_ = OperatingSystem.objects.create(
        slug=f"os{i}", name=f"OS {i}", vendor=company, base="linux"
    )
    chip = Chip.objects.create(
        slug=f"chip{i}", name=f"Chip {i}", designer=company, foundry=world.tsmc, category="mcu"
    )
    stack = DriverAssistStack.objects.create(
        slug=f"st{i}", name=f"Stack {i}", vendor=company, level="L2"
    )
    stack.compute_chips.set([chip, world.orin])
    alliance = Alliance.objects.create(
        slug=f"al{i}", name=f"Alliance {i}", leader=company, kind="alliance"
    )
    brand = Brand.objects.create(slug=f"b{i}", name=f"Brand {i}", group=company)
    model = VehicleModel.objects.create(
        slug=f"vm{i}",
        brand=brand,
        name=f"Model {i}",
        powertrain="bev",
        cockpit_os=os_,
        adas_stack=stack,
    )
    VehicleModelChip.objects.create(vehicle_model=model, chip=chip, role="adas")
    VehicleModelChip.objects.create(vehicle_model=model, chip=world.kirin, role="cockpit")
    rows = [
        company,
        os_,
        chip,
        stack,
        alliance,
        brand,
        model,
        Shareholding.objects.create(slug=f"sh{i}", holder=world.seres, company=company),
        Partnership.objects.create(slug=f"p{i}", brand=brand, partner=world.huawei, kind="os"),
        AllianceMembership.objects.create(slug=f"m{i}", alliance=alliance, brand=brand),
        Delivery.objects.create(
            slug=f"d{i}",
            brand=brand,
            alliance=alliance,
            month=datetime.date(2025, 1, 1),
            units=i,
        ),
        DeliveryTotal.objects.create(
            slug=f"t{i}",
            brand=brand,
            first_month=datetime.date(2024, 1, 1),
            last_month=datetime.date(2024, 12, 1),
            units=i,
        ),
    ]
    for row in rows:
        row.sources.set(sources)


def queries_for(client, url):
    """(queries, response) of a request once the process has answered it before: a
    process reads a table's size for the counts once a minute on PostgreSQL (see
    catalog.pagination.small_table), not on every request."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured), response


@pytest.mark.parametrize("resource", RESOURCES)
def test_list_query_count_does_not_grow_with_the_page(world, client, resource):
    url = f"/api/v1/{resource}/?limit=1000"
    few, response = queries_for(client, url)
    small = response.json()["count"]
    grow(world, GROWTH)
    many, response = queries_for(client, url)
    assert response.json()["count"] >= small + GROWTH
    assert many == few, (
        f"{resource}: {few} queries for {small} rows, {many} for {response.json()['count']}"
    )


@pytest.mark.parametrize("resource", RESOURCES)
def test_detail_query_count_is_constant(world, client, resource):
    grow(world, 2)
    model = RESOURCES[resource]
    counts = {
        obj.slug: queries_for(client, f"/api/v1/{resource}/{obj.slug}/")[0]
        for obj in model.objects.order_by("pk")[:1]
    }
    rich = model.objects.order_by("-pk").first()
    counts[rich.slug] = queries_for(client, f"/api/v1/{resource}/{rich.slug}/")[0]
    assert len(set(counts.values())) == 1, counts
    assert max(counts.values()) <= 6, counts


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/brands/?chip_designer_country=US&alliance=hima&q=a",
        "/api/v1/vehicle-models/?group=seres&chip=kirin-990a&ordering=-launched_on",
        "/api/v1/partnerships/?active_on=2025-01-01&group=geely-holding",
    ],
)
def test_filtered_lists_stay_constant_too(world, client, url):
    few, _ = queries_for(client, url)
    grow(world, 20)
    many, _ = queries_for(client, url)
    assert many == few
