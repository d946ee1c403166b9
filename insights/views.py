"""Read-only analytics: deliveries over time, supplier dependencies, exposure, the
ecosystem graph, a brand's stack and the consistency audit.

Each view declares its parameters as a FilterSet (insights.filters) that the strict
backend validates, as every list does; a selector (insights.selectors) builds the answer.
"""

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView, get_object_or_404
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from catalog.filters import StrictFilterBackend
from catalog.values import format_month
from catalog.views import ErrorsAsJSONMixin, KeptAnswersMixin
from insights import filters, serializers
from insights.renderers import GraphMLRenderer
from insights.selectors import audit, deliveries, graph, stack, suppliers
from vehicles.models import Brand, Delivery
from vehicles.selectors import today


class InsightView(KeptAnswersMixin, ErrorsAsJSONMixin, GenericAPIView):
    """An answer built from the parameters its FilterSet declares; not paginated.

    `queryset`, when set, is the rows the FilterSet selects (a ParameterSet selects none);
    `answer()` has a selector build the answer from them and the parameters given.
    `response_serializer` is the answer's shape; its `results` give the CSV columns,
    which CSV shows even when there are no rows."""

    filter_backends = [StrictFilterBackend]
    pagination_class = None
    queryset = None
    response_serializer = None

    # No docstring here: the document describes each operation by its view's docstring.
    @extend_schema(filters=True)
    def get(self, request, **kwargs):
        rows, params = self.parse(request)
        return Response(self.represent(self.answer(rows, params, **kwargs)))

    def represent(self, answer):
        """The answer as `response_serializer` represents it."""
        return self.response_serializer(answer).data

    def get_serializer_class(self):
        """The answer's shape, which the document gives as the 200 answer."""
        return self.response_serializer

    def parse(self, request):
        """(the rows selected, or None; the parameters given, cleaned), or a 400 naming
        what is wrong."""
        rows = None if self.queryset is None else self.get_queryset()
        filterset = StrictFilterBackend().validated_filterset(request, rows, self)
        return (None if rows is None else filterset.qs), filterset.form.cleaned_data

    def answer(self, rows, params, **kwargs):
        """The answer, from a selector; `kwargs` are the URL's (a brand's slug)."""
        raise NotImplementedError


# What shapes a series rather than choosing its figures (the months bound both).
SERIES_PARAMETERS = {"group_by", "period", "month__gte", "month__lte"}


class DeliverySeriesView(InsightView):
    """Delivered units over time, by alliance, brand or carmaker group.

    Takes the filters of /deliveries/ that choose whole series (alliance, brand, group,
    their negations and isnull) and the window (month__gte, month__lte); filters choosing
    single monthly figures would make months they set aside read as missing, and are
    refused. A window beginning after the current month is refused: no figure can be in
    it yet. Alliance totals and brand figures are never added together: `figures` says
    which were used.
    A period with months missing is marked incomplete and lists them. An answer has at
    most 25,000 points (series times periods); a question that would need more is a 400
    saying how to narrow it.
    """

    queryset = Delivery.objects.all()
    filterset_class = filters.DeliverySeriesFilterSet
    response_serializer = serializers.DeliverySeriesSerializer

    def represent(self, answer):
        # The selector builds its tens of thousands of points as the serializer represents
        # them (tests/test_insights.py holds it to that), rather than field by field again.
        return answer

    def answer(self, rows, params):
        first = params.get("month__gte")
        if first and first > today().replace(day=1):
            raise ValidationError(
                {
                    "month__gte": [
                        gettext(
                            "%(month)s is after the current month (%(current)s): no figure "
                            "can be reported for it yet."
                        )
                        % {"month": format_month(first), "current": format_month(today())}
                    ]
                }
            )
        try:
            return deliveries.delivery_series_answer(
                rows,
                group_by=params.get("group_by"),
                period=params.get("period"),
                first_month=params.get("month__gte"),
                last_month=params.get("month__lte"),
                request=self.request,
                every_figure=not any(
                    value not in (None, "", [])
                    for name, value in params.items()
                    if name not in SERIES_PARAMETERS
                ),
            )
        except deliveries.TooManyPoints as error:
            raise ValidationError({"period": [str(error)]}) from None


def reversed_window(error, first_name, last_name):
    """The 400 for a window whose given end and default end are reversed, naming the end
    given (the other is the brands' latest year of figures)."""
    given, other = (first_name, last_name) if error.first_given else (last_name, first_name)
    months = {first_name: error.first_month, last_name: error.last_month}
    return ValidationError(
        {
            given: [
                gettext(
                    "The window would end before it begins: %(given)s is %(month)s, and "
                    "%(other)s, left out, is %(default)s (the latest year of figures). Give "
                    "both ends."
                )
                % {
                    "given": given,
                    "month": format_month(months[given]),
                    "other": other,
                    "default": format_month(months[other]),
                }
            ]
        }
    )


class DependenciesView(InsightView):
    """How much of the brands' smart stack relies on domestic (CN) and foreign suppliers.

    Takes every filter of /brands/ to choose the brands. For each layer (cockpit OS,
    driver-assist stack, driver-assist, cockpit and connectivity chips, telecom partners)
    it gives the share of brands and of vehicle models relying on suppliers from China
    and from elsewhere, by supplier country, and the same weighted by the brands'
    deliveries, saying how much of the weight is covered by reported figures.
    """

    queryset = Brand.objects.all()
    filterset_class = filters.DependencyFilterSet
    response_serializer = serializers.DependenciesSerializer

    def answer(self, brands, params):
        try:
            return suppliers.dependencies_answer(
                brands,
                layers=params.get("layer") or (),
                weight_from=params.get("weight_from"),
                weight_to=params.get("weight_to"),
                as_of=params.get("active_on"),
            )
        except suppliers.ReversedWindow as error:
            raise reversed_window(error, "weight_from", "weight_to") from None


class ExposureView(InsightView):
    """What would be hit if a supplier, or every supplier of a country, were cut off.

    Give `company` (with its subsidiaries unless include_subsidiaries=false) or
    `country`; any /brands/ filter narrows the brands considered. Answers the brands,
    their vehicle models on sale and the layers involved, the partnerships in force, and
    each brand's deliveries in the period.
    """

    queryset = Brand.objects.all()
    filterset_class = filters.ExposureFilterSet
    response_serializer = serializers.ExposureSerializer

    def answer(self, brands, params):
        if not params.get("company") and not params.get("country"):
            raise ValidationError(
                {
                    "company": [
                        gettext("Give a supplier (company=<slug>) or a country (country=US).")
                    ]
                }
            )
        try:
            return suppliers.exposure_answer(
                brands,
                companies=params.get("company") or (),
                countries=params.get("country") or (),
                include_subsidiaries=params.get("include_subsidiaries"),
                month_from=params.get("month_from"),
                month_to=params.get("month_to"),
                as_of=params.get("as_of"),
                request=self.request,
            )
        except suppliers.ReversedWindow as error:
            raise reversed_window(error, "month_from", "month_to") from None


GRAPHML_ANSWER = {
    "type": "string",
    "description": (
        "GraphML 1.0, directed: the same nodes and edges, their fields as typed <data>; "
        "lists joined with ';', null values left out."
    ),
}


@extend_schema_view(
    get=extend_schema(
        filters=True,
        responses={
            (200, "application/json"): OpenApiResponse(
                serializers.GraphSerializer,
                description="The graph: nodes, edges and their counts.",
            ),
            (200, "application/graphml+xml"): OpenApiResponse(
                GRAPHML_ANSWER, description="The graph: nodes, edges and their counts."
            ),
        },
    )
)
class GraphView(InsightView):
    """The ecosystem as a graph of companies, brands, alliances and products.

    Nodes are "<kind>:<slug>"; edges carry their kind, dates, sources and the attributes
    of their kind. Without `node_kind`, vehicle models are left out and only linked
    nodes are shown; with it, every node of the kinds listed. As JSON, or as GraphML
    (`?format=graphml` or `Accept: application/graphml+xml`) for networkx and Gephi.
    """

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, GraphMLRenderer]
    filterset_class = filters.GraphFilterSet
    response_serializer = serializers.GraphSerializer

    def answer(self, _rows, params):
        return graph.ecosystem_graph(
            node_kinds=params.get("node_kind"),
            edge_kinds=params.get("edge_kind"),
            active_on=params.get("active_on"),
            request=self.request,
        )


@extend_schema_view(
    get=extend_schema(
        filters=True,
        summary="A brand's smart stack: cockpit OS, driver assist, chips and partners, by "
        "supplier country",
    )
)
class StackView(InsightView):
    """A brand's smart stack on a date, layer by layer, with its suppliers' countries.

    For each layer (cockpit OS, driver-assist stack, ADAS, cockpit and connectivity
    chips) the products the brand's vehicle models on sale use, each with its supplier
    and how many models use it, and how many models rely on suppliers from each
    country; then the partnerships in force. `as_of` picks the date (default today).
    """

    queryset = Brand.objects.select_related("group")
    filterset_class = filters.BrandStackFilterSet
    response_serializer = serializers.BrandStackSerializer

    def answer(self, brands, params, slug, format=None):
        brand = get_object_or_404(brands, slug=slug)
        return stack.brand_stack(brand, as_of=params.get("as_of"), request=self.request)


class AuditView(InsightView):
    """The consistency audit: what breaks a rule the database cannot enforce.

    Runs the checks of `manage.py audit_catalog` (alliance totals below their brands' sum,
    totals that disagree with their months, memberships or figures outside an alliance's
    life or membership, chips missing from a stack, uncited sources, facts with weak
    sources only, stale open relations). Each finding names its rule and its records;
    one the catalog knowingly keeps is marked accepted, with the reason. JSON only.
    """

    renderer_classes = [JSONRenderer]
    filterset_class = filters.AuditFilterSet
    response_serializer = serializers.AuditSerializer

    def answer(self, _rows, params):
        return audit.audit_answer(
            rules=params.get("rule"), accepted=params.get("accepted"), request=self.request
        )
