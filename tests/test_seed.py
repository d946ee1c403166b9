"""The seed data: loaded from fixtures/, every fact sourced, loading twice changes nothing."""

import datetime
import textwrap

import pytest
from django.apps import apps
from django.core import serializers
from django.core.management import call_command

from catalog.models import CatalogEntry, Source
from partners.models import Chip, Company, DriverAssistStack, OperatingSystem
from vehicles.models import (
    AllianceMembership,
    Brand,
    Delivery,
    DeliveryGap,
    GapReason,
    Partnership,
    VehicleModel,
)
from vehicles.seed import SeedError, load_catalog

CATALOG_MODELS = [
    model
    for model in apps.get_models()
    if model._meta.app_label in {"catalog", "partners", "vehicles"}
    and not model.__name__.startswith("Historical")
]


def snapshot():
    """Every catalog row, serialized without timestamps."""
    rows = []
    for model in CATALOG_MODELS:
        for row in serializers.serialize("python", model.objects.order_by("pk")):
            row["fields"] = {
                k: v for k, v in row["fields"].items() if k not in {"created", "updated"}
            }
            rows.append(row)
    return rows


def test_loading_twice_leaves_exactly_the_same_rows(seeded):
    before = snapshot()
    history_before = sum(
        model.history.count() for model in CATALOG_MODELS if hasattr(model, "history")
    )
    stats = load_catalog()
    assert {section: dict(counts) for section, counts in stats.items()} == {
        section: {"unchanged": sum(counts.values())} for section, counts in seeded.items()
    }
    assert snapshot() == before
    history_after = sum(
        model.history.count() for model in CATALOG_MODELS if hasattr(model, "history")
    )
    assert history_after == history_before


def test_the_catalog_has_the_breadth_researchers_expect(seeded):
    automakers = Company.objects.filter(roles__role="automaker")
    others = Company.objects.exclude(roles__role="automaker")
    counts = {
        "carmaker groups": automakers.count(),
        "brands": Brand.objects.count(),
        "technology, chip and telecom companies": others.count(),
        "cockpit operating systems": OperatingSystem.objects.count(),
        "driver-assist stacks": DriverAssistStack.objects.count(),
        "chips": Chip.objects.count(),
        "vehicle models": VehicleModel.objects.count(),
        "partnerships": Partnership.objects.count(),
    }
    minimum = {
        "carmaker groups": 15,
        "brands": 35,
        "technology, chip and telecom companies": 25,
        "cockpit operating systems": 10,
        "driver-assist stacks": 12,
        "chips": 15,
        "vehicle models": 40,
        "partnerships": 30,
    }
    assert {k: v >= minimum[k] for k, v in counts.items()} == dict.fromkeys(counts, True), counts
    assert Partnership.objects.filter(kind="telecom").count() >= 3
    # Vehicle models carry their smart stack.
    assert VehicleModel.objects.filter(cockpit_os__isnull=False).count() >= 44
    assert VehicleModel.objects.filter(adas_stack__isnull=False).count() >= 50
    assert VehicleModel.objects.filter(chip_fittings__isnull=False).distinct().count() >= 40
    complete = VehicleModel.objects.filter(
        cockpit_os__isnull=False, adas_stack__isnull=False, chip_fittings__isnull=False
    )
    assert complete.distinct().count() >= 20


def test_hima_has_its_five_brands_and_monthly_deliveries(seeded):
    members = AllianceMembership.objects.filter(alliance__slug="hima").order_by(
        "joined_on", "brand__name"
    )
    assert [m.brand.slug for m in members] == ["aito", "luxeed", "stelato", "maextro", "shangjie"]
    assert all(m.joined_on for m in members)
    totals = Delivery.objects.filter(alliance__slug="hima", brand__isnull=True)
    assert totals.count() >= 8
    assert totals.get(month=datetime.date(2025, 11, 1)).units == 81864


def test_every_fact_cites_a_source(seeded):
    unsourced = {}
    for model in CATALOG_MODELS:
        if issubclass(model, CatalogEntry):
            missing = model.objects.filter(sources__isnull=True).values_list("slug", flat=True)
            if model is DeliveryGap:
                # "Nothing found" has no page to cite: its note lists the searches made.
                missing = missing.exclude(reason=GapReason.NOT_FOUND)
            if missing:
                unsourced[model.__name__] = list(missing)
    assert unsourced == {}
    assert not Source.objects.filter(url="").exists()


def test_a_bad_file_changes_nothing(db, tmp_path):
    good = tmp_path / "a.yaml"
    good.write_text(
        textwrap.dedent("""
        sources:
          - {slug: s, title: T, publisher: P, url: "https://example.org/s"}
        companies:
          - {slug: huawei, name: Huawei, country: CN, roles: [os_vendor], sources: [s]}
          - {slug: broken, name: Broken, country: CN, founded: 20250, sources: [s]}
    """)
    )
    with pytest.raises(SeedError, match=r"broken.*founded"):
        load_catalog([good])
    assert Company.objects.count() == 0
    assert Source.objects.count() == 0


def test_a_fact_without_a_source_is_refused(db, tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("companies:\n  - {slug: huawei, name: Huawei, country: CN}\n")
    with pytest.raises(SeedError, match="at least one source"):
        load_catalog([path])


def test_the_command_reports_what_it_did(db, capsys):
    call_command("load_catalog")
    call_command("load_catalog")
    out = capsys.readouterr().out
    assert "Loaded." in out
    last_run = out.split("Loaded.")[1]
    assert " 0 created" in last_run
    assert " 0 updated" in last_run
