"""A clerk imports large spreadsheets of monthly figures: a file costs the same number of
queries whatever its length, and each row is still held to every rule of the model,
including the rows of the same file and the stored rows it could clash with."""

import datetime
import itertools

import pytest
import tablib
from django.contrib.auth.models import Group, User
from django.db import connection, models
from django.db.models import Q, Value
from django.test.utils import CaptureQueriesContext

from catalog.models import ChangeRecord, Source
from catalog.validation import Unsupported, evaluate, field_values, referenced_names
from vehicles.models import (
    AllianceMembership,
    Delivery,
    DeliveryGap,
    DeliveryTotal,
    Partnership,
    VehicleModel,
)
from vehicles.resources import DeliveryResource

HEADERS = ["slug", "alliance", "brand", "month", "units", "precision", "sources"]
# Brand figures within the alliance (checked against the brand's membership and the
# reporter's gaps) and brand figures on their own, in turn.
REPORTERS = [("hima", "aito"), ("", "lynk-co"), ("", "luxeed")]


@pytest.fixture
def clerk(db):
    user = User.objects.create_user(username="clerk", password="pw-for-tests", is_staff=True)
    user.groups.add(Group.objects.get(name="delivery clerk"))
    return user


def month(index):
    """The index-th month from January 2022."""
    return datetime.date(2022 + index // 12, index % 12 + 1, 1)


def figures(count, units=1000):
    """A file of `count` figures, each reporter a month apart."""
    data = tablib.Dataset(headers=HEADERS)
    for index in range(count):
        alliance, brand = REPORTERS[index % len(REPORTERS)]
        data.append(
            [
                "",
                alliance,
                brand,
                f"{month(index // 3):%Y-%m}",
                units + index,
                "exact",
                "test-source",
            ]
        )
    return data


def run(data, clerk, *, dry_run, name="figures.csv"):
    """The import as the admin runs it: its result and the number of queries it sent."""
    with CaptureQueriesContext(connection) as queries:
        result = DeliveryResource().import_data(
            data, dry_run=dry_run, use_transactions=True, file_name=name, user=clerk
        )
    return {kind: count for kind, count in result.totals.items() if count}, len(queries)


def test_a_file_costs_the_same_queries_for_ten_rows_as_for_fifty(world, clerk):
    spent = {}
    for count in (10, 50):
        steps = {
            "preview": run(figures(count), clerk, dry_run=True),
            "import": run(figures(count), clerk, dry_run=False),
            "again": run(figures(count), clerk, dry_run=False),
            "corrected": run(figures(count, units=2000), clerk, dry_run=False),
        }
        assert {step: totals for step, (totals, _) in steps.items()} == {
            "preview": {"new": count},
            "import": {"new": count},
            "again": {"skip": count},
            "corrected": {"update": count},
        }
        spent[count] = {step: queries for step, (_, queries) in steps.items()}
        Delivery.objects.filter(month__lt="2025-01-01").delete()
    assert spent[10] == spent[50]


def test_a_large_file_is_stored_whole_with_its_history(world, clerk):
    assert run(figures(60), clerk, dry_run=False)[0] == {"new": 60}
    stored = Delivery.objects.filter(month__lt="2025-01-01")
    assert stored.count() == 60
    assert sorted(stored.values_list("slug", "units"))[:4] == [
        ("hima-aito-2022-01", 1000),
        ("hima-aito-2022-02", 1003),
        ("hima-aito-2022-03", 1006),
        ("hima-aito-2022-04", 1009),
    ]
    assert {tuple(d.sources.values_list("slug", flat=True)) for d in stored} == {("test-source",)}
    records = ChangeRecord.objects.filter(channel="import")
    assert records.count() == 60
    assert {(r.action, r.actor, r.actor_name, r.note) for r in records} == {
        ("created", clerk, "clerk", "figures.csv")
    }
    record = records.get(object_slug="lynk-co-2022-01")
    assert record.changed_fields == [
        "brand",
        "computed",
        "month",
        "precision",
        "slug",
        "sources",
        "units",
    ]
    assert Delivery.history.filter(history_change_reason="Imported from figures.csv").count() == 60

    data = figures(60)
    data[1] = ["", "", "lynk-co", "2022-01", 1111, "exact", ""]
    assert run(data, clerk, dry_run=False, name="fix.csv")[0] == {"update": 1, "skip": 59}
    record = ChangeRecord.objects.get(channel="import", note="fix.csv")
    assert (record.object_slug, record.action, record.changed_fields) == (
        "lynk-co-2022-01",
        "changed",
        ["sources", "units"],
    )
    assert list(Delivery.objects.get(slug="lynk-co-2022-01").sources.all()) == []


def preview_errors(data, clerk):
    result = DeliveryResource().import_data(data, dry_run=True, use_transactions=True, user=clerk)
    return [(row.number, row.error_dict) for row in result.invalid_rows]


def table(*rows):
    data = tablib.Dataset(headers=["slug", "alliance", "brand", "month", "units"])
    for row in rows:
        data.append(row)
    return data


def test_two_rows_with_their_own_slugs_for_one_month_are_refused(world, clerk):
    data = table(
        ["lynk-jan", "", "lynk-co", "2024-01", 10], ["lynk-jan-2", "", "lynk-co", "2024-01", 11]
    )
    assert preview_errors(data, clerk) == [
        (2, {"__all__": ["This brand already has a figure for this month."]})
    ]


def test_a_row_for_a_month_a_stored_figure_holds_is_refused(world, clerk):
    Delivery.objects.create(
        slug="lynk-co-2024-01", brand=world.lynk, month=datetime.date(2024, 1, 1), units=5
    )
    data = table(["lynk-january", "", "lynk-co", "2024-01", 10])
    assert preview_errors(data, clerk) == [
        (1, {"__all__": ["This brand already has a figure for this month."]})
    ]


def test_a_file_may_move_a_figure_and_fill_the_month_it_left(world, clerk):
    Delivery.objects.create(
        slug="lynk-co-early", brand=world.lynk, month=datetime.date(2024, 1, 1), units=5
    )
    data = table(["lynk-co-early", "", "lynk-co", "2023-12", 5], ["", "", "lynk-co", "2024-01", 7])
    assert run(data, clerk, dry_run=False)[0] == {"update": 1, "new": 1}
    assert sorted(
        Delivery.objects.filter(brand=world.lynk).values_list("slug", "month", "units")
    ) == [
        ("lynk-co-2024-01", datetime.date(2024, 1, 1), 7),
        ("lynk-co-early", datetime.date(2023, 12, 1), 5),
    ]


def test_a_file_may_shift_figures_each_into_the_month_the_one_before_left(world, clerk):
    for slug, month_index in (("later", 26), ("earlier", 24)):
        Delivery.objects.create(slug=slug, brand=world.lynk, month=month(month_index), units=5)
    data = table(
        ["earlier", "", "lynk-co", f"{month(25):%Y-%m}", 5],
        ["later", "", "lynk-co", f"{month(24):%Y-%m}", 5],
    )
    assert run(data, clerk, dry_run=False)[0] == {"update": 2}
    assert sorted(Delivery.objects.filter(brand=world.lynk).values_list("slug", "month")) == [
        ("earlier", datetime.date(2024, 2, 1)),
        ("later", datetime.date(2024, 1, 1)),
    ]


def test_rules_that_read_other_tables_hold_for_every_row(world, clerk):
    DeliveryGap.objects.create(
        slug="lynk-co-2024-02-gap",
        brand=world.lynk,
        month=datetime.date(2024, 2, 1),
        reason="not_published",
        note="Not in the monthly release.",
    )
    data = table(
        ["", "", "lynk-co", "2024-02", 10],
        ["", "hima", "luxeed", "2023-10", 11],
        ["", "hima", "luxeed", "2023-11", 12],
        ["", "hima", "lynk-co", "2024-03", 13],
    )
    assert preview_errors(data, clerk) == [
        (1, {"month": ["This month is recorded as a gap for this reporter: delete it first."]}),
        (
            2,
            {
                "brand": [
                    "Luxeed was not a member of Harmony Intelligent Mobility Alliance in "
                    "2023-10 (no membership in force that month): record the membership "
                    "first, or report the figure without the alliance."
                ]
            },
        ),
        (
            4,
            {
                "brand": [
                    "Lynk & Co was not a member of Harmony Intelligent Mobility Alliance in "
                    "2024-03 (no membership in force that month): record the membership "
                    "first, or report the figure without the alliance."
                ]
            },
        ),
    ]


def test_an_invalid_row_at_the_confirm_step_rolls_back_the_whole_file(world, clerk):
    before = Delivery.objects.count()
    data = table(["", "", "lynk-co", "2024-01", 10], ["", "", "lynk-co", "2024-02", -1])
    totals, _ = run(data, clerk, dry_run=False)
    assert totals == {"new": 1, "invalid": 1}
    assert Delivery.objects.count() == before
    assert not ChangeRecord.objects.filter(channel="import").exists()


# The values each kind of column is tried with: the edges of every rule, and empties.
SAMPLES = {
    models.DateField: [
        None,
        datetime.date(1899, 12, 31),
        datetime.date(1900, 1, 1),
        datetime.date(2024, 6, 1),
        datetime.date(2024, 6, 15),
        datetime.date(2099, 12, 31),
        datetime.date(2100, 1, 1),
    ],
    models.PositiveIntegerField: [None, -1, 0, 7],
    models.PositiveSmallIntegerField: [None, -1, 0, 7],
    models.DecimalField: [None, -1, 0, 7],
    models.BooleanField: [False, True],
    models.ForeignKey: [None, 1],
}


def samples(field):
    """Values to try in `field`; empty only where the column may be (a required field left
    empty is refused before any constraint is checked)."""
    kind = next((kind for kind in SAMPLES if isinstance(field, kind)), None)
    choices = [value for value, _ in field.choices or []][:3]
    values = SAMPLES[kind] if kind else [None, "", "x", *choices]
    return [value for value in values if value is not None or field.null]


@pytest.mark.parametrize(
    "model",
    [Delivery, DeliveryTotal, DeliveryGap, AllianceMembership, Partnership, VehicleModel, Source],
)
def test_python_reads_every_check_constraint_as_the_database_does(db, model):
    """catalog.validation evaluates check constraints without a query; for every value
    at the edge of each rule, it must agree with the database."""
    checked = 0
    for constraint in model._meta.constraints:
        if not isinstance(constraint, models.CheckConstraint):
            continue
        names = sorted(referenced_names(constraint.condition))
        fields = [model._meta.get_field(name) for name in names]
        for combination in itertools.product(*(samples(field) for field in fields)):
            values = field_values(model())
            values.update({f.attname: value for f, value in zip(fields, combination, strict=True)})
            against = {f.name: Value(values[f.attname], f) for f in model._meta.concrete_fields}
            database = Q(constraint.condition).check(against)
            try:
                python = evaluate(model, constraint.condition, values) is not False
            except Unsupported:
                continue  # left to the database
            assert python == database, (constraint.name, dict(zip(names, combination, strict=True)))
            checked += 1
    assert checked > 0
