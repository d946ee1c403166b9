"""The database itself refuses broken rows, whatever path they come by.

Each case stores a row through the ORM's save(), bypassing model validation, and the
database answers IntegrityError. The same rules are checked by full_clean(), so the
admin, the API and the loader report them as validation errors first.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalog.models import Source
from partners.models import Chip, Company, CompanyRole, Shareholding
from vehicles.models import (
    AllianceMembership,
    Delivery,
    DeliveryTotal,
    Partnership,
    VehicleModel,
    VehicleModelChip,
)

D = datetime.date
NEXT_YEAR = D(datetime.date.today().year + 1, 1, 1)

BROKEN_ROWS = {
    "duplicate slug": lambda w: Company(slug="huawei", name="Other", country="CN"),
    "empty slug": lambda w: Company(slug="", name="Nameless", country="CN"),
    "company without country": lambda w: Company(slug="x", name="X", country=""),
    "company its own parent": lambda w: _reparent(w.huawei, w.huawei),
    "founding year out of range": lambda w: Company(
        slug="x", name="X", country="CN", founded=20250
    ),
    "unknown company role": lambda w: CompanyRole(company=w.huawei, role="astronaut"),
    "duplicate company role": lambda w: CompanyRole(company=w.huawei, role="os_vendor"),
    "share above 100%": lambda w: Shareholding(
        slug="x", holder=w.seres, company=w.huawei, share_percent=101
    ),
    "company holding itself": lambda w: Shareholding(slug="x", holder=w.seres, company=w.seres),
    "source read before published": lambda w: Source(
        slug="x",
        title="t",
        publisher="p",
        url="https://example.org/x",
        published_on=D(2025, 5, 2),
        accessed_on=D(2025, 5, 1),
    ),
    "duplicate source URL": lambda w: Source(slug="x", title="t", publisher="p", url=w.src.url),
    "zero process node": lambda w: Chip(
        slug="x", name="X", designer=w.huawei, category="adas_soc", process_nm=0
    ),
    "negative TOPS": lambda w: Chip(
        slug="x", name="X", designer=w.huawei, category="adas_soc", ai_tops=-1
    ),
    "unknown chip category": lambda w: Chip(slug="x", name="X", designer=w.huawei, category="gpu"),
    "highest price below lowest": lambda w: VehicleModel(
        slug="x",
        brand=w.aito,
        name="X",
        powertrain="bev",
        price_min_cny=300000,
        price_max_cny=200000,
    ),
    "zero price": lambda w: VehicleModel(
        slug="x", brand=w.aito, name="X", powertrain="bev", price_min_cny=0
    ),
    "discontinued before launch": lambda w: VehicleModel(
        slug="x",
        brand=w.aito,
        name="X",
        powertrain="bev",
        launched_on=D(2024, 1, 1),
        discontinued_on=D(2023, 1, 1),
    ),
    "unknown powertrain": lambda w: VehicleModel(
        slug="x", brand=w.aito, name="X", powertrain="diesel"
    ),
    "same model name twice in a brand": lambda w: VehicleModel(
        slug="x", brand=w.aito, name="M5", powertrain="bev"
    ),
    "no chips fitted": lambda w: VehicleModelChip(
        vehicle_model=w.m5, chip=w.orin, role="adas", quantity=0
    ),
    "same chip fitted twice in a role": lambda w: VehicleModelChip(
        vehicle_model=w.m5, chip=w.kirin, role="cockpit"
    ),
    "partnership ends before it starts": lambda w: Partnership(
        slug="x",
        brand=w.aito,
        partner=w.nvidia,
        kind="chip",
        started_on=D(2024, 1, 1),
        ended_on=D(2023, 1, 1),
    ),
    "partnership with brand and group": lambda w: Partnership(
        slug="x", brand=w.aito, carmaker=w.seres, partner=w.nvidia, kind="chip"
    ),
    "partnership with neither brand nor group": lambda w: Partnership(
        slug="x", partner=w.nvidia, kind="chip"
    ),
    "membership left before joined": lambda w: AllianceMembership(
        slug="x", alliance=w.hima, brand=w.lynk, joined_on=D(2024, 1, 1), left_on=D(2023, 1, 1)
    ),
    "two open memberships": lambda w: AllianceMembership(
        slug="x", alliance=w.hima, brand=w.aito, joined_on=D(2022, 1, 1)
    ),
    "second alliance total for a month": lambda w: Delivery(
        slug="x", alliance=w.hima, month=D(2025, 11, 1), units=1
    ),
    "second brand figure in an alliance month": lambda w: Delivery(
        slug="x", alliance=w.hima, brand=w.aito, month=D(2025, 11, 1), units=1
    ),
    "second stand-alone brand figure": lambda w: _twice(
        lambda slug: Delivery(slug=slug, brand=w.lynk, month=D(2025, 11, 1), units=1)
    ),
    "delivery reported by nobody": lambda w: Delivery(slug="x", month=D(2025, 11, 1), units=1),
    "negative units": lambda w: Delivery(slug="x", brand=w.lynk, month=D(2025, 1, 1), units=-5),
    "future month": lambda w: Delivery(slug="x", brand=w.lynk, month=NEXT_YEAR, units=5),
    "month not on its first day": lambda w: Delivery(
        slug="x", brand=w.lynk, month=D(2025, 1, 15), units=5
    ),
    "period total of one month": lambda w: DeliveryTotal(
        slug="x", alliance=w.hima, first_month=D(2025, 1, 1), last_month=D(2025, 1, 1), units=5
    ),
    "period total ending in the future": lambda w: DeliveryTotal(
        slug="x", alliance=w.hima, first_month=D(2025, 1, 1), last_month=NEXT_YEAR, units=5
    ),
}


def _reparent(company, parent):
    company.parent = parent
    return company


def _twice(make):
    make("first").save()
    return make("second")


@pytest.mark.parametrize("case", BROKEN_ROWS)
def test_database_refuses_broken_row(world, case):
    with pytest.raises(IntegrityError), transaction.atomic():
        BROKEN_ROWS[case](world).save()


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("future month", "month"),
        ("month not on its first day", "month"),
        ("highest price below lowest", "__all__"),
        ("partnership ends before it starts", "ended_on"),
        ("share above 100%", "share_percent"),
        ("duplicate slug", "slug"),
        ("second alliance total for a month", "__all__"),
    ],
)
def test_model_validation_names_the_problem_before_the_database_does(world, case, field):
    with pytest.raises(ValidationError) as caught:
        BROKEN_ROWS[case](world).full_clean()
    assert field in caught.value.message_dict


def test_ownership_cycle_is_refused_by_validation(world):
    world.huawei.parent = world.yinwang
    with pytest.raises(ValidationError) as caught:
        world.huawei.full_clean()
    assert caught.value.message_dict == {"parent": ["This parent would make an ownership cycle."]}


def test_a_month_with_a_total_and_brand_figures_is_allowed(world):
    """An alliance total, its brands' figures and stand-alone brand figures coexist."""
    Delivery.objects.create(
        slug="lynk-co-2025-11", brand=world.lynk, month=D(2025, 11, 1), units=30000
    )
    assert sorted(Delivery.objects.filter(month=D(2025, 11, 1)).values_list("slug", "units")) == [
        ("hima-2025-11", 81864),
        ("hima-aito-2025-11", 51677),
        ("lynk-co-2025-11", 30000),
    ]
