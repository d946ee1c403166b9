from django.utils.translation import gettext
from rest_framework import serializers

from catalog.serializers import (
    CatalogSerializer,
    MonthField,
    SummaryField,
    SummarySerializer,
    strict,
    summary_of,
    supplier_of,
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
    PartnershipKind,
    VehicleModel,
    VehicleModelChip,
)
from vehicles.selectors import MODEL_LAYERS, brand_stack
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
        if reason and has_chips:
            raise serializers.ValidationError(
                {
                    "chips_unknown": gettext(
                        "Give the chips or the reason they are unknown, not both."
                    )
                }
            )
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


class SupplierSerializer(serializers.Serializer):
    """A supplier company as shown in analyses: summary plus its country."""

    slug = serializers.SlugField()
    name = serializers.CharField()
    url = serializers.URLField(allow_null=True)
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 code.")


class CountryCountSerializer(serializers.Serializer):
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 code.")
    suppliers = serializers.IntegerField()
    vehicle_models = serializers.IntegerField()


class StackItemSerializer(serializers.Serializer):
    product = SummarySerializer()
    supplier = SupplierSerializer()
    vehicle_models = serializers.IntegerField(help_text="The brand's models on sale using it.")


class SplitSerializer(serializers.Serializer):
    suppliers = serializers.IntegerField()
    vehicle_models = serializers.IntegerField()


class StackLayerSerializer(serializers.Serializer):
    layer = serializers.ChoiceField(choices=[layer.name for layer in MODEL_LAYERS])
    description = serializers.CharField()
    items = StackItemSerializer(many=True)
    by_country = CountryCountSerializer(many=True)
    domestic = SplitSerializer(
        help_text="Suppliers from the brand's home country, and models using them."
    )
    foreign = SplitSerializer(help_text="Suppliers from elsewhere, and models using them.")


class StackPartnershipSerializer(serializers.Serializer):
    partnership = SummarySerializer()
    partner = SupplierSerializer()
    level = serializers.ChoiceField(
        choices=["brand", "group"], help_text="The brand's own deal, or its group's group-wide one."
    )
    scope = serializers.CharField()
    started_on = serializers.DateField(allow_null=True)
    ended_on = serializers.DateField(allow_null=True)


class StackPartnerLayerSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PartnershipKind.choices)
    partnerships = StackPartnershipSerializer(many=True)
    domestic = serializers.IntegerField(help_text="Partners from the brand's home country.")
    foreign = serializers.IntegerField(help_text="Partners from elsewhere.")


class BrandStackSerializer(serializers.Serializer):
    """A brand's smart stack on a date, layer by layer, with its suppliers' countries."""

    brand = SummarySerializer()
    group = SupplierSerializer()
    home_country = serializers.CharField(help_text="The group's country: what counts as domestic.")
    as_of = serializers.DateField()
    vehicle_models = serializers.IntegerField(help_text="The brand's models on sale on that date.")
    layers = StackLayerSerializer(many=True)
    partners = StackPartnerLayerSerializer(many=True)

    @classmethod
    def build(cls, brand, as_of, request):
        """The response document, from vehicles.selectors.brand_stack()."""
        layers, partnerships, model_count = brand_stack(brand, as_of)
        home = brand.group.country.code
        by_kind = {}
        for deal in partnerships:
            by_kind.setdefault(deal.kind, []).append(deal)
        return {
            "brand": summary_of("brand", brand.slug, brand.name, request),
            "group": supplier_of(brand.group.slug, brand.group.name, home, request),
            "home_country": home,
            "as_of": as_of,
            "vehicle_models": model_count,
            "layers": [
                {
                    "layer": layer.name,
                    "description": layer.description,
                    "items": [
                        {
                            "product": summary_of(
                                layer.product_model,
                                row["product_slug"],
                                row["product_name"],
                                request,
                            ),
                            "supplier": supplier_of(
                                row["supplier_slug"],
                                row["supplier_name"],
                                row["supplier_country"],
                                request,
                            ),
                            "vehicle_models": row["vehicle_models"],
                        }
                        for row in layers[layer.name]["items"]
                    ],
                    "by_country": layers[layer.name]["by_country"],
                    "domestic": {
                        "suppliers": layers[layer.name]["domestic_suppliers"],
                        "vehicle_models": layers[layer.name]["domestic_models"],
                    },
                    "foreign": {
                        "suppliers": layers[layer.name]["foreign_suppliers"],
                        "vehicle_models": layers[layer.name]["foreign_models"],
                    },
                }
                for layer in MODEL_LAYERS
            ],
            "partners": [
                {
                    "kind": kind,
                    "partnerships": [
                        {
                            "partnership": summary_of("partnership", deal.slug, str(deal), request),
                            "partner": supplier_of(
                                deal.partner.slug,
                                deal.partner.name,
                                deal.partner.country.code,
                                request,
                            ),
                            "level": "brand" if deal.brand_id else "group",
                            "scope": deal.scope,
                            "started_on": deal.started_on or deal.announced_on,
                            "ended_on": deal.ended_on,
                        }
                        for deal in deals
                    ],
                    "domestic": len(
                        {d.partner_id for d in deals if d.partner.country.code == home}
                    ),
                    "foreign": len({d.partner_id for d in deals if d.partner.country.code != home}),
                }
                for kind, deals in by_kind.items()
            ],
        }


class DeliveryGapSerializer(CatalogSerializer):
    month = MonthField(help_text="The month with no figure, YYYY-MM.")

    class Meta:
        model = DeliveryGap
        fields = ["url", "slug", "month", "alliance", "brand", "reason", "note", *STAMPS]
