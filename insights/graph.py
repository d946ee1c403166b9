"""The ecosystem as a graph, as JSON or as GraphML that networkx, Gephi and yEd open.

GET /api/v1/insights/graph/ answers {"nodes": [...], "edges": [...], "counts": {...}};
`?format=graphml` or `Accept: application/graphml+xml` gives the same graph as GraphML 1.0.

Nodes are rows of the catalog, identified as "<kind>:<slug>" (e.g. "brand:aito").
Edges point from source to target; each has a kind, the period it was in force
(`started_on`, `ended_on`, null when not dated), the slugs of the sources that back it
(those cited by the catalog row that records the link) and attributes of its kind:

    controls       company -> company            the parent controls it (Company.parent)
    holds          company -> company            share_percent, url; acquired..disposed
    owns_brand     company -> brand              the carmaker group owns the brand
    makes          company -> OS, stack, chip    the vendor (chips: the designer)
    manufactures   company -> chip               the foundry
    uses           brand -> OS, stack, chip      vehicle_models using it (chips: per role);
                   vehicle_model -> OS, stack, chip   only when vehicle_model nodes are
                                                 asked for (chips: role and quantity)
    computes_on    stack -> chip                 the stack's compute chips
    partners_with  brand or group -> company     partnership_kind, scope, announced_on,
                                                 url; started..ended
    member_of      brand -> alliance             url; joined..left
    leads          company -> alliance           the alliance's leader
    sells          brand -> vehicle_model        launched..discontinued

Which nodes the graph has:

- With `node_kind`: every row of the kinds listed, linked or not, and only the edges
  between them.
- Without: every kind except vehicle_model (one node per car model makes the graph
  large), and of those only the nodes some remaining edge touches, so that `edge_kind`
  or `active_on` does not leave a cloud of unlinked nodes behind.

`active_on=YYYY-MM-DD` keeps the dated edges in force on that day (started on or before
it, not ended before it; an open end is ongoing) and every undated edge.

Every table is read at most once, with values() and joins for the slugs at both ends;
counts are grouped in the database, and the sources of all cited rows come in one UNION
query. The number of queries depends on the kinds asked for, never on the number of rows.
"""

import re
from collections import defaultdict
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple
from xml.etree import ElementTree

from django import forms
from django.db.models import BooleanField, CharField, Count, ExpressionWrapper, F, Value
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.filters import (
    MultiValueFormField,
    StrictDateField,
    in_force,
    reject_unknown_form_params,
)
from catalog.serializers import url_for
from catalog.views import ErrorsAsJSONMixin
from partners.models import (
    Alliance,
    Chip,
    Company,
    DriverAssistStack,
    OperatingSystem,
    Shareholding,
)
from vehicles.models import (
    AllianceMembership,
    Brand,
    ChipRole,
    Partnership,
    PartnershipKind,
    VehicleModel,
    VehicleModelChip,
)

NODE_MODELS = {
    "company": Company,
    "brand": Brand,
    "alliance": Alliance,
    "operating_system": OperatingSystem,
    "driver_assist_stack": DriverAssistStack,
    "chip": Chip,
    "vehicle_model": VehicleModel,
}
NODE_KINDS = tuple(NODE_MODELS)
DEFAULT_NODE_KINDS = frozenset(NODE_KINDS) - {"vehicle_model"}
PRODUCT_KINDS = ("operating_system", "driver_assist_stack", "chip")


class EdgeKind(NamedTuple):
    links: tuple  # (source node kind, target node kind) pairs
    description: str


EDGE_KINDS = {
    "controls": EdgeKind((("company", "company"),), "parent company -> company"),
    "holds": EdgeKind((("company", "company"),), "shareholder -> company"),
    "owns_brand": EdgeKind((("company", "brand"),), "carmaker group -> brand"),
    "makes": EdgeKind(
        tuple(("company", kind) for kind in PRODUCT_KINDS),
        "vendor or designer -> operating system, driver-assist stack, chip",
    ),
    "manufactures": EdgeKind((("company", "chip"),), "foundry -> chip"),
    "uses": EdgeKind(
        tuple((user, kind) for user in ("brand", "vehicle_model") for kind in PRODUCT_KINDS),
        "brand (or vehicle model) -> operating system, driver-assist stack, chip",
    ),
    "computes_on": EdgeKind((("driver_assist_stack", "chip"),), "driver-assist stack -> chip"),
    "partners_with": EdgeKind(
        (("brand", "company"), ("company", "company")), "brand or carmaker group -> partner"
    ),
    "member_of": EdgeKind((("brand", "alliance"),), "brand -> alliance"),
    "leads": EdgeKind((("company", "alliance"),), "company -> alliance"),
    "sells": EdgeKind((("brand", "vehicle_model"),), "brand -> vehicle model"),
}


def node_id(kind, slug):
    return f"{kind}:{slug}"


class Cited(NamedTuple):
    """An edge is backed by the sources of this catalog row (all resolved in one query)."""

    model: type
    pk: int


def is_cited(link):
    return isinstance(link["sources"], Cited)


def edge(kind, source, target, *, sources, started_on=None, ended_on=None, **attributes):
    """An edge between (kind, slug) endpoints; `attributes` are those of its kind."""
    return {
        "source": node_id(*source),
        "target": node_id(*target),
        "kind": kind,
        "started_on": started_on,
        "ended_on": ended_on,
        **attributes,
        "sources": sources,
    }


def sources_of(models):
    """{Cited(model, pk): [source slugs]} for every row of `models`, in one UNION query."""
    by_label = {model._meta.label: model for model in models}
    selects = []
    for label, model in sorted(by_label.items()):
        field = model._meta.get_field("sources")
        selects.append(
            field.remote_field.through.objects.values_list(
                Value(label, output_field=CharField()), field.m2m_field_name(), "source__slug"
            )
        )
    if not selects:
        return {}
    found = defaultdict(list)
    for label, pk, slug in selects[0].union(*selects[1:], all=True):
        found[Cited(by_label[label], pk)].append(slug)
    return {row: sorted(slugs) for row, slugs in found.items()}


class EcosystemGraph:
    """Reads the tables a request needs, each at most once, and assembles the graph.

    `node_kinds` lists the kinds to show in full (see the module docstring); empty means
    the default graph. `edge_kinds` empty means every kind.
    """

    def __init__(self, *, node_kinds=(), edge_kinds=(), active_on=None, request=None):
        self.listed_kinds = frozenset(node_kinds)
        self.node_kinds = self.listed_kinds or DEFAULT_NODE_KINDS
        self.edge_kinds = frozenset(edge_kinds) or frozenset(EDGE_KINDS)
        self.active_on = active_on
        self.request = request

    def wants(self, kind, source_kind, target_kind):
        """Whether edges of `kind` between these node kinds belong in the graph."""
        return kind in self.edge_kinds and {source_kind, target_kind} <= self.node_kinds

    def wants_any(self, kind):
        return any(self.wants(kind, *link) for link in EDGE_KINDS[kind].links)

    def reads_nodes(self, node_kind):
        """Whether the graph can hold nodes of this kind (decided by the request alone)."""
        return node_kind in self.listed_kinds or any(
            node_kind in link and self.wants(kind, *link)
            for kind, spec in EDGE_KINDS.items()
            for link in spec.links
        )

    def build(self):
        """{"nodes", "edges", "counts"}, sorted so that the answer is stable."""
        edges = [link for build in self.edge_builders() for link in build()]
        cited = sources_of({link["sources"].model for link in edges if is_cited(link)})
        for link in edges:
            if is_cited(link):
                link["sources"] = cited.get(link["sources"], [])
        linked = {link["source"] for link in edges} | {link["target"] for link in edges}
        nodes = [
            node
            for kind in NODE_KINDS
            if self.reads_nodes(kind)
            for node in self.nodes(kind)
            if kind in self.listed_kinds or node["id"] in linked
        ]
        nodes.sort(key=lambda node: (NODE_KINDS.index(node["kind"]), node["slug"]))
        # Sorted here rather than in SQL: collations order slugs differently per database.
        edges.sort(key=edge_order)
        return {
            "nodes": nodes,
            "edges": edges,
            "counts": {"nodes": len(nodes), "edges": len(edges)},
        }

    # Nodes: one query per table, shared with the edges the table records itself.

    NODE_ROWS = {
        "company": "companies",
        "brand": "brands",
        "alliance": "alliances",
        "operating_system": "operating_systems",
        "driver_assist_stack": "driver_assist_stacks",
        "chip": "chips",
        "vehicle_model": "vehicle_models",
    }

    @cached_property
    def companies(self):
        return list(
            Company.objects.order_by().values(
                "id", "slug", "name", "name_zh", "country", "parent__slug"
            )
        )

    @cached_property
    def brands(self):
        return list(
            Brand.objects.order_by().values(
                "id", "slug", "name", "name_zh", "group__slug", country=F("group__country")
            )
        )

    @cached_property
    def alliances(self):
        return list(
            Alliance.objects.order_by().values("id", "slug", "name", "name_zh", "leader__slug")
        )

    @cached_property
    def operating_systems(self):
        return list(
            OperatingSystem.objects.order_by().values(
                "id", "slug", "name", "name_zh", "vendor__slug"
            )
        )

    @cached_property
    def driver_assist_stacks(self):
        return list(
            DriverAssistStack.objects.order_by().values(
                "id", "slug", "name", "name_zh", "vendor__slug"
            )
        )

    @cached_property
    def chips(self):
        return list(
            Chip.objects.order_by().values(
                "id", "slug", "name", "name_zh", "designer__slug", "foundry__slug"
            )
        )

    @cached_property
    def vehicle_models(self):
        on_sale = (
            ExpressionWrapper(
                in_force("launched_on", "discontinued_on", self.active_on),
                output_field=BooleanField(),
            )
            if self.active_on
            else Value(True)
        )
        return list(
            VehicleModel.objects.order_by().values(
                "id",
                "slug",
                "name",
                "name_zh",
                "brand__slug",
                "cockpit_os__slug",
                "adas_stack__slug",
                "launched_on",
                "discontinued_on",
                on_sale=on_sale,
            )
        )

    def nodes(self, kind):
        rows = getattr(self, self.NODE_ROWS[kind])
        model_name = NODE_MODELS[kind]._meta.model_name
        return [
            {
                "id": node_id(kind, row["slug"]),
                "kind": kind,
                "slug": row["slug"],
                "name": row["name"],
                "name_zh": row["name_zh"],
                "country": row.get("country"),
                "url": url_for(model_name, row["slug"], self.request),
            }
            for row in rows
        ]

    def url(self, model, slug):
        return url_for(model._meta.model_name, slug, self.request)

    def dated(self, model, start, end):
        """The model's rows in force on `active_on` (all of them without it), unordered."""
        rows = model.objects.order_by()
        return rows.filter(in_force(start, end, self.active_on)) if self.active_on else rows

    # Edges: one generator per kind, each running only if its edges can be in the graph.

    def edge_builders(self):
        return [getattr(self, kind) for kind in EDGE_KINDS if self.wants_any(kind)]

    def controls(self):
        for row in self.companies:
            if row["parent__slug"]:
                yield edge(
                    "controls",
                    ("company", row["parent__slug"]),
                    ("company", row["slug"]),
                    sources=Cited(Company, row["id"]),
                )

    def holds(self):
        rows = self.dated(Shareholding, "acquired_on", "disposed_on").values(
            "id",
            "slug",
            "holder__slug",
            "company__slug",
            "share_percent",
            "acquired_on",
            "disposed_on",
        )
        for row in rows:
            yield edge(
                "holds",
                ("company", row["holder__slug"]),
                ("company", row["company__slug"]),
                started_on=row["acquired_on"],
                ended_on=row["disposed_on"],
                share_percent=row["share_percent"],
                url=self.url(Shareholding, row["slug"]),
                sources=Cited(Shareholding, row["id"]),
            )

    def owns_brand(self):
        for row in self.brands:
            yield edge(
                "owns_brand",
                ("company", row["group__slug"]),
                ("brand", row["slug"]),
                sources=Cited(Brand, row["id"]),
            )

    def makes(self):
        makers = {
            "operating_system": (OperatingSystem, "operating_systems", "vendor__slug"),
            "driver_assist_stack": (DriverAssistStack, "driver_assist_stacks", "vendor__slug"),
            "chip": (Chip, "chips", "designer__slug"),
        }
        for kind, (model, rows, maker) in makers.items():
            if self.wants("makes", "company", kind):
                for row in getattr(self, rows):
                    yield edge(
                        "makes",
                        ("company", row[maker]),
                        (kind, row["slug"]),
                        sources=Cited(model, row["id"]),
                    )

    def manufactures(self):
        for row in self.chips:
            if row["foundry__slug"]:
                yield edge(
                    "manufactures",
                    ("company", row["foundry__slug"]),
                    ("chip", row["slug"]),
                    sources=Cited(Chip, row["id"]),
                )

    def uses(self):
        for kind, field in (
            ("operating_system", "cockpit_os"),
            ("driver_assist_stack", "adas_stack"),
        ):
            if self.wants("uses", "brand", kind):
                yield from self.brand_uses(kind, field)
            if self.wants("uses", "vehicle_model", kind):
                for row in self.vehicle_models:
                    if row[f"{field}__slug"]:
                        yield edge(
                            "uses",
                            ("vehicle_model", row["slug"]),
                            (kind, row[f"{field}__slug"]),
                            sources=Cited(VehicleModel, row["id"]),
                        )
        if self.wants("uses", "brand", "chip"):
            yield from self.brand_uses_chips()
        if self.wants("uses", "vehicle_model", "chip"):
            fittings = VehicleModelChip.objects.order_by().values(
                "id", "vehicle_model__slug", "chip__slug", "role", "quantity"
            )
            for row in fittings:
                yield edge(
                    "uses",
                    ("vehicle_model", row["vehicle_model__slug"]),
                    ("chip", row["chip__slug"]),
                    role=row["role"],
                    quantity=row["quantity"],
                    sources=Cited(VehicleModelChip, row["id"]),
                )

    def brand_uses(self, kind, field):
        """brand -> OS or stack, counting the brand's vehicle models that use it."""
        product = f"{field}__slug"
        sources = self.vehicle_model_sources[field]
        counts = (
            VehicleModel.objects.filter(**{f"{field}__isnull": False})
            .values("brand__slug", product)
            .annotate(vehicle_models=Count("id"))
            .order_by()
        )
        for row in counts:
            pair = (row["brand__slug"], row[product])
            yield edge(
                "uses",
                ("brand", pair[0]),
                (kind, pair[1]),
                vehicle_models=row["vehicle_models"],
                sources=sorted(sources.get(pair, ())),
            )

    def brand_uses_chips(self):
        """brand -> chip per role, counting the brand's vehicle models fitted with it."""
        sources = defaultdict(set)
        cited = VehicleModelChip.sources.through.objects.values_list(
            "vehiclemodelchip__vehicle_model__brand__slug",
            "vehiclemodelchip__chip__slug",
            "vehiclemodelchip__role",
            "source__slug",
        ).distinct()
        for brand, chip, role, source in cited:
            sources[brand, chip, role].add(source)
        counts = (
            VehicleModelChip.objects.values("vehicle_model__brand__slug", "chip__slug", "role")
            .annotate(vehicle_models=Count("vehicle_model", distinct=True))
            .order_by()
        )
        for row in counts:
            key = (row["vehicle_model__brand__slug"], row["chip__slug"], row["role"])
            yield edge(
                "uses",
                ("brand", key[0]),
                ("chip", key[1]),
                role=key[2],
                vehicle_models=row["vehicle_models"],
                sources=sorted(sources[key]),
            )

    @cached_property
    def vehicle_model_sources(self):
        """{"cockpit_os"|"adas_stack": {(brand, product): source slugs}} of vehicle models."""
        found = {"cockpit_os": defaultdict(set), "adas_stack": defaultdict(set)}
        cited = VehicleModel.sources.through.objects.values_list(
            "vehiclemodel__brand__slug",
            "vehiclemodel__cockpit_os__slug",
            "vehiclemodel__adas_stack__slug",
            "source__slug",
        ).distinct()
        for brand, os_slug, stack_slug, source in cited:
            found["cockpit_os"][brand, os_slug].add(source)
            found["adas_stack"][brand, stack_slug].add(source)
        return found

    def computes_on(self):
        rows = DriverAssistStack.compute_chips.through.objects.values_list(
            "driverassiststack_id", "driverassiststack__slug", "chip__slug"
        )
        for stack_id, stack, chip in rows:
            yield edge(
                "computes_on",
                ("driver_assist_stack", stack),
                ("chip", chip),
                sources=Cited(DriverAssistStack, stack_id),
            )

    def partners_with(self):
        rows = self.dated(Partnership, "started_on", "ended_on")
        if not self.wants("partners_with", "brand", "company"):
            rows = rows.filter(brand__isnull=True)
        if not self.wants("partners_with", "company", "company"):
            rows = rows.filter(carmaker__isnull=True)
        rows = rows.values(
            "id",
            "slug",
            "brand__slug",
            "carmaker__slug",
            "partner__slug",
            "kind",
            "scope",
            "announced_on",
            "started_on",
            "ended_on",
        )
        for row in rows:
            if row["brand__slug"]:
                carmaker = ("brand", row["brand__slug"])
            else:
                carmaker = ("company", row["carmaker__slug"])
            yield edge(
                "partners_with",
                carmaker,
                ("company", row["partner__slug"]),
                started_on=row["started_on"],
                ended_on=row["ended_on"],
                partnership_kind=row["kind"],
                scope=row["scope"],
                announced_on=row["announced_on"],
                url=self.url(Partnership, row["slug"]),
                sources=Cited(Partnership, row["id"]),
            )

    def member_of(self):
        rows = self.dated(AllianceMembership, "joined_on", "left_on").values(
            "id", "slug", "brand__slug", "alliance__slug", "joined_on", "left_on"
        )
        for row in rows:
            yield edge(
                "member_of",
                ("brand", row["brand__slug"]),
                ("alliance", row["alliance__slug"]),
                started_on=row["joined_on"],
                ended_on=row["left_on"],
                url=self.url(AllianceMembership, row["slug"]),
                sources=Cited(AllianceMembership, row["id"]),
            )

    def leads(self):
        for row in self.alliances:
            yield edge(
                "leads",
                ("company", row["leader__slug"]),
                ("alliance", row["slug"]),
                sources=Cited(Alliance, row["id"]),
            )

    def sells(self):
        for row in self.vehicle_models:
            if row["on_sale"]:
                yield edge(
                    "sells",
                    ("brand", row["brand__slug"]),
                    ("vehicle_model", row["slug"]),
                    started_on=row["launched_on"],
                    ended_on=row["discontinued_on"],
                    sources=Cited(VehicleModel, row["id"]),
                )


def edge_order(link):
    return (
        list(EDGE_KINDS).index(link["kind"]),
        link["source"],
        link["target"],
        str(link["started_on"] or ""),
        link.get("url") or "",
        link.get("role") or "",
    )


# Query parameters.


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


class GraphParameters(forms.Form):
    """The graph's query parameters, parsed strictly: a wrong value is a 400 naming it."""

    node_kind = MultiValueFormField(inner=kind_choice(NODE_KINDS, _("node kind")), required=False)
    edge_kind = MultiValueFormField(
        inner=kind_choice(tuple(EDGE_KINDS), _("edge kind")), required=False
    )
    active_on = StrictDateField(required=False)

    @classmethod
    def parse(cls, query_params):
        """Cleaned {node_kinds, edge_kinds, active_on}, or a ValidationError per parameter."""
        form = cls(query_params)
        errors = (
            {}
            if form.is_valid()
            else {name: list(messages) for name, messages in form.errors.items()}
        )
        if len(query_params.getlist("active_on")) > 1:
            errors.setdefault("active_on", []).append(gettext("Give one date."))
        if errors:
            raise ValidationError(errors)
        return {
            "node_kinds": form.cleaned_data["node_kind"] or (),
            "edge_kinds": form.cleaned_data["edge_kind"] or (),
            "active_on": form.cleaned_data["active_on"],
        }


GRAPH_PARAMETERS = [
    OpenApiParameter(
        "node_kind",
        OpenApiTypes.STR,
        many=True,
        enum=NODE_KINDS,
        description=(
            "Only nodes of these kinds, every one of them even if unlinked; repeat for more. "
            "Default: every kind but vehicle_model, and only the nodes an edge touches."
        ),
    ),
    OpenApiParameter(
        "edge_kind",
        OpenApiTypes.STR,
        many=True,
        enum=tuple(EDGE_KINDS),
        description="Only edges of these kinds; repeat for more. Default: all.\n\n"
        + "\n".join(f"* `{kind}`: {spec.description}" for kind, spec in EDGE_KINDS.items()),
    ),
    OpenApiParameter(
        "active_on",
        OpenApiTypes.DATE,
        description=(
            "Only the dated edges in force on this date (YYYY-MM-DD): started on or before "
            "it, not ended before it. Undated edges are kept."
        ),
    ),
]


# Response components.


class GraphNodeSerializer(serializers.Serializer):
    """A company, brand, alliance, product or vehicle model."""

    id = serializers.CharField(help_text='"<kind>:<slug>", e.g. "brand:aito".')
    kind = serializers.ChoiceField(choices=NODE_KINDS)
    slug = serializers.SlugField()
    name = serializers.CharField()
    name_zh = serializers.CharField(allow_blank=True)
    country = serializers.CharField(
        allow_null=True,
        help_text="ISO 3166-1 alpha-2 code: a company's, or a brand's group's; null for the rest.",
    )
    url = serializers.URLField(allow_null=True, help_text="This node in the API.")


class GraphEdgeSerializer(serializers.Serializer):
    """A link between two nodes; fields after `ended_on` appear only on the kinds named."""

    source = serializers.CharField(help_text="Id of the node the edge starts from.")
    target = serializers.CharField(help_text="Id of the node the edge points to.")
    kind = serializers.ChoiceField(
        choices=[(kind, spec.description) for kind, spec in EDGE_KINDS.items()]
    )
    started_on = serializers.DateField(allow_null=True, help_text="Null when not dated.")
    ended_on = serializers.DateField(allow_null=True, help_text="Null when ongoing or not dated.")
    url = serializers.URLField(
        required=False, help_text="holds, partners_with, member_of: the record in the API."
    )
    share_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        coerce_to_string=False,
        allow_null=True,
        required=False,
        help_text="holds: the stake in percent; null when the source gives none.",
    )
    partnership_kind = serializers.ChoiceField(
        choices=PartnershipKind.choices, required=False, help_text="partners_with."
    )
    scope = serializers.CharField(
        allow_blank=True, required=False, help_text="partners_with: what the deal covers."
    )
    announced_on = serializers.DateField(
        allow_null=True, required=False, help_text="partners_with."
    )
    vehicle_models = serializers.IntegerField(
        required=False, help_text="uses, from a brand: how many of its vehicle models use it."
    )
    role = serializers.ChoiceField(
        choices=ChipRole.choices, required=False, help_text="uses, of a chip: what it does."
    )
    quantity = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="uses, from a vehicle model to a chip: chips fitted (null: not stated).",
    )
    sources = serializers.ListField(
        child=serializers.SlugField(), help_text="Slugs of the sources backing the link."
    )

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # Attributes of other kinds are left out rather than shown as null.
        return {name: value for name, value in data.items() if name in instance}


class GraphCountsSerializer(serializers.Serializer):
    nodes = serializers.IntegerField()
    edges = serializers.IntegerField()


class GraphSerializer(serializers.Serializer):
    """The ecosystem graph: nodes, the edges between them, and how many of each."""

    nodes = GraphNodeSerializer(many=True)
    edges = GraphEdgeSerializer(many=True)
    counts = GraphCountsSerializer()


# GraphML.

GRAPHML_NAMESPACE = "http://graphml.graphdrawing.org/xmlns"
XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"
GRAPHML_SCHEMA = "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd"
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def graphml_type(value):
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float | Decimal):
        return "double"
    return "string"


def graphml_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = ";".join(str(item) for item in value)
    # XML 1.0 cannot carry most control characters, even escaped; a stray one in a
    # name would make the whole document unreadable.
    return NOT_XML.sub("", str(value))


def is_empty(value):
    # GraphML has no null: an unknown or empty value is simply not written.
    return value is None or value == "" or value == []


class GraphMLRenderer(BaseRenderer):
    """`?format=graphml` or `Accept: application/graphml+xml`: the graph as GraphML 1.0.

    Renders {"nodes": [{"id", ...}], "edges": [{"source", "target", ...}]}: every other
    field becomes a <data> element under a <key> declared with its name and type
    (boolean, int, double, else string), lists are joined with ';', and null or empty
    values are left out.
    """

    media_type = "application/graphml+xml"
    format = "graphml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        root = ElementTree.Element(
            "graphml",
            {
                "xmlns": GRAPHML_NAMESPACE,
                "xmlns:xsi": XSI_NAMESPACE,
                "xsi:schemaLocation": f"{GRAPHML_NAMESPACE} {GRAPHML_SCHEMA}",
            },
        )
        node_keys = self.declare_keys(root, "node", data["nodes"], ("id",))
        edge_keys = self.declare_keys(root, "edge", data["edges"], ("source", "target"))
        graph = ElementTree.SubElement(root, "graph", id="ecosystem", edgedefault="directed")
        for node in data["nodes"]:
            element = ElementTree.SubElement(graph, "node", id=node["id"])
            self.add_data(element, node, node_keys)
        for link in data["edges"]:
            element = ElementTree.SubElement(
                graph, "edge", source=link["source"], target=link["target"]
            )
            self.add_data(element, link, edge_keys)
        ElementTree.indent(root)
        return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)

    @staticmethod
    def declare_keys(root, domain, items, structural):
        """<key> elements for the attributes of `items`; returns {attribute: key id}."""
        types = {}  # in the order the fields first appear
        for item in items:
            for name, value in item.items():
                if name not in structural:
                    found = types.setdefault(name, set())
                    if not is_empty(value):
                        found.add(graphml_type(value))
        keys = {}
        for name, found in types.items():
            if not found:
                continue
            if len(found) == 1:
                (attr_type,) = found
            else:
                attr_type = "double" if found == {"int", "double"} else "string"
            keys[name] = f"{domain}_{name}"
            ElementTree.SubElement(
                root,
                "key",
                {"id": keys[name], "for": domain, "attr.name": name, "attr.type": attr_type},
            )
        return keys

    @staticmethod
    def add_data(element, item, keys):
        for name, key in keys.items():
            value = item.get(name)
            if not is_empty(value):
                ElementTree.SubElement(element, "data", key=key).text = graphml_text(value)


# The view.


class GraphView(ErrorsAsJSONMixin, APIView):
    """The ecosystem as a graph of companies, brands, alliances and products.

    Nodes are "<kind>:<slug>"; edges carry their kind, dates, sources and the attributes
    of their kind. Without `node_kind`, vehicle models are left out and only linked
    nodes are shown; with it, every node of the kinds listed. As JSON, or as GraphML
    (`?format=graphml` or `Accept: application/graphml+xml`) for networkx and Gephi.
    """

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, GraphMLRenderer]

    @extend_schema(
        parameters=GRAPH_PARAMETERS,
        responses={
            (200, "application/json"): OpenApiResponse(
                GraphSerializer, description="The graph: nodes, edges and their counts."
            ),
            (200, "application/graphml+xml"): OpenApiResponse(
                {
                    "type": "string",
                    "description": (
                        "GraphML 1.0, directed: the same nodes and edges, their fields as "
                        "typed <data>; lists joined with ';', null values left out."
                    ),
                },
                description="The graph: nodes, edges and their counts.",
            ),
        },
    )
    def get(self, request):
        reject_unknown_form_params(request, GraphParameters)
        graph = EcosystemGraph(**GraphParameters.parse(request.query_params), request=request)
        return Response(GraphSerializer(graph.build()).data)
