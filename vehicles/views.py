from django.db.models import Prefetch

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


class ChipSummary:
    """A chip as its summary reads it (slug, name, the model for its URL), from values()."""

    __slots__ = ("name", "slug")
    _meta = Chip._meta

    def __init__(self, slug, name):
        self.slug, self.name = slug, name

    def __str__(self):
        return self.name


class ChipFitting:
    """A chip fitting as ChipFittingSerializer reads it."""

    __slots__ = ("chip", "quantity", "role")

    def __init__(self, chip, role, quantity):
        self.chip, self.role, self.quantity = chip, role, quantity


def attach_fittings(vehicle_models):
    """Give each vehicle model its chip fittings, in their order, as the prefetch would, but
    read with one values() query: a page of 1,000 models has thousands of fittings, and
    building a model instance for each fitting and its chip was most of the page's time."""
    fittings = {vehicle_model.pk: [] for vehicle_model in vehicle_models}
    rows = VehicleModelChip.objects.filter(vehicle_model__in=list(fittings)).values_list(
        "vehicle_model_id", "chip__slug", "chip__name", "role", "quantity"
    )
    for vehicle_model_id, slug, name, role, quantity in rows:
        fittings[vehicle_model_id].append(ChipFitting(ChipSummary(slug, name), role, quantity))
    cache_name = VehicleModelChip._meta.get_field("vehicle_model").remote_field.cache_name
    for vehicle_model in vehicle_models:
        cache = vehicle_model.__dict__.setdefault("_prefetched_objects_cache", {})
        cache[cache_name] = fittings[vehicle_model.pk]


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

    def paginate_queryset(self, queryset):
        # A page's chip fittings are read as values, not model instances: see attach_fittings.
        page = super().paginate_queryset(queryset.prefetch_related(None).prefetch_related(SOURCES))
        if page is not None:
            attach_fittings(page)
        return page

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
