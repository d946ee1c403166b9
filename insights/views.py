"""Read-only analytics: deliveries over time, supplier dependencies, exposure."""

from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from catalog.filters import StrictFilterBackend, reject_unknown_params
from catalog.serializers import summary_of, supplier_of
from catalog.views import ErrorsAsJSONMixin
from insights import audit, filters, selectors, serializers
from vehicles.models import Brand, Delivery
from vehicles.selectors import brand_units, latest_year_of_figures, today


class InsightView(ErrorsAsJSONMixin, GenericAPIView):
    """An analysis over the rows a resource FilterSet selects; answers are not paginated.

    `response_serializer` is the answer's shape; its `results` give the CSV columns,
    which CSV shows even when there are no rows."""

    filter_backends = [StrictFilterBackend]
    response_serializer = None
    pagination_class = None

    def parse(self, request):
        """(filtered queryset, cleaned parameters), or a 400 naming what is wrong."""
        filterset = StrictFilterBackend().validated_filterset(request, self.get_queryset(), self)
        return filterset.qs, filterset.form.cleaned_data


class DeliverySeriesView(InsightView):
    """Delivered units over time, by alliance, brand or carmaker group.

    Takes every filter of /deliveries/ (alliance, brand, group, month range...). Alliance
    totals and brand figures are never added together: `figures` says which were used.
    A period with months missing is marked incomplete and lists them. An answer has at
    most 25,000 points (series times periods); a question that would need more is a 400
    saying how to narrow it.
    """

    queryset = Delivery.objects.all()
    filterset_class = filters.DeliverySeriesFilterSet

    response_serializer = serializers.DeliverySeriesSerializer

    @extend_schema(filters=True, responses={200: response_serializer})
    def get(self, request):
        deliveries, params = self.parse(request)
        group_by = params.get("group_by") or "alliance"
        period = params.get("period") or "month"
        try:
            first, last, points = selectors.delivery_series(
                deliveries,
                group_by=group_by,
                period=period,
                first_month=params.get("month__gte"),
                last_month=params.get("month__lte"),
                current_month=today().replace(day=1),
            )
        except selectors.TooManyPoints as error:
            raise ValidationError(
                {
                    "period": [
                        gettext(
                            "The answer would have %(points)s points (series times periods); "
                            "at most %(most)s are given at once. Narrow it: fewer months "
                            "(month__gte, month__lte), a longer period (quarter, year), or "
                            "fewer series (alliance, brand, group)."
                        )
                        % {
                            "points": f"{error.points:,}",
                            "most": f"{selectors.MAX_SERIES_POINTS:,}",
                        }
                    ]
                }
            ) from None
        for point in points:
            point["key"] = summary_of(*point["key"], request)
        return Response(
            self.response_serializer(
                {
                    "group_by": group_by,
                    "period": period,
                    "figures": selectors.FIGURES_USED[group_by],
                    "first_month": first,
                    "last_month": last,
                    "results": points,
                }
            ).data
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

    @extend_schema(filters=True, responses={200: response_serializer})
    def get(self, request):
        brands, params = self.parse(request)
        brands = Brand.objects.filter(pk__in=brands.values("pk"))
        weight_from = params.get("weight_from")
        weight_to = params.get("weight_to")
        if not (weight_from and weight_to):
            latest = latest_year_of_figures(brands)
            if latest:
                weight_from, weight_to = weight_from or latest[0], weight_to or latest[1]
        as_of = params.get("active_on") or today()
        return Response(
            self.response_serializer(
                {
                    "brands": brands.count(),
                    "weight_from": weight_from,
                    "weight_to": weight_to,
                    "as_of": as_of,
                    "results": selectors.dependencies(
                        brands,
                        layers=set(params.get("layer") or ()),
                        weight_from=weight_from,
                        weight_to=weight_to,
                        as_of=as_of,
                    ),
                }
            ).data
        )


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

    @extend_schema(filters=True, responses={200: response_serializer})
    def get(self, request):
        brands, params = self.parse(request)
        companies = list(params.get("company") or [])
        countries = sorted(params.get("country") or [])
        if not companies and not countries:
            raise ValidationError(
                {
                    "company": [
                        gettext("Give a supplier (company=<slug>) or a country (country=US).")
                    ]
                }
            )
        include = params.get("include_subsidiaries")
        include = True if include is None else include
        ids = {company.pk for company in companies}
        if include:
            ids = selectors.with_subsidiaries(ids)

        def supplier(path):
            condition = Q(**{f"{path}__in": ids}) if ids else Q()
            if countries:
                condition |= Q(**{f"{path}__country__in": countries})
            return condition

        as_of = params.get("as_of") or today()
        brands = Brand.objects.filter(pk__in=brands.values("pk"))
        hits, by_id = selectors.exposure(brands, supplier=supplier, as_of=as_of)
        month_from = params.get("month_from")
        month_to = params.get("month_to")
        if not (month_from and month_to):
            latest = latest_year_of_figures(brands.filter(pk__in=list(hits)))
            if latest:
                month_from, month_to = month_from or latest[0], month_to or latest[1]
        units = brand_units(list(hits), month_from, month_to) if month_from and month_to else {}
        results = []
        for brand_id, entry in sorted(hits.items(), key=lambda item: by_id[item[0]].name):
            brand = by_id[brand_id]
            brand_units_, months = units.get(brand_id, (None, 0))
            results.append(
                {
                    "brand": summary_of("brand", brand.slug, brand.name, request),
                    "group": supplier_of(
                        brand.group.slug, brand.group.name, brand.group.country, request
                    ),
                    "layers": sorted(entry["layers"]),
                    "vehicle_models": [
                        {
                            "vehicle_model": summary_of(
                                "vehiclemodel", model["slug"], model["name"], request
                            ),
                            "layers": sorted(model["layers"]),
                        }
                        for model in sorted(entry["models"].values(), key=lambda m: m["slug"])
                    ],
                    "partnerships": [
                        {
                            "partnership": summary_of("partnership", deal.slug, str(deal), request),
                            "partner": supplier_of(
                                deal.partner.slug, deal.partner.name, deal.partner.country, request
                            ),
                            "kind": deal.kind,
                        }
                        for deal in entry["partnerships"]
                    ],
                    "units": brand_units_,
                    "months_reported": months,
                }
            )
        return Response(
            self.response_serializer(
                {
                    "companies": [
                        supplier_of(company.slug, company.name, company.country, request)
                        for company in companies
                    ],
                    "countries": countries,
                    "include_subsidiaries": include,
                    "as_of": as_of,
                    "month_from": month_from,
                    "month_to": month_to,
                    "totals": {
                        "brands": len(results),
                        "vehicle_models": sum(len(r["vehicle_models"]) for r in results),
                        "brands_with_figures": sum(1 for r in results if r["units"] is not None),
                        "units": sum(r["units"] or 0 for r in results),
                    },
                    "results": results,
                }
            ).data
        )


class AuditView(ErrorsAsJSONMixin, GenericAPIView):
    """The consistency audit: what breaks a rule the database cannot enforce.

    Runs the checks of `manage.py audit_catalog` (alliance totals below their brands' sum,
    totals that disagree with their months, memberships or figures outside an alliance's
    life or membership, chips missing from a stack, uncited sources, facts with weak
    sources only, stale open relations). Each finding names its rule and its records;
    one the catalog knowingly keeps is marked accepted, with the reason. JSON only.
    """

    renderer_classes = [JSONRenderer]
    filter_backends = []
    pagination_class = None
    query_serializer = serializers.AuditQuerySerializer
    response_serializer = serializers.AuditSerializer

    @extend_schema(parameters=[query_serializer], responses={200: response_serializer})
    def get(self, request):
        query = self.query_serializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        reject_unknown_params(request, query.fields, ["rule"])
        data = audit.report_as_data(audit.run_audit(rules=query.validated_data.get("rule")))
        accepted = query.validated_data.get("accepted")
        if accepted is not None:
            data["findings"] = [f for f in data["findings"] if f["accepted"] == accepted]
        for finding in data["findings"]:
            for record in finding["records"]:
                record["url"] = record_url(record, request)
        return Response(self.response_serializer(data).data)


def record_url(record, request):
    """The API address of an audited record, or None for a kind the API does not serve."""
    try:
        path = reverse(f"{record['kind']}-detail", kwargs={"slug": record["slug"]})
    except NoReverseMatch:
        return None
    return request.build_absolute_uri(path)
