"""Every admin page costs the same number of queries however much data it shows: an
alliance with many members, a brand with many models and deals, a model with many
chips, long lists. (The alliance page used to run one query per delivery ever
recorded, about 150 for HIMA.)"""

import datetime

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Source
from partners.models import Chip, Company, Shareholding
from vehicles.models import (
    AllianceMembership,
    Brand,
    Delivery,
    DeliveryTotal,
    Partnership,
    VehicleModel,
    VehicleModelChip,
)

CATALOG_APPS = {"catalog", "partners", "vehicles"}


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def pages(world):
    """(name, URL) of every list, add and change page, the change page of the row with
    the most on it where there is a choice."""
    chosen = {
        "alliance": world.hima,
        "brand": world.aito,
        "company": world.yinwang,
        "vehiclemodel": world.m5,
        "source": world.src,
    }
    found = []
    for model in admin.site._registry:
        opts = model._meta
        if opts.app_label not in CATALOG_APPS:
            continue
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        found.append((f"{opts.model_name} list", reverse(f"{prefix}_changelist")))
        found.append((f"{opts.model_name} add", reverse(f"{prefix}_add")))
        obj = chosen.get(opts.model_name) or model.objects.order_by("pk").first()
        if obj is not None:
            found.append((f"{opts.model_name} page", reverse(f"{prefix}_change", args=[obj.pk])))
    return sorted(found)


def query_counts(client, urls):
    counts = {}
    for name, url in urls:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code in (200, 403), (name, response.status_code)
        counts[name] = len(queries)
    return counts


def grow(world, first, last):
    """More of everything each page shows (rows numbered first..last-1): members,
    figures, models, deals, chips, shareholders, each citing two sources."""
    for i in range(first, last):
        source = Source.objects.create(
            slug=f"extra-{i}", title=f"Extra {i}", publisher="Press", url=f"https://example.org/{i}"
        )
        cited = [world.src, source]
        brand = Brand.objects.create(slug=f"brand-{i}", name=f"Brand {i}", group=world.seres)
        brand.sources.set(cited)
        member = AllianceMembership.objects.create(
            slug=f"hima-brand-{i}",
            alliance=world.hima,
            brand=brand,
            joined_on=datetime.date(2024, 1, 1),
        )
        member.sources.set(cited)
        month = datetime.date(2025, 1 + i, 1)
        figure = Delivery.objects.create(
            slug=f"hima-brand-{i}-{month:%Y-%m}",
            alliance=world.hima,
            brand=brand,
            month=month,
            units=1000 + i,
        )
        figure.sources.set(cited)
        DeliveryTotal.objects.create(
            slug=f"brand-{i}-2024",
            brand=brand,
            first_month=datetime.date(2024, 1, 1),
            last_month=datetime.date(2024, 12, 1),
            units=10_000 + i,
        )
        chip = Chip.objects.create(
            slug=f"chip-{i}", name=f"Chip {i}", designer=world.huawei, category="adas_soc"
        )
        fitting = VehicleModelChip.objects.create(vehicle_model=world.m5, chip=chip, role="adas")
        fitting.sources.set(cited)
        model = VehicleModel.objects.create(
            slug=f"aito-x{i}", brand=world.aito, name=f"X{i}", powertrain="bev"
        )
        model.sources.set(cited)
        deal = Partnership.objects.create(
            slug=f"aito-chip-{i}", brand=world.aito, partner=world.nvidia, kind="chip"
        )
        deal.sources.set(cited)
        holder = Company.objects.create(slug=f"fund-{i}", name=f"Fund {i}", country="CN")
        stake = Shareholding.objects.create(
            slug=f"fund-{i}-yinwang", holder=holder, company=world.yinwang, share_percent=1
        )
        stake.sources.set(cited)


def test_every_admin_page_costs_the_same_queries_with_five_times_more_on_it(world, staff_client):
    grow(world, 0, 2)
    urls = pages(world)
    query_counts(staff_client, urls)  # caches that fill once per process (content types)
    before = query_counts(staff_client, urls)
    grow(world, 2, 10)
    assert query_counts(staff_client, urls) == before


def test_the_alliance_page_links_to_its_figures_instead_of_listing_them(world, staff_client):
    grow(world, 0, 6)
    url = reverse("admin:partners_alliance_change", args=[world.hima.pk])
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(url)
    assert len(queries) <= 15
    page = response.content.decode()
    deliveries = reverse("admin:vehicles_delivery_changelist")
    add = reverse("admin:vehicles_delivery_add")
    assert (
        f'<a href="{deliveries}?alliance__id__exact={world.hima.pk}">10 deliveries</a> · '
        f'<a href="{add}?alliance={world.hima.pk}">add a delivery</a>'
    ) in page
    assert "deliveries-TOTAL_FORMS" not in page
