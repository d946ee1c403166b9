"""Loading the sourced seed data in fixtures/*.yaml.

The format is described in fixtures/FORMAT.md. Records are matched by slug; a record
whose fields already match is left untouched (no write, no history row), so loading the
same files twice leaves exactly the same rows. Every row goes through the model's
validation (full_clean) and the database constraints, all in one transaction: a bad
file changes nothing.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import models, transaction

from catalog.docs import read_yaml
from catalog.history import LOADER_REASON as CHANGE_REASON
from catalog.models import Source
from catalog.services import set_related
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
    DeliveryGap,
    DeliveryTotal,
    GapReason,
    Partnership,
    VehicleModel,
    check_chips_or_reason,
)
from vehicles.services import set_vehicle_model_chips

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures"


class SeedError(Exception):
    """The seed files are inconsistent; the message says where and why."""


@dataclass(frozen=True)
class Section:
    """How one fixtures section maps onto a model."""

    name: str
    model: type[models.Model]
    relations: dict = field(default_factory=dict)  # field -> related model, by slug
    many: dict = field(default_factory=dict)  # m2m field -> related model, by slug
    months: tuple = ()  # fields written as YYYY-MM


SECTIONS = [
    Section("sources", Source),
    Section("companies", Company, relations={"parent": Company}),
    Section("shareholdings", Shareholding, relations={"holder": Company, "company": Company}),
    Section("operating_systems", OperatingSystem, relations={"vendor": Company}),
    Section("chips", Chip, relations={"designer": Company, "foundry": Company}),
    Section(
        "driver_assist_stacks",
        DriverAssistStack,
        relations={"vendor": Company},
        many={"compute_chips": Chip},
    ),
    Section("alliances", Alliance, relations={"leader": Company}),
    Section("brands", Brand, relations={"group": Company}),
    Section(
        "vehicle_models",
        VehicleModel,
        relations={
            "brand": Brand,
            "cockpit_os": OperatingSystem,
            "adas_stack": DriverAssistStack,
        },
    ),
    Section(
        "partnerships",
        Partnership,
        relations={"brand": Brand, "carmaker": Company, "partner": Company},
    ),
    Section(
        "alliance_memberships", AllianceMembership, relations={"alliance": Alliance, "brand": Brand}
    ),
    Section(
        "deliveries", Delivery, relations={"alliance": Alliance, "brand": Brand}, months=("month",)
    ),
    Section(
        "delivery_gaps",
        DeliveryGap,
        relations={"alliance": Alliance, "brand": Brand},
        months=("month",),
    ),
    Section(
        "delivery_totals",
        DeliveryTotal,
        relations={"alliance": Alliance, "brand": Brand},
        months=("first_month", "last_month"),
    ),
]
SECTIONS_BY_NAME = {section.name: section for section in SECTIONS}
# Sections whose slug may be omitted: the model makes it (make_slug), as the API does.
KEYED_BY_MONTH = {"deliveries": Delivery, "delivery_gaps": DeliveryGap}
# Keys handled beside the model's own fields.
SPECIAL_KEYS = {"sources", "roles", "chips"}


def parse_month(value, where):
    """'2025-11' (or a date) -> date(2025, 11, 1)."""
    if isinstance(value, datetime.date):
        return value.replace(day=1)
    try:
        return datetime.datetime.strptime(str(value), "%Y-%m").date()
    except ValueError:
        raise SeedError(f"{where}: {value!r} is not a month written YYYY-MM") from None


def read_fixtures(paths):
    """Merge the sections of every file; a slug defined twice (differently) is an error."""
    merged = defaultdict(dict)
    origin = {}
    for path in paths:
        data = read_yaml(Path(path).read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise SeedError(f"{path}: the top level must be a mapping of sections")
        for name, records in data.items():
            if name not in SECTIONS_BY_NAME:
                raise SeedError(
                    f"{path}: unknown section {name!r}; known: {', '.join(SECTIONS_BY_NAME)}"
                )
            for record in records or []:
                if name in KEYED_BY_MONTH and "slug" not in record:
                    record = {**record, "slug": None}
                slug = record.get("slug")
                key = (
                    slug
                    if slug
                    else (record.get("alliance"), record.get("brand"), str(record.get("month")))
                )
                if key in merged[name] and merged[name][key] != record:
                    raise SeedError(
                        f"{path}: {name} {key!r} is also defined differently in {origin[(name, key)]}"
                    )
                merged[name][key] = record
                origin[(name, key)] = path
    return {name: list(records.values()) for name, records in merged.items()}


# Slugs read per query when a section's stored rows are read at once.
STORED_BATCH = 500


class Loader:
    """Applies merged fixture records to the database, writing only what differs."""

    def __init__(self):
        self.stats = defaultdict(Counter)
        self.cache = defaultdict(dict)
        self.stored = defaultdict(dict)  # model -> {slug: stored row or None}

    def lookup(self, model, slug, where):
        if slug is None:
            return None
        if slug not in self.cache[model]:
            try:
                self.cache[model][slug] = model.objects.get(slug=slug)
            except model.DoesNotExist:
                raise SeedError(
                    f"{where}: no {model._meta.verbose_name} with slug {slug!r}"
                ) from None
        return self.cache[model][slug]

    def lookup_many(self, model, slugs, where):
        return [self.lookup(model, slug, where) for slug in slugs or []]

    def load(self, data):
        for section in SECTIONS:
            records = data.get(section.name, [])
            self.read_stored(section.model, [record.get("slug") for record in records])
            for record in records:
                self.load_record(section, dict(record))
        return self.stats

    def read_stored(self, model, slugs):
        """Read the stored rows of these slugs at once (None for each not stored yet)."""
        slugs = [slug for slug in slugs if slug]
        stored = self.stored[model]
        for start in range(0, len(slugs), STORED_BATCH):
            batch = slugs[start : start + STORED_BATCH]
            stored.update(dict.fromkeys(batch))
            stored.update({row.slug: row for row in model.objects.filter(slug__in=batch)})

    def stored_row(self, model, slug):
        """The stored row with this slug, or None."""
        if slug in self.stored[model]:
            return self.stored[model][slug]
        return model.objects.filter(slug=slug).first()

    def load_record(self, section, record):
        model = section.model
        where = f"{section.name} {record.get('slug') or record}"
        sources = record.pop("sources", None)
        # A gap no source explains ("not found") has its searches in its note instead.
        unsourced_gap = model is DeliveryGap and record.get("reason") == GapReason.NOT_FOUND
        if model is not Source and not sources and not unsourced_gap:
            raise SeedError(f"{where}: every fact needs at least one source")
        roles = record.pop("roles", None)
        chips = record.pop("chips", None)
        try:
            check_chips_or_reason(has_chips=bool(chips), chips_unknown=record.get("chips_unknown"))
        except ValidationError as error:
            raise SeedError(f"{where}: {error.message_dict}") from None

        values = {}
        for key, value in record.items():
            if key in section.relations:
                values[key] = self.lookup(section.relations[key], value, where)
            elif key in section.many:
                continue
            elif key in section.months:
                values[key] = parse_month(value, where)
            else:
                try:
                    model_field = model._meta.get_field(key)
                except Exception:
                    raise SeedError(f"{where}: {model.__name__} has no field {key!r}") from None
                if isinstance(model_field, models.DecimalField) and value is not None:
                    value = Decimal(str(value))
                values[key] = value
        if model in KEYED_BY_MONTH.values() and not values.get("slug"):
            values["slug"] = model.make_slug(values)

        instance = self.stored_row(model, values["slug"])
        created = instance is None
        if created:
            instance = model()
        for name, value in values.items():
            # An omitted text field is stored as "", Django's empty value for text.
            if value is None and not model._meta.get_field(name).null:
                values[name] = ""
        changed = [name for name, value in values.items() if getattr(instance, name, None) != value]
        for name in changed:
            setattr(instance, name, values[name])
        if changed:
            try:
                instance.full_clean()
            except ValidationError as error:
                raise SeedError(f"{where}: {error.message_dict}") from None
            instance._change_reason = CHANGE_REASON
            instance.save()
        self.cache[model][instance.slug] = instance

        wanted = {
            name: self.lookup_many(related_model, record[name], where)
            for name, related_model in section.many.items()
            if name in record
        }
        if sources is not None:
            wanted["sources"] = self.lookup_many(Source, sources, where)
        related_changed = {
            name
            for name, objects in wanted.items()
            if set_related(getattr(instance, name), objects, empty=created)
        }
        fittings = self.fittings(chips, where) if chips is not None else None
        try:
            if roles is not None and set_company_roles(company=instance, roles=roles):
                related_changed.add("roles")
            if fittings is not None and set_vehicle_model_chips(
                vehicle_model=instance, fittings=fittings, reason=CHANGE_REASON
            ):
                related_changed.add("chips")
        except ValidationError as error:
            raise SeedError(f"{where}: {error.message_dict}") from None
        if related_changed and not changed:
            # Only relations changed: the row is saved again so history records the change.
            instance._change_reason = CHANGE_REASON
            instance.save(update_fields=["updated"])
        status = (
            "created" if created else ("updated" if changed or related_changed else "unchanged")
        )
        self.stats[section.name][status] += 1

    def fittings(self, chips, where):
        """The records' chip fittings, with their chip and sources looked up by slug."""
        return [
            {
                "chip": self.lookup(Chip, item.get("chip"), where),
                "role": item.get("role"),
                "quantity": item.get("quantity"),
                "sources": self.lookup_many(Source, item.get("sources"), where),
            }
            for item in chips
        ]


def fixture_paths(directory=FIXTURES_DIR):
    return sorted(Path(directory).glob("*.yaml"))


def load_catalog(paths=None, *, dry_run=False):
    """Load the seed files atomically; returns {section: Counter(created/updated/unchanged)}."""
    data = read_fixtures(paths or fixture_paths())
    with transaction.atomic():
        stats = Loader().load(data)
        if dry_run:
            transaction.set_rollback(True)
    return stats
