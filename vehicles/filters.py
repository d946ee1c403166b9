import django_filters
from django.core.validators import MinValueValidator
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from catalog.filters import (
    BoolFilter,
    CatalogFilterSet,
    ChoicesFilter,
    IntegerValueField,
    SlugFilter,
    active_on,
)
from partners.models import Alliance, Chip, Company, DriverAssistStack, OperatingSystem
from vehicles.models import (
    STACK_LINKS,
    AllianceMembership,
    Brand,
    Delivery,
    DeliveryGap,
    DeliveryTotal,
    LinkStatus,
    Partnership,
    VehicleModel,
    link_status_q,
)


class BrandFilterSet(CatalogFilterSet):
    """Brands by their group, alliances, and the smart stack of their vehicle models."""

    group = SlugFilter("group", Company)
    alliance = SlugFilter(
        "memberships__alliance",
        Alliance,
        label="Member (past or present) of these alliances (slugs).",
    )
    cockpit_os = SlugFilter("vehicle_models__cockpit_os", OperatingSystem)
    os_vendor = SlugFilter(
        "vehicle_models__cockpit_os__vendor",
        Company,
        label="A model runs a cockpit OS by these companies (slugs).",
    )
    adas_stack = SlugFilter("vehicle_models__adas_stack", DriverAssistStack)
    adas_supplier = SlugFilter(
        "vehicle_models__adas_stack__vendor",
        Company,
        label="A model runs a driver-assist stack by these companies (slugs).",
    )
    chip = SlugFilter("vehicle_models__chips", Chip)
    chip_designer = SlugFilter(
        "vehicle_models__chips__designer",
        Company,
        label="A model carries a chip designed by these companies (slugs).",
    )
    partner = SlugFilter(
        "partnerships__partner", Company, label="Has a partnership with these companies (slugs)."
    )
    aliases = {
        "group_country": "group__country",
        "chip_designer_country": "vehicle_models__chips__designer__country",
    }

    class Meta:
        model = Brand
        fields = ["slug", "name", "name_zh", "launched", "headquarters", "positioning"]


@extend_schema_field(OpenApiTypes.INT)
class PriceFilter(django_filters.Filter):
    """Models whose price range includes this price (CNY)."""

    # The catalog's whole number: ASCII digits only (Django's IntegerField also read
    # 25_0000, full-width and Arabic-Indic digits and surrounding spaces as 250000).
    field_class = IntegerValueField  # (which keeps values within 64 bits)

    def filter(self, queryset, value):
        if value is None:
            return queryset
        return queryset.filter(price_min_cny__lte=value, price_max_cny__gte=value)


class LinkStatusFilter(ChoicesFilter):
    """Models whose smart-stack link is linked, unknown (with a reason) or not reviewed."""

    def __init__(self, link, **kwargs):
        self.link = link
        super().__init__(choices=LinkStatus.choices, **kwargs)

    def filter(self, queryset, value):
        if not value:
            return queryset
        condition = Q()
        for status in value:
            condition |= link_status_q(self.link, status)
        return queryset.filter(condition)


class StackCompleteFilter(BoolFilter):
    """Models with all three smart-stack links (cockpit OS, ADAS stack, chips) set, or not."""

    def filter(self, queryset, value):
        if value is None:
            return queryset
        complete = Q()
        for link in STACK_LINKS:
            complete &= link_status_q(link, LinkStatus.LINKED)
        return queryset.filter(complete if value else ~complete)


class VehicleModelFilterSet(CatalogFilterSet):
    brand = SlugFilter("brand", Brand)
    group = SlugFilter("brand__group", Company)
    alliance = SlugFilter("brand__memberships__alliance", Alliance)
    cockpit_os = SlugFilter("cockpit_os", OperatingSystem)
    os_vendor = SlugFilter("cockpit_os__vendor", Company)
    adas_stack = SlugFilter("adas_stack", DriverAssistStack)
    adas_supplier = SlugFilter("adas_stack__vendor", Company)
    chip = SlugFilter("chips", Chip)
    chip_designer = SlugFilter("chips__designer", Company)
    cockpit_os_status = LinkStatusFilter(
        "cockpit_os",
        label="Cockpit OS linked, unknown (with a reason) or unreviewed; repeat for OR.",
    )
    adas_stack_status = LinkStatusFilter(
        "adas_stack",
        label="ADAS stack linked, unknown (with a reason) or unreviewed; repeat for OR.",
    )
    chips_status = LinkStatusFilter(
        "chips", label="Chips linked, unknown (with a reason) or unreviewed; repeat for OR."
    )
    stack_complete = StackCompleteFilter(
        label="true: cockpit OS, ADAS stack and chips all linked; false: at least one missing."
    )
    price_cny = PriceFilter(
        validators=[MinValueValidator(0)],
        label="Models whose price range includes this price (CNY).",
    )
    aliases = {
        "chip_designer_country": "chips__designer__country",
        "chip_role": "chip_fittings__role",
    }

    class Meta:
        model = VehicleModel
        fields = [
            "slug",
            "name",
            "name_zh",
            "body_type",
            "powertrain",
            "launched_on",
            "discontinued_on",
            "price_min_cny",
            "price_max_cny",
            "cockpit_os_unknown",
            "adas_stack_unknown",
            "chips_unknown",
        ]


class GroupOrBrandGroupFilter(SlugFilter):
    """Deals of these carmaker groups: group-wide ones and those of their brands."""

    def filter(self, queryset, value):
        if not value:
            return queryset
        return queryset.filter(Q(carmaker__in=value) | Q(brand__group__in=value))


class PartnershipFilterSet(CatalogFilterSet):
    brand = SlugFilter("brand", Brand)
    carmaker = SlugFilter(
        "carmaker", Company, label="Group-wide deals of these carmaker groups (slugs)."
    )
    group = GroupOrBrandGroupFilter(
        "carmaker",
        Company,
        label="Deals of these groups, group-wide or by one of their brands (slugs).",
    )
    partner = SlugFilter("partner", Company)
    active_on = active_on("started_on", "ended_on")
    aliases = {"partner_country": "partner__country", "partner_role": "partner__roles__role"}

    class Meta:
        model = Partnership
        fields = ["slug", "kind", "scope", "announced_on", "started_on", "ended_on"]


class AllianceMembershipFilterSet(CatalogFilterSet):
    alliance = SlugFilter("alliance", Alliance)
    brand = SlugFilter("brand", Brand)
    group = SlugFilter("brand__group", Company)
    active_on = active_on("joined_on", "left_on")

    class Meta:
        model = AllianceMembership
        fields = ["slug", "joined_on", "left_on"]


class DeliveryFilterSet(CatalogFilterSet):
    """Deliveries by reporter and month. `brand__isnull=true` keeps alliance totals only."""

    alliance = SlugFilter("alliance", Alliance)
    brand = SlugFilter("brand", Brand)
    group = SlugFilter("brand__group", Company)
    month_fields = ("month",)

    class Meta:
        model = Delivery
        fields = ["slug", "month", "units", "precision", "computed"]


class DeliveryTotalFilterSet(CatalogFilterSet):
    alliance = SlugFilter("alliance", Alliance)
    brand = SlugFilter("brand", Brand)
    group = SlugFilter("brand__group", Company)
    month_fields = ("first_month", "last_month")

    class Meta:
        model = DeliveryTotal
        fields = ["slug", "first_month", "last_month", "units", "precision", "computed"]


class DeliveryGapFilterSet(CatalogFilterSet):
    """Known gaps by reporter, month and reason. `brand__isnull=true` keeps alliance gaps only."""

    alliance = SlugFilter("alliance", Alliance)
    brand = SlugFilter("brand", Brand)
    group = SlugFilter("brand__group", Company)
    month_fields = ("month",)

    class Meta:
        model = DeliveryGap
        fields = ["slug", "month", "reason"]
