"""The explorer's pages: server-rendered, read-only, open to anyone.

Every number comes from the API's own reads: a section of a page is an API list (its
viewset's queryset, FilterSet, ordering and serializer, with the filters its "API" link
shows), a chart is the insight selector the insight endpoint calls with the same
parameters. Pages link to the API request and the CSV that give the same data.
"""

from dataclasses import dataclass, field
from functools import wraps
from urllib.parse import urlencode

from django.db.models import Max
from django.http import Http404, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import ValidationError

from catalog.filters import invalid_filters, query_errors
from insights import filters as insight_filters
from insights.selectors import deliveries, stack, suppliers
from insights.selectors.graph import EDGE_KINDS, NODE_KINDS, ecosystem_graph
from insights.serializers import BrandStackSerializer
from insights.views import reversed_window
from partners.views import (
    AllianceViewSet,
    ChipViewSet,
    CompanyViewSet,
    DriverAssistStackViewSet,
    OperatingSystemViewSet,
)
from vehicles.models import Delivery
from vehicles.selectors import HOME_COUNTRY, today
from vehicles.views import (
    AllianceMembershipViewSet,
    BrandViewSet,
    DeliveryTotalViewSet,
    PartnershipViewSet,
    VehicleModelViewSet,
)

API_ROOT = "/api/v1/"
SEARCH_LIMIT = 20
SECTION_LIMIT = 50


def api_url(resource, params=None, **extra):
    """The API request for a resource path and parameters (lists repeat the parameter)."""
    query = urlencode({**(params or {}), **extra}, doseq=True)
    return f"{API_ROOT}{resource}/" + (f"?{query}" if query else "")


@dataclass(frozen=True)
class Kind:
    """A kind of catalog row with a page: its API resource and how the API reads it."""

    resource: str
    viewset: type
    noun: str
    plural: str

    @property
    def model(self):
        return self.viewset.queryset.model


KINDS = {
    kind.resource: kind
    for kind in [
        Kind("brands", BrandViewSet, "brand", "brands"),
        Kind("companies", CompanyViewSet, "company", "companies"),
        Kind("alliances", AllianceViewSet, "alliance", "alliances"),
        Kind("vehicle-models", VehicleModelViewSet, "vehicle model", "vehicle models"),
        Kind("chips", ChipViewSet, "chip", "chips"),
        Kind(
            "driver-assist-stacks",
            DriverAssistStackViewSet,
            "driver-assist stack",
            "driver-assist stacks",
        ),
        Kind("operating-systems", OperatingSystemViewSet, "operating system", "operating systems"),
    ]
}
SEARCHED = ["brands", "companies", "alliances", "vehicle-models", "chips"]
# Fields a page shows elsewhere than in its facts table.
NOT_FACTS = {"url", "slug", "name", "sources", "created", "updated"}


class BadRequest(Exception):
    """A query parameter the page cannot answer; shown as a 400 page naming it."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


def valid(filterset):
    """The bound FilterSet, or the 400 page naming each value it refused."""
    if not filterset.is_valid():
        raise invalid_filters(filterset.errors)
    return filterset


def form_values(request):
    """The query as the page's own form sends it: a field left empty (a date cleared,
    a form sent without JavaScript) is not given, and the page's default holds. The API
    refuses an empty value; a form cannot leave a field out."""
    filled = QueryDict(mutable=True)
    for name, values in request.GET.lists():
        given = [value for value in values if value.strip()]
        if given:
            filled.setlist(name, given)
    return filled


def read_query(request, accepted, filterset=None, repeatable=()):
    """The page's query checked at once: the bound `filterset` (if any), valid, or the
    400 page naming every problem together, so one correction fixes the address: each
    parameter the page does not take, each one given more than once that takes one
    value (Django would silently read the last), and each value the FilterSet refused.
    Every page that reads its query reads it through here."""
    errors = query_errors(request.GET, accepted, repeatable)
    if filterset is not None and not filterset.is_valid():
        # A parameter refused above is named for that alone: the FilterSet read only the
        # last of repeated values, and may have filters the page does not offer.
        for name, messages in invalid_filters(filterset.errors).detail.items():
            errors.setdefault(name, messages)
    if errors:
        raise BadRequest(errors)
    return filterset


@dataclass
class Section:
    """The rows one API list request answers, as a table on a page."""

    title: str
    resource: str
    params: dict
    columns: list
    rows: list = field(default_factory=list)
    count: int = 0

    @property
    def api(self):
        return api_url(self.resource, self.params)

    @property
    def csv(self):
        return api_url(self.resource, self.params, format="csv")

    @property
    def truncated(self):
        return self.count > len(self.rows)


def query_dict(params):
    query = QueryDict(mutable=True)
    for name, value in params.items():
        query.setlist(name, value if isinstance(value, list) else [value])
    return query


def filtered(viewset, params, request):
    """The viewset's queryset through its FilterSet, in its default order: the API's list."""
    filterset = viewset.filterset_class(
        data=query_dict(params), queryset=viewset.queryset.all(), request=request
    )
    valid(filterset)
    return filterset.qs.order_by(*viewset.ordering)


def section(request, resource, title, params, columns, limit=SECTION_LIMIT):
    """An API list's first rows and total count, serialized as the API serializes them."""
    viewset = KINDS[resource].viewset if resource in KINDS else SECTION_VIEWSETS[resource]
    queryset = filtered(viewset, params, request)
    rows = viewset.serializer_class(queryset[:limit], many=True, context={"request": request}).data
    return Section(title, resource, params, columns, rows, queryset.count())


SECTION_VIEWSETS = {
    "alliance-memberships": AllianceMembershipViewSet,
    "partnerships": PartnershipViewSet,
    "delivery-totals": DeliveryTotalViewSet,
}


# A page reads; anything else (a form post, OPTIONS) is refused, as the API refuses OPTIONS.
SAFE_METHODS = ("GET", "HEAD")


def bad_request(request, errors):
    return render(request, "explorer/bad_request.html", {"errors": errors}, status=400)


def page(view):
    """A read-only page: GET and HEAD only (405 naming them otherwise), a 404 as a page
    saying what was not found, and a BadRequest raised while reading as a 400 page naming
    each parameter.

    CSRF-exempt because it never writes: a POST is told the page only reads (405), not
    that its token was missing (403). The 404 is drawn here because the project's 404
    handler answers the API's JSON to a client that does not ask for HTML."""

    @csrf_exempt
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in SAFE_METHODS:
            response = render(
                request,
                "explorer/not_allowed.html",
                {"method": request.method, "allowed": SAFE_METHODS},
                status=405,
            )
            response["Allow"] = ", ".join(SAFE_METHODS)
            return response
        try:
            return view(request, *args, **kwargs)
        except BadRequest as error:
            return bad_request(request, error.errors)
        except ValidationError as error:
            return bad_request(request, error.detail)
        except Http404 as error:
            return render(request, "explorer/not_found.html", {"message": error}, status=404)

    return wrapped


# --- home and search ---------------------------------------------------------------------


@page
def home(request):
    """What the catalog holds, the latest month reported, and search by name."""
    read_query(request, {"q"})
    query = request.GET.get("q", "").strip()
    results = []
    if query:
        for resource in SEARCHED:
            kind = KINDS[resource]
            results.append(
                section(
                    request,
                    resource,
                    kind.plural.capitalize(),
                    {"q": query},
                    ["name", "name_zh"],
                    limit=SEARCH_LIMIT,
                )
            )
    counts = [
        {
            "kind": kind,
            "count": kind.model.objects.count(),
            "api": api_url(kind.resource),
            "csv": api_url(kind.resource, format="csv"),
        }
        for kind in KINDS.values()
    ]
    latest = Delivery.objects.aggregate(month=Max("month"))["month"]
    alliances = section(request, "alliances", "Alliances", {}, ["name", "name_zh", "leader"])
    return render(
        request,
        "explorer/home.html",
        {
            "query": query,
            "results": results,
            "found": sum(result.count for result in results),
            "counts": counts,
            "latest_month": latest,
            "alliances": alliances,
            "brands": KINDS["brands"].model.objects.order_by("name").values("slug", "name"),
            "deliveries_api": api_url("deliveries"),
        },
    )


# --- a page per row ----------------------------------------------------------------------


def entity(request, resource, slug):
    """The row as the API's detail serializes it, or a 404."""
    kind = KINDS[resource]
    read_query(request, ())
    obj = kind.viewset.queryset.filter(slug=slug).first()
    if obj is None:
        raise Http404(f"No {kind.noun} '{slug}'.")
    data = kind.viewset.serializer_class(obj, context={"request": request}).data
    return obj, data


def entity_page(request, resource, obj, data, *, sections=(), chart=None, extra=None):
    kind = KINDS[resource]
    facts = [(name, value) for name, value in data.items() if name not in NOT_FACTS]
    context = {
        "kind": kind,
        "obj": obj,
        "data": data,
        "facts": facts,
        "sections": sections,
        "chart": chart,
        "api": api_url(f"{resource}/{obj.slug}"),
        "csv": api_url(f"{resource}/{obj.slug}", format="csv"),
        **(extra or {}),
    }
    return render(request, "explorer/entity.html", context)


def delivery_chart(request, **params):
    """Monthly deliveries as /insights/deliveries/ answers them for these parameters,
    laid out for the chart and its table; a month without a figure stays empty."""
    filterset = insight_filters.DeliverySeriesFilterSet(
        data=query_dict(params), queryset=Delivery.objects.all(), request=request
    )
    valid(filterset)
    cleaned = filterset.form.cleaned_data
    first, last, points = deliveries.delivery_series(
        filterset.qs,
        group_by=cleaned.get("group_by") or "alliance",
        period="month",
        first_month=cleaned.get("month__gte"),
        last_month=cleaned.get("month__lte"),
        current_month=today().replace(day=1),
        request=request,
    )
    if not points:
        return None
    return {
        "first_month": first,
        "last_month": last,
        "points": points,
        "reported": sum(1 for point in points if point["units"] is not None),
        "missing": sum(1 for point in points if point["units"] is None),
        "data": {
            "label": points[0]["key"]["name"],
            "months": [point["period"] for point in points],
            "units": [point["units"] for point in points],
            "precision": [point["precision"] for point in points],
            "computed": [point["computed_figures"] > 0 for point in points],
        },
        "api": api_url("insights/deliveries", params),
        "csv": api_url("insights/deliveries", params, format="csv"),
    }


@page
def brand(request, slug):
    """A brand: its facts, models, alliances, partnerships and monthly deliveries."""
    obj, data = entity(request, "brands", slug)
    sections = [
        section(
            request,
            "vehicle-models",
            "Vehicle models",
            {"brand": slug},
            ["name", "powertrain", "launched_on", "discontinued_on", "cockpit_os", "adas_stack"],
        ),
        section(
            request,
            "alliance-memberships",
            "Alliance memberships",
            {"brand": slug},
            ["alliance", "joined_on", "left_on", "sources"],
        ),
        section(
            request,
            "partnerships",
            "Partnerships of the brand",
            {"brand": slug},
            ["partner", "kind", "scope", "announced_on", "started_on", "ended_on", "sources"],
        ),
        section(
            request,
            "partnerships",
            f"Group-wide partnerships of {obj.group.name}",
            {"carmaker": obj.group.slug},
            ["partner", "kind", "scope", "announced_on", "started_on", "ended_on", "sources"],
        ),
        section(
            request,
            "delivery-totals",
            "Deliveries over periods",
            {"brand": slug},
            ["first_month", "last_month", "units", "precision", "computed", "alliance", "sources"],
        ),
    ]
    chart = delivery_chart(request, brand=slug, group_by="brand")
    return entity_page(
        request,
        "brands",
        obj,
        data,
        sections=sections,
        chart=chart,
        extra={"stack_url": reverse("explorer:brand-stack", args=[slug])},
    )


@page
def alliance(request, slug):
    """An alliance: its facts, its members with their dates, and its monthly deliveries."""
    obj, data = entity(request, "alliances", slug)
    sections = [
        section(
            request,
            "alliance-memberships",
            "Members",
            {"alliance": slug},
            ["brand", "joined_on", "left_on", "note", "sources"],
        ),
        section(
            request,
            "delivery-totals",
            "Deliveries over periods",
            {"alliance": slug},
            ["first_month", "last_month", "units", "precision", "computed", "brand", "sources"],
        ),
    ]
    chart = delivery_chart(request, alliance=slug, group_by="alliance")
    return entity_page(request, "alliances", obj, data, sections=sections, chart=chart)


@page
def company(request, slug):
    """A company: its facts, what it owns, makes and supplies, and its partnerships."""
    obj, data = entity(request, "companies", slug)
    sections = [
        section(request, "companies", "Subsidiaries", {"parent": slug}, ["name", "country"]),
        section(request, "brands", "Brands", {"group": slug}, ["name", "name_zh", "launched"]),
        section(
            request, "alliances", "Alliances led", {"leader": slug}, ["name", "kind", "founded_on"]
        ),
        section(
            request,
            "operating-systems",
            "Operating systems",
            {"vendor": slug},
            ["name", "base", "first_release"],
        ),
        section(
            request,
            "driver-assist-stacks",
            "Driver-assist stacks",
            {"vendor": slug},
            ["name", "level", "released"],
        ),
        section(
            request,
            "chips",
            "Chips designed",
            {"designer": slug},
            ["name", "category", "process_nm", "ai_tops"],
        ),
        section(
            request,
            "chips",
            "Chips manufactured",
            {"foundry": slug},
            ["name", "designer", "category", "process_nm"],
        ),
        section(
            request,
            "partnerships",
            "Partnerships as supplier or partner",
            {"partner": slug},
            ["brand", "carmaker", "kind", "started_on", "ended_on", "sources"],
        ),
        section(
            request,
            "partnerships",
            "Group-wide partnerships as carmaker",
            {"carmaker": slug},
            ["partner", "kind", "started_on", "ended_on", "sources"],
        ),
    ]
    return entity_page(request, "companies", obj, data, sections=sections)


MODEL_COLUMNS = ["name", "brand", "powertrain", "launched_on", "discontinued_on"]


@page
def vehicle_model(request, slug):
    """A vehicle model: its facts, among them its OS, driver-assist stack and chips."""
    obj, data = entity(request, "vehicle-models", slug)
    return entity_page(
        request,
        "vehicle-models",
        obj,
        data,
        extra={"stack_url": reverse("explorer:brand-stack", args=[obj.brand.slug])},
    )


@page
def chip(request, slug):
    """A chip: its facts, the stacks that compute on it and the models fitted with it."""
    obj, data = entity(request, "chips", slug)
    sections = [
        section(
            request,
            "driver-assist-stacks",
            "Driver-assist stacks computing on it",
            {"compute_chip": slug},
            ["name", "vendor", "level"],
        ),
        section(request, "vehicle-models", "Vehicle models fitted", {"chip": slug}, MODEL_COLUMNS),
    ]
    return entity_page(request, "chips", obj, data, sections=sections)


def stack_part_page(name, resource, link, description):
    """The page of a part of the smart stack that vehicle models link to as `link`: its
    facts and the vehicle models running it."""

    def view(request, slug):
        obj, data = entity(request, resource, slug)
        sections = [
            section(
                request, "vehicle-models", "Vehicle models running it", {link: slug}, MODEL_COLUMNS
            ),
        ]
        return entity_page(request, resource, obj, data, sections=sections)

    view.__name__ = name
    view.__doc__ = description
    return page(view)


driver_assist_stack = stack_part_page(
    "driver_assist_stack",
    "driver-assist-stacks",
    "adas_stack",
    "A driver-assist stack: its facts and the vehicle models running it.",
)
operating_system = stack_part_page(
    "operating_system",
    "operating-systems",
    "cockpit_os",
    "A cockpit operating system: its facts and the vehicle models running it.",
)


# --- across the catalog ------------------------------------------------------------------


@page
def brand_stack(request, slug):
    """A brand's smart stack on a date, as /brands/<slug>/stack/ answers it."""
    filterset = read_query(
        request,
        {"as_of"},
        insight_filters.BrandStackFilterSet(data=form_values(request), request=request),
    )
    obj = BrandViewSet.queryset.filter(slug=slug).first()
    if obj is None:
        raise Http404(f"No brand '{slug}'.")
    answer = stack.brand_stack(obj, as_of=filterset.form.cleaned_data.get("as_of"), request=request)
    as_of = answer["as_of"]
    params = {"as_of": as_of.isoformat()} if "as_of" in form_values(request) else {}
    return render(
        request,
        "explorer/stack.html",
        {
            "brand": obj,
            "stack": BrandStackSerializer(answer).data,
            "as_of": as_of,
            "api": api_url(f"brands/{slug}/stack", params),
            "csv": api_url(f"brands/{slug}/stack", params, format="csv"),
        },
    )


@page
def dependencies(request):
    """Per layer, how many brands (and how much of their deliveries) rely on domestic and
    foreign suppliers, by country: /insights/dependencies/ for the whole catalog."""
    values = form_values(request)
    params = {name: values.getlist(name) for name in values}
    filterset = read_query(
        request,
        {"active_on", "weight_from", "weight_to"},
        insight_filters.DependencyFilterSet(
            data=values, queryset=BrandViewSet.queryset.all(), request=request
        ),
    )
    cleaned = filterset.form.cleaned_data
    try:
        answer = suppliers.dependencies_answer(
            filterset.qs,
            weight_from=cleaned.get("weight_from"),
            weight_to=cleaned.get("weight_to"),
            as_of=cleaned.get("active_on"),
        )
    except suppliers.ReversedWindow as error:
        raise reversed_window(error, "weight_from", "weight_to") from None
    layers = answer["results"]
    countries = sorted(
        {row["country"] for layer in layers for row in layer["by_country"]},
        key=lambda country: (country != HOME_COUNTRY, country),
    )
    by_layer = [{row["country"]: row for row in layer["by_country"]} for layer in layers]
    chart = {
        "layers": [layer["description"] for layer in layers],
        "countries": countries,
        "brand_share": {
            country: [rows.get(country, {}).get("brand_share") for rows in by_layer]
            for country in countries
        },
        "weighted_share": {
            country: [rows.get(country, {}).get("weighted_share") for rows in by_layer]
            for country in countries
        },
    }
    return render(
        request,
        "explorer/dependencies.html",
        {
            "layers": layers,
            "chart": chart,
            "brands": answer["brands"],
            "weight_from": answer["weight_from"],
            "weight_to": answer["weight_to"],
            "as_of": answer["as_of"],
            "api": api_url("insights/dependencies", params),
            "csv": api_url("insights/dependencies", params, format="csv"),
        },
    )


@page
def graph(request):
    """The ecosystem graph, filtered by node kind, edge kind and date: the graph endpoint's
    answer, drawn by the browser, and as tables without JavaScript."""
    filterset = read_query(
        request,
        {"node_kind", "edge_kind", "active_on"},
        insight_filters.GraphFilterSet(data=form_values(request), request=request),
        repeatable={"node_kind", "edge_kind"},  # one kind each: "repeat for more"
    )
    chosen = filterset.form.cleaned_data
    answer = ecosystem_graph(
        node_kinds=chosen.get("node_kind"),
        edge_kinds=chosen.get("edge_kind"),
        active_on=chosen.get("active_on"),
        request=request,
    )
    params = {name: request.GET.getlist(name) for name in request.GET if request.GET.get(name)}
    labels = {node["id"]: node["name"] for node in answer["nodes"]}
    return render(
        request,
        "explorer/graph.html",
        {
            "answer": answer,
            "labels": labels,
            "node_kinds": NODE_KINDS,
            "edge_kinds": EDGE_KINDS,
            "chosen_nodes": set(chosen.get("node_kind") or ()),
            "chosen_edges": set(chosen.get("edge_kind") or ()),
            "active_on": chosen.get("active_on"),
            "api": api_url("insights/graph", params),
            "graphml": api_url("insights/graph", params, format="graphml"),
        },
    )
