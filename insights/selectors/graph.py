"""The ecosystem as a graph: the answer of /insights/graph/ and the explorer's graph page.

{"nodes": [...], "edges": [...], "counts": {...}}, written as JSON or (insights.renderers)
as GraphML 1.0 that networkx, Gephi and yEd open.

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

from collections import defaultdict
from functools import cached_property
from typing import NamedTuple

from django.db.models import BooleanField, CharField, Count, ExpressionWrapper, F, Value

from catalog.filters import in_force
from catalog.serializers import url_for
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
    Partnership,
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
        self.tables = {}  # node kind: its table's rows, once read

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

    # Besides a node's own fields, what each table's rows give: the slugs they link to
    # and the dates of a vehicle model's sale.
    NODE_FIELDS = {
        "company": ("country", "parent__slug"),
        "brand": ("group__slug",),
        "alliance": ("leader__slug",),
        "operating_system": ("vendor__slug",),
        "driver_assist_stack": ("vendor__slug",),
        "chip": ("designer__slug", "foundry__slug"),
        "vehicle_model": (
            "brand__slug",
            "cockpit_os__slug",
            "adas_stack__slug",
            "launched_on",
            "discontinued_on",
        ),
    }

    def rows(self, kind):
        """The rows of a node kind's table, read the first time they are asked for."""
        if kind not in self.tables:
            computed = {
                "brand": {"country": F("group__country")},
                "vehicle_model": {"on_sale": self.on_sale()},
            }.get(kind, {})
            self.tables[kind] = list(
                NODE_MODELS[kind]
                .objects.order_by()
                .values("id", "slug", "name", "name_zh", *self.NODE_FIELDS[kind], **computed)
            )
        return self.tables[kind]

    def on_sale(self):
        """Whether a vehicle model is on sale on `active_on` (always, without it)."""
        if not self.active_on:
            return Value(True)
        return ExpressionWrapper(
            in_force("launched_on", "discontinued_on", self.active_on),
            output_field=BooleanField(),
        )

    def nodes(self, kind):
        rows = self.rows(kind)
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

    def recorded(self, kind, model, rows, source, target, *, period=(None, None)):
        """The edges rows record themselves (a company its parent, a chip its foundry):
        `source` and `target` are (node kind, the row's slug field), `period` the row's
        dates if it is dated; a row with either end empty records none."""
        start, end = period
        for row in rows:
            if row[source[1]] and row[target[1]]:
                yield edge(
                    kind,
                    (source[0], row[source[1]]),
                    (target[0], row[target[1]]),
                    started_on=row.get(start),
                    ended_on=row.get(end),
                    sources=Cited(model, row["id"]),
                )

    def link(self, kind, model, row, source, target, period, **attributes):
        """The edge a dated link records (a holding, a partnership, a membership), with
        the link's address in the API."""
        start, end = period
        return edge(
            kind,
            source,
            target,
            started_on=row[start],
            ended_on=row[end],
            **attributes,
            url=self.url(model, row["slug"]),
            sources=Cited(model, row["id"]),
        )

    def dated_links(self, kind, model, period, source, target, **attributes):
        """The edges of a table of dated links in force on `active_on`: `source` and
        `target` are (node kind, slug field); `attributes` maps each attribute to its field."""
        fields = [source[1], target[1], *attributes.values()]
        for row in self.dated(model, *period).values("id", "slug", *period, *fields):
            yield self.link(
                kind,
                model,
                row,
                (source[0], row[source[1]]),
                (target[0], row[target[1]]),
                period,
                **{name: row[field] for name, field in attributes.items()},
            )

    def controls(self):
        return self.recorded(
            "controls",
            Company,
            self.rows("company"),
            ("company", "parent__slug"),
            ("company", "slug"),
        )

    def holds(self):
        return self.dated_links(
            "holds",
            Shareholding,
            ("acquired_on", "disposed_on"),
            ("company", "holder__slug"),
            ("company", "company__slug"),
            share_percent="share_percent",
        )

    def owns_brand(self):
        return self.recorded(
            "owns_brand", Brand, self.rows("brand"), ("company", "group__slug"), ("brand", "slug")
        )

    def makes(self):
        makers = {
            "operating_system": "vendor__slug",
            "driver_assist_stack": "vendor__slug",
            "chip": "designer__slug",
        }
        for kind, maker in makers.items():
            if self.wants("makes", "company", kind):
                yield from self.recorded(
                    "makes", NODE_MODELS[kind], self.rows(kind), ("company", maker), (kind, "slug")
                )

    def manufactures(self):
        return self.recorded(
            "manufactures", Chip, self.rows("chip"), ("company", "foundry__slug"), ("chip", "slug")
        )

    def uses(self):
        for kind, field in (
            ("operating_system", "cockpit_os"),
            ("driver_assist_stack", "adas_stack"),
        ):
            if self.wants("uses", "brand", kind):
                yield from self.brand_uses(kind, field)
            if self.wants("uses", "vehicle_model", kind):
                yield from self.recorded(
                    "uses",
                    VehicleModel,
                    self.rows("vehicle_model"),
                    ("vehicle_model", "slug"),
                    (kind, f"{field}__slug"),
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
            yield self.link(
                "partners_with",
                Partnership,
                row,
                carmaker,
                ("company", row["partner__slug"]),
                ("started_on", "ended_on"),
                partnership_kind=row["kind"],
                scope=row["scope"],
                announced_on=row["announced_on"],
            )

    def member_of(self):
        return self.dated_links(
            "member_of",
            AllianceMembership,
            ("joined_on", "left_on"),
            ("brand", "brand__slug"),
            ("alliance", "alliance__slug"),
        )

    def leads(self):
        return self.recorded(
            "leads",
            Alliance,
            self.rows("alliance"),
            ("company", "leader__slug"),
            ("alliance", "slug"),
        )

    def sells(self):
        return self.recorded(
            "sells",
            VehicleModel,
            [row for row in self.rows("vehicle_model") if row["on_sale"]],
            ("brand", "brand__slug"),
            ("vehicle_model", "slug"),
            period=("launched_on", "discontinued_on"),
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


def ecosystem_graph(*, node_kinds=(), edge_kinds=(), active_on=None, request=None):
    """The graph of the node and edge kinds asked for (see the module docstring)."""
    return EcosystemGraph(
        node_kinds=node_kinds or (),
        edge_kinds=edge_kinds or (),
        active_on=active_on,
        request=request,
    ).build()
