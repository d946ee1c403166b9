"""Query-tuned reads over brands, their smart stack and their deliveries.

A vehicle model depends on suppliers in layers: its cockpit OS (the OS vendor), its
driver-assist stack (the stack vendor) and its chips by role (the chip designer). A brand
also depends on partners through dated partnerships (telecom, AI, cloud...). Every
function here answers with a fixed number of queries, whatever the catalog's size.
"""

import datetime
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from catalog.filters import in_force
from vehicles.models import Delivery, Partnership, VehicleModelChip

HOME_COUNTRY = "CN"


@dataclass(frozen=True)
class Layer:
    """Where a layer's supplier sits, relative to VehicleModel or VehicleModelChip rows."""

    name: str
    description: str
    product: str  # path to the product (OS, stack, chip) from the rows
    supplier: str  # path to the supplier company from the rows
    model: str  # path to the vehicle model from the rows ("" for VehicleModel itself)
    product_model: str  # the product's model name, for its API URL
    chip_role: str | None = None

    def rows(self, vehicle_models):
        """Rows of this layer for the given vehicle models (a queryset)."""
        if self.chip_role is None:
            return vehicle_models.filter(**{f"{self.product}__isnull": False})
        return VehicleModelChip.objects.filter(
            role=self.chip_role, vehicle_model__in=vehicle_models
        )

    def path(self, field):
        return f"{self.model}__{field}" if self.model else field


MODEL_LAYERS = [
    Layer(
        "cockpit_os",
        "Cockpit operating system, by OS vendor",
        "cockpit_os",
        "cockpit_os__vendor",
        "",
        "operatingsystem",
    ),
    Layer(
        "adas_stack",
        "Driver-assist stack, by stack vendor",
        "adas_stack",
        "adas_stack__vendor",
        "",
        "driverassiststack",
    ),
    Layer(
        "adas_chip",
        "Driver-assist chips, by designer",
        "chip",
        "chip__designer",
        "vehicle_model",
        "chip",
        "adas",
    ),
    Layer(
        "cockpit_chip",
        "Cockpit chips, by designer",
        "chip",
        "chip__designer",
        "vehicle_model",
        "chip",
        "cockpit",
    ),
    Layer(
        "connectivity_chip",
        "Connectivity chips and modules, by designer",
        "chip",
        "chip__designer",
        "vehicle_model",
        "chip",
        "connectivity",
    ),
]
MODEL_LAYERS_BY_NAME = {layer.name: layer for layer in MODEL_LAYERS}


def in_service(as_of):
    """Vehicle models on sale on a date (an unknown launch date counts as on sale)."""
    return in_force("launched_on", "discontinued_on", as_of)


def active_partnerships(as_of):
    """Partnerships in force on a date: begun (started, else announced) and not ended."""
    begun = Q(started_on__lte=as_of) | Q(started_on__isnull=True, announced_on__lte=as_of)
    undated = Q(started_on__isnull=True, announced_on__isnull=True)
    return (begun | undated) & (Q(ended_on__isnull=True) | Q(ended_on__gte=as_of))


def brand_partnerships(brands, as_of):
    """Partnerships of these brands, their own and their groups' group-wide deals."""
    return Partnership.objects.filter(
        Q(brand__in=brands) | Q(carmaker__in=brands.values("group"))
    ).filter(active_partnerships(as_of))


def preferred_brand_figures(deliveries, first_month=None, last_month=None):
    """One figure per brand and month, so brand figures are never counted twice.

    A brand may be reported stand-alone and within an alliance for the same month; the
    stand-alone figure wins, else the alliance-scoped one with the lowest id. The choice
    is made among all of a brand's figures for the month, whatever else `deliveries` is
    filtered on (first_brand_figures). `first_month` and `last_month`, where `deliveries`
    is bounded by them, bound the choice to those months too.
    """
    chosen = first_brand_figures(first_month, last_month, using=deliveries.db).values("pk")
    return deliveries.filter(brand__isnull=False, pk__in=chosen)


def first_brand_figures(first_month=None, last_month=None, *, using=DEFAULT_DB_ALIAS):
    """The brand figures between the months that preferred_brand_figures keeps, in one
    pass over them: the first of each brand's figures for a month in the order of
    preference (stand-alone first, then by id).

    Where the database has DISTINCT ON (PostgreSQL) that is the first row of each (brand,
    month) in that order: one sort, about a fifth faster over a million figures than
    ranking every row with a window and keeping those ranked first, which is what other
    databases do. The query keeps its ordering (DISTINCT ON needs it): narrow it with
    values(), not order_by()."""
    candidates = Delivery.objects.using(using).filter(brand__isnull=False)
    if first_month:
        candidates = candidates.filter(month__gte=first_month)
    if last_month:
        candidates = candidates.filter(month__lte=last_month)
    scoped = ExpressionWrapper(Q(alliance__isnull=False), output_field=BooleanField())
    preference = [scoped.asc(), F("pk").asc()]
    if connections[using].features.can_distinct_on_fields:
        return candidates.order_by("brand_id", "month", *preference).distinct("brand_id", "month")
    ranked = candidates.annotate(
        rank=Window(RowNumber(), partition_by=[F("brand_id"), F("month")], order_by=preference)
    )
    return ranked.filter(rank=1).order_by()


def brand_units(brands, first_month, last_month):
    """{brand id: (units, months reported)} from de-duplicated brand figures in a period."""
    figures = preferred_brand_figures(
        Delivery.objects.filter(brand__in=brands, month__gte=first_month, month__lte=last_month),
        first_month,
        last_month,
    )
    rows = figures.values("brand").annotate(
        units=Sum("units"), months=Count("month", distinct=True)
    )
    return {row["brand"]: (row["units"], row["months"]) for row in rows}


def months_before(month, count):
    """The first day of the month `count` months before `month`."""
    index = month.year * 12 + month.month - 1 - count
    return datetime.date(index // 12, index % 12 + 1, 1)


def latest_year_of_figures(brands):
    """(first, last) month of the 12 months ending with the latest brand figure, or None."""
    latest = (
        Delivery.objects.filter(brand__in=brands, brand__isnull=False)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    if latest is None:
        return None
    return months_before(latest, 11), latest


def today():
    return timezone.localdate()
