from django.db.models import Prefetch

from catalog.page_values import PAGE_VALUES, Values, cache
from catalog.views import CatalogViewSet
from partners.models import Chip
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


class BrandViewSet(CatalogViewSet):
    """Car brands and the groups that own them."""

    queryset = Brand.objects.select_related("group").prefetch_related(SOURCES)
    serializer_class = serializers.BrandSerializer
    filterset_class = filters.BrandFilterSet
    ordering_fields = ["slug", "name", "launched", "created", "updated"]
    ordering = ["name"]


class ChipValues(Values):
    _meta = Chip._meta  # detail_url reads the model's name

    def __str__(self):
        return self.name  # as a chip's own


def attach_fittings(vehicle_models):
    """Each vehicle model's chip fittings, in their order, as ChipFittingSerializer reads
    them (one values() query)."""
    rows = VehicleModelChip.objects.filter(vehicle_model__in=vehicle_models).values_list(
        "vehicle_model_id", "chip__slug", "chip__name", "role", "quantity"
    )

    def fitting(slug, name, role, quantity):
        return Values(chip=ChipValues(slug=slug, name=name), role=role, quantity=quantity)

    cache(vehicle_models, "chip_fittings", rows, fitting)


class VehicleModelViewSet(CatalogViewSet):
    """Vehicle models with their cockpit OS, driver-assist stack and chips."""

    queryset = VehicleModel.objects.select_related(
        "brand", "cockpit_os", "adas_stack"
    ).prefetch_related(
        # One query for all fittings of the page, with their chips joined in.
        # Only the columns the fitting and the chip's summary show.
        Prefetch(
            "chip_fittings",
            queryset=VehicleModelChip.objects.select_related("chip").only(
                "vehicle_model", "role", "quantity", "chip__slug", "chip__name"
            ),
        ),
        SOURCES,
    )
    serializer_class = serializers.VehicleModelSerializer
    filterset_class = filters.VehicleModelFilterSet

    # A page's fittings and sources are read with values(): see catalog/page_values.py.
    page_values = {**PAGE_VALUES, "chip_fittings": attach_fittings}

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
