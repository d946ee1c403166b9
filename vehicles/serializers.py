from django.utils.translation import gettext
from rest_framework import serializers

from catalog.serializers import (
    CatalogSerializer,
    MonthField,
    SummaryField,
    strict,
)
from partners.models import Chip
from vehicles.models import (
    AllianceMembership,
    Brand,
    ChipRole,
    Delivery,
    DeliveryGap,
    DeliveryTotal,
    Partnership,
    VehicleModel,
    VehicleModelChip,
    check_chips_or_reason,
)
from vehicles.services import set_vehicle_model_chips

STAMPS = ["sources", "created", "updated"]


class BrandSerializer(CatalogSerializer):
    class Meta:
        model = Brand
        fields = [
            "url",
            "slug",
            "name",
            "name_zh",
            "group",
            "launched",
            "headquarters",
            "positioning",
            "website",
            "description",
            *STAMPS,
        ]


class ChipFittingSerializer(serializers.ModelSerializer):
    """A chip in a vehicle model, its role and how many are fitted."""

    chip = SummaryField(queryset=Chip.objects.all())
    role = serializers.ChoiceField(choices=ChipRole.choices)
    quantity = strict(serializers.IntegerField)(
        min_value=1,
        max_value=32,
        allow_null=True,
        default=None,
        help_text="How many are fitted; null when no source states it.",
    )

    class Meta:
        model = VehicleModelChip
        fields = ["chip", "role", "quantity"]
        validators = []


class VehicleModelSerializer(CatalogSerializer):
    chips = ChipFittingSerializer(
        many=True,
        source="chip_fittings",
        required=False,
        max_length=50,
        help_text="Chips fitted, by role. Writing replaces the whole list.",
    )
    extra_write_fields = ("chip_fittings",)

    class Meta:
        model = VehicleModel
        fields = [
            "url",
            "slug",
            "brand",
            "name",
            "name_zh",
            "body_type",
            "powertrain",
            "launched_on",
            "discontinued_on",
            "price_min_cny",
            "price_max_cny",
            "cockpit_os",
            "cockpit_os_unknown",
            "adas_stack",
            "adas_stack_unknown",
            "chips",
            "chips_unknown",
            "note",
            *STAMPS,
        ]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        # The database checks the two foreign keys; chips are a list, checked here.
        instance = self.instance
        reason = attrs.get("chips_unknown", getattr(instance, "chips_unknown", ""))
        if "chip_fittings" in attrs:
            has_chips = bool(attrs["chip_fittings"])
        else:
            has_chips = bool(instance and instance.chip_fittings.exists())
        check_chips_or_reason(has_chips=has_chips, chips_unknown=reason)
        return attrs

    def validate_chips(self, fittings):
        seen = set()
        for item in fittings:
            key = (item["chip"].slug, item["role"])
            if key in seen:
                raise serializers.ValidationError(
                    gettext("%(chip)s is listed twice in the role %(role)s.")
                    % {"chip": key[0], "role": key[1]}
                )
            seen.add(key)
        return fittings

    def save_extra(self, vehicle_model, values):
        fittings = values.get("chip_fittings")
        if fittings is not None and set_vehicle_model_chips(
            vehicle_model=vehicle_model, fittings=fittings
        ):
            return {"chips"}
        return set()


class PartnershipSerializer(CatalogSerializer):
    class Meta:
        model = Partnership
        fields = [
            "url",
            "slug",
            "brand",
            "carmaker",
            "partner",
            "kind",
            "scope",
            "announced_on",
            "started_on",
            "ended_on",
            *STAMPS,
        ]


class AllianceMembershipSerializer(CatalogSerializer):
    class Meta:
        model = AllianceMembership
        fields = [
            "url",
            "slug",
            "alliance",
            "brand",
            "joined_on",
            "left_on",
            "note",
            *STAMPS,
        ]


class DeliverySerializer(CatalogSerializer):
    month = MonthField(help_text="The month delivered in, YYYY-MM.")

    class Meta:
        model = Delivery
        fields = [
            "url",
            "slug",
            "month",
            "alliance",
            "brand",
            "units",
            "precision",
            "computed",
            "note",
            *STAMPS,
        ]


class DeliveryTotalSerializer(CatalogSerializer):
    first_month = MonthField(help_text="First month of the period, YYYY-MM.")
    last_month = MonthField(help_text="Last month of the period, YYYY-MM.")

    class Meta:
        model = DeliveryTotal
        fields = [
            "url",
            "slug",
            "first_month",
            "last_month",
            "alliance",
            "brand",
            "units",
            "precision",
            "computed",
            "note",
            *STAMPS,
        ]


class DeliveryGapSerializer(CatalogSerializer):
    month = MonthField(help_text="The month with no figure, YYYY-MM.")

    class Meta:
        model = DeliveryGap
        fields = ["url", "slug", "month", "alliance", "brand", "reason", "note", *STAMPS]
