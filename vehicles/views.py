from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from catalog.filters import reject_unknown_params
from catalog.serializers import DateField
from catalog.views import CatalogViewSet
from partners.views import SOURCES
from vehicles import filters, serializers
from vehicles.models import (
    AllianceMembership,
    Brand,
    Delivery,
    DeliveryGap,
    DeliveryTotal,
    Partnership,
    VehicleModel,
    VehicleModelChip,
)
from vehicles.selectors import today


class AsOfSerializer(drf_serializers.Serializer):
    as_of = DateField(
        required=False,
        help_text=(
            "Answer for this date (YYYY-MM-DD) from the dated links; default: today. Both "
            "ends of a period are inclusive: a link that ends on this date is in force on it."
        ),
    )


class BrandViewSet(CatalogViewSet):
    """Car brands and the groups that own them."""

    queryset = Brand.objects.select_related("group").prefetch_related(SOURCES)
    serializer_class = serializers.BrandSerializer
    filterset_class = filters.BrandFilterSet
    ordering_fields = ["slug", "name", "launched", "created", "updated"]
    ordering = ["name"]

    @extend_schema(
        parameters=[AsOfSerializer],
        responses={200: serializers.BrandStackSerializer},
        summary="A brand's smart stack: cockpit OS, driver assist, chips and partners, by supplier country",
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def stack(self, request, slug=None):
        """A brand's smart stack on a date, layer by layer, with its suppliers' countries.

        For each layer (cockpit OS, driver-assist stack, ADAS, cockpit and connectivity
        chips) the products the brand's vehicle models on sale use, each with its supplier
        and how many models use it, and how many models rely on suppliers from each
        country; then the partnerships in force. `as_of` picks the date (default today).
        """
        query = AsOfSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        reject_unknown_params(request, query.fields)
        brand = self.get_object()
        as_of = query.validated_data.get("as_of") or today()
        return Response(serializers.BrandStackSerializer.build(brand, as_of, request))


class VehicleModelViewSet(CatalogViewSet):
    """Vehicle models with their cockpit OS, driver-assist stack and chips."""

    queryset = VehicleModel.objects.select_related(
        "brand", "cockpit_os", "adas_stack"
    ).prefetch_related(
        # One query for all fittings of the page, with their chips joined in.
        Prefetch("chip_fittings", queryset=VehicleModelChip.objects.select_related("chip")),
        SOURCES,
    )
    serializer_class = serializers.VehicleModelSerializer
    filterset_class = filters.VehicleModelFilterSet
    ordering_fields = [
        "slug",
        "name",
        "launched_on",
        "price_min_cny",
        "price_max_cny",
        "created",
        "updated",
    ]
    ordering = ["slug"]


class PartnershipViewSet(CatalogViewSet):
    """Dated supply and cooperation deals between brands (or groups) and partners."""

    queryset = Partnership.objects.select_related("brand", "carmaker", "partner").prefetch_related(
        SOURCES
    )
    serializer_class = serializers.PartnershipSerializer
    filterset_class = filters.PartnershipFilterSet
    ordering_fields = ["slug", "announced_on", "started_on", "ended_on", "created", "updated"]
    ordering = ["slug"]


class AllianceMembershipViewSet(CatalogViewSet):
    """Brands' dated memberships of alliances and cooperation models."""

    queryset = AllianceMembership.objects.select_related("alliance", "brand").prefetch_related(
        SOURCES
    )
    serializer_class = serializers.AllianceMembershipSerializer
    filterset_class = filters.AllianceMembershipFilterSet
    ordering_fields = ["slug", "joined_on", "left_on", "created", "updated"]
    ordering = ["slug"]


class DeliveryViewSet(CatalogViewSet):
    """Monthly delivered units, as alliance totals or brand figures."""

    queryset = Delivery.objects.select_related("alliance", "brand").prefetch_related(SOURCES)
    serializer_class = serializers.DeliverySerializer
    filterset_class = filters.DeliveryFilterSet
    ordering_fields = ["slug", "month", "units", "created", "updated"]
    ordering = ["-month", "slug"]


class DeliveryTotalViewSet(CatalogViewSet):
    """Delivered units over periods of several months, as reported (never split)."""

    queryset = DeliveryTotal.objects.select_related("alliance", "brand").prefetch_related(SOURCES)
    serializer_class = serializers.DeliveryTotalSerializer
    filterset_class = filters.DeliveryTotalFilterSet
    ordering_fields = ["slug", "first_month", "last_month", "units", "created", "updated"]
    ordering = ["-last_month", "slug"]


class DeliveryGapViewSet(CatalogViewSet):
    """Months known to have no figure for a reporter, with the reason."""

    queryset = DeliveryGap.objects.select_related("alliance", "brand").prefetch_related(SOURCES)
    serializer_class = serializers.DeliveryGapSerializer
    filterset_class = filters.DeliveryGapFilterSet
    ordering_fields = ["slug", "month", "created", "updated"]
    ordering = ["-month", "slug"]
