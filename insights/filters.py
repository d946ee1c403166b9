"""Parameters of the insight endpoints: the resource filters they build on, plus their own.

Parameters that shape an answer rather than select rows (group_by, period, weighting
months...) are declared as filters that keep the queryset unchanged, so the strict
backend validates them, names them in errors and documents them like any filter.
"""

import django_filters
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from catalog.filters import (
    BoolFilter,
    SingleValueFilter,
    SlugFilter,
    StrictChoiceFilter,
    StrictDateFilter,
)
from partners.models import Company
from vehicles.filters import BrandFilterSet, DeliveryFilterSet
from vehicles.selectors import MODEL_LAYERS

GROUP_BY = [
    ("alliance", "alliance totals"),
    ("brand", "brand figures"),
    ("group", "carmaker group"),
]
PERIODS = [("month", "month"), ("quarter", "quarter"), ("year", "year")]
LAYERS = [(layer.name, layer.description) for layer in MODEL_LAYERS] + [
    ("telecom", "Telecom partners, by operator")
]
# Country names (and so their order) in English, whatever the language of the request
# that first imports this module: they are documented.
with translation.override(None):
    COUNTRY_CHOICES = list(Company._meta.get_field("country").choices)


def keep(queryset, name, value):
    """Answer-shaping parameter: validated and read by the view, selects no rows."""
    return queryset


def choice(choices, label, *, multiple=False):
    kind = django_filters.MultipleChoiceFilter if multiple else StrictChoiceFilter
    return kind(choices=choices, method=keep, label=label)


def month(label):
    return SingleValueFilter(kind="month", method=keep, label=label)


def date(label):
    return extend_schema_field(OpenApiTypes.DATE)(StrictDateFilter(method=keep, label=label))


class DeliverySeriesFilterSet(DeliveryFilterSet):
    group_by = choice(
        GROUP_BY,
        "alliance (default): alliance totals; brand: brand figures; group: brand figures summed by carmaker group.",
    )
    period = choice(PERIODS, "Resolution: month (default), quarter or year.")


class DependencyFilterSet(BrandFilterSet):
    """The brands to analyse (any brand filter), the layers, and the weighting period."""

    windows = (("weight_from", "weight_to"),)

    layer = choice(LAYERS, "Only these layers (repeatable); default all.", multiple=True)
    weight_from = month(
        "First month of deliveries used as weights (YYYY-MM, inclusive); default: 11 months "
        "before the latest month with a brand figure, so the default window is 12 months."
    )
    weight_to = month(
        "Last month of deliveries used as weights (YYYY-MM, inclusive); default: the latest "
        "month with a figure for any of the brands."
    )
    active_on = date("Partnerships in force on this date (YYYY-MM-DD); default: today.")


class ExposureFilterSet(BrandFilterSet):
    """Who depends on a supplier (`company`) or a supplier country (`country`)."""

    windows = (("month_from", "month_to"),)

    company = extend_schema_field({"type": "array", "items": {"type": "string"}})(
        SlugFilter("group", Company, method=keep, label="The supplier(s) in question (slugs).")
    )
    country = choice(
        COUNTRY_CHOICES, "Supplier country (ISO 3166-1 alpha-2; repeatable).", multiple=True
    )
    include_subsidiaries = BoolFilter(
        method=keep, label="Count the companies' subsidiaries too (default true)."
    )
    month_from = month(
        "First month of the deliveries reported (YYYY-MM, inclusive); default: 11 months "
        "before the latest month with a brand figure, so the default window is 12 months."
    )
    month_to = month(
        "Last month of the deliveries reported (YYYY-MM, inclusive); default: the latest month "
        "with a figure for any of the brands hit."
    )
    as_of = date(
        "Vehicle models on sale and partnerships in force on this date (YYYY-MM-DD); default: today."
    )
