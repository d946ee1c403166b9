"""Parameters of the insight endpoints: the resource filters they build on, plus their own.

Parameters that shape an answer rather than select rows (group_by, period, weighting
months...) are declared as filters that keep the queryset unchanged, so the strict
backend validates them, names them in errors and documents them like any filter. An
answer that selects no rows of its own (the graph, the audit, a brand's stack) declares
its parameters in a ParameterSet: the same filters, with no model and no `q`.
"""

import django_filters
from django import forms
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.filters import (
    BoolFilter,
    CatalogFilterSet,
    ChoicesFilter,
    MultiValueFormField,
    SingleValueFilter,
    SlugFilter,
    StrictChoiceFilter,
    StrictDateFilter,
)
from insights.audit import RULES
from insights.selectors.graph import EDGE_KINDS, NODE_KINDS
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
RULE_CHOICES = [(rule.name, rule.description) for rule in RULES]


def keep(queryset, name, value):
    """Answer-shaping parameter: validated, then read to build the answer; selects no rows."""
    return queryset


def choice(choices, label, *, multiple=False):
    kind = ChoicesFilter if multiple else StrictChoiceFilter
    return kind(choices=choices, method=keep, label=label)


def month(label):
    return SingleValueFilter(kind="month", method=keep, label=label)


def date(label):
    return extend_schema_field(OpenApiTypes.DATE)(StrictDateFilter(method=keep, label=label))


def labelled(parameter):
    """The parameter documented by its label alone: the label says in its own words what
    the document would otherwise add (the values' spelling, how a period's ends count)."""
    parameter.label_is_description = True
    return parameter


def kind_choice(kinds, noun):
    return forms.ChoiceField(
        choices=[(kind, kind) for kind in kinds],
        error_messages={
            "invalid_choice": format_lazy(
                _("Unknown {noun} '%(value)s'. Accepted: {accepted}."),
                noun=noun,
                accepted=", ".join(kinds),
            )
        },
    )


class KindsFilter(django_filters.Filter):
    """Kinds to keep (node kinds, edge kinds, audit rules); repeat for more. An unknown
    one is a 400 naming it and every kind accepted.

    Documented as an array of the kinds; `label` is its description (a list of the kinds
    after a blank line, "* `kind`: ...", stays in the document).
    """

    field_class = MultiValueFormField

    def __init__(self, kinds, noun, *, label):
        super().__init__(method=keep, label=label, inner=kind_choice(kinds, noun))
        items = {"type": "string", "enum": sorted(kinds)}
        extend_schema_field({"type": "array", "items": items, "description": label})(self)


# What a series takes of /deliveries/' filters: those choosing whole series (an alliance,
# a brand, a group, or not) and the window's two ends. The others choose single monthly
# figures (by units, precision, computed, slug, text, a month excluded or picked): a
# series sums periods and lists the months missing from them, and a month whose figure a
# filter set aside would be listed as missing, though reported.
SERIES_FILTERS = ("alliance", "brand", "group")
WINDOW = ("month__gte", "month__lte")


class DeliverySeriesFilterSet(DeliveryFilterSet):
    group_by = choice(
        GROUP_BY,
        "alliance (default): alliance totals; brand: brand figures; group: brand figures summed by carmaker group.",
    )
    period = choice(PERIODS, "Resolution: month (default), quarter or year.")

    @classmethod
    def get_filters(cls):
        return {
            name: declared
            for name, declared in super().get_filters().items()
            if name.split("__")[0] in SERIES_FILTERS
            or name in WINDOW
            or name in ("group_by", "period")
        }


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
        SlugFilter(
            "group",
            Company,
            method=keep,
            rows=True,  # the answer names each company
            label="The supplier(s) in question (slugs).",
        )
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


class ParameterSet(CatalogFilterSet):
    """The parameters of an answer that selects no rows of its own: validated by the
    strict backend and documented like every filter, with no model and no `q`."""

    q = None


class GraphFilterSet(ParameterSet):
    """Which nodes and edges the ecosystem graph shows, and on what date."""

    node_kind = KindsFilter(
        NODE_KINDS,
        _("node kind"),
        label="Only nodes of these kinds, every one of them even if unlinked; repeat for more. "
        "Default: every kind but vehicle_model, and only the nodes an edge touches.",
    )
    edge_kind = KindsFilter(
        tuple(EDGE_KINDS),
        _("edge kind"),
        label="Only edges of these kinds; repeat for more. Default: all.\n\n"
        + "\n".join(f"* `{kind}`: {spec.description}" for kind, spec in EDGE_KINDS.items()),
    )
    active_on = labelled(
        date(
            "Only the dated edges in force on this date (YYYY-MM-DD): started on or before "
            "it, not ended before it. Undated edges are kept."
        )
    )


class BrandStackFilterSet(ParameterSet):
    """The date a brand's stack is answered for."""

    as_of = labelled(
        date(
            "Answer for this date (YYYY-MM-DD) from the dated links; default: today. Both "
            "ends of a period are inclusive: a link that ends on this date is in force on it."
        )
    )


class AuditFilterSet(ParameterSet):
    """Which rules of the audit to run, and which of their findings to show."""

    # Documented as a choice of rules, each with its description.
    rule = extend_schema_field(serializers.MultipleChoiceField(choices=RULE_CHOICES))(
        KindsFilter(
            [name for name, _description in RULE_CHOICES],
            _("rule"),
            label="Only these rules (repeatable); default all.",
        )
    )
    accepted = labelled(
        BoolFilter(
            method=keep,
            label="true: only accepted findings; false: only those not accepted; default both.",
        )
    )
