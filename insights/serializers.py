"""Response components of the insight endpoints (documented in the OpenAPI schema)."""

from rest_framework import serializers

from catalog.serializers import AnswerSerializer, MonthField, SummarySerializer
from insights.filters import GROUP_BY, LAYERS, PERIODS, RULE_CHOICES
from insights.selectors.graph import EDGE_KINDS, NODE_KINDS
from vehicles.models import ChipRole, GapReason, PartnershipKind, Precision
from vehicles.selectors import MODEL_LAYERS


class SupplierSerializer(AnswerSerializer):
    """A supplier company as shown in analyses: summary plus its country."""

    slug = serializers.SlugField()
    name = serializers.CharField()
    url = serializers.URLField(allow_null=True)
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 code.")


class KnownGapSerializer(AnswerSerializer):
    """A month recorded as having no figure, and why."""

    slug = serializers.SlugField(help_text="The gap's slug under /delivery-gaps/.")
    month = MonthField()
    reason = serializers.ChoiceField(choices=GapReason.choices)
    note = serializers.CharField(help_text="What is known instead, or where no figure was found.")


class ReportedTotalSerializer(AnswerSerializer):
    """A total reported for exactly this period (under /delivery-totals/)."""

    slug = serializers.SlugField()
    units = serializers.IntegerField()
    precision = serializers.ChoiceField(choices=Precision.choices)


class SeriesPointSerializer(AnswerSerializer):
    key = SummarySerializer(help_text="The alliance, brand or carmaker group of this series.")
    period = serializers.CharField(help_text="2025-11, 2025-Q4 or 2025.")
    first_month = MonthField()
    last_month = MonthField()
    units = serializers.IntegerField(
        allow_null=True, help_text="Sum of the months reported; null if none."
    )
    months_expected = serializers.IntegerField(
        help_text="Months of the period inside the requested range."
    )
    months_reported = serializers.IntegerField()
    missing_months = serializers.ListField(
        child=MonthField(), help_text="Months with neither a figure nor a recorded gap."
    )
    known_gaps = KnownGapSerializer(
        many=True,
        help_text="Months recorded as having no figure, with the reason (alliance and brand "
        "series; a group series lists none).",
    )
    complete = serializers.BooleanField(
        help_text="Every expected month is reported (a known gap is not reported); for a "
        "group, by every one of its expected brands."
    )
    whole_period = serializers.BooleanField(help_text="The range covers the whole period.")
    precision = serializers.ChoiceField(
        choices=Precision.choices,
        allow_null=True,
        help_text="lower_bound if any month is only a lower bound, approximate if any is approximate.",
    )
    computed_figures = serializers.IntegerField(
        help_text="Figures derived by the catalog, not reported."
    )
    brands_reported = serializers.IntegerField(
        allow_null=True,
        help_text="Brands with a figure in this period (brand and group series; null for "
        "alliance series).",
    )
    brands_expected = serializers.IntegerField(
        allow_null=True,
        help_text="Group series: the group's brands with any figure in the window, whatever "
        "the other filters; null otherwise.",
    )
    brands_missing = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="Group series: slugs of expected brands lacking a figure for some month of "
        "this period (the point is then incomplete); null otherwise.",
    )
    reported_total = ReportedTotalSerializer(
        allow_null=True,
        help_text="A total reported for exactly this quarter or year, if any (alliance and "
        "brand series).",
    )
    reported_total_difference = serializers.IntegerField(
        allow_null=True,
        help_text="reported_total.units minus units, for a whole period. With complete=true, "
        "anything but 0 means the months disagree with the reported total.",
    )


class DeliverySeriesSerializer(AnswerSerializer):
    """Delivered units as a time series, saying which figures were used and what is missing."""

    group_by = serializers.ChoiceField(choices=GROUP_BY)
    period = serializers.ChoiceField(choices=PERIODS)
    figures = serializers.CharField(help_text="Which figures were summed, and which were not.")
    first_month = MonthField(allow_null=True)
    last_month = MonthField(allow_null=True)
    results = SeriesPointSerializer(many=True)


class ShareSerializer(AnswerSerializer):
    brands = serializers.IntegerField()
    brand_share = serializers.FloatField(allow_null=True)
    vehicle_models = serializers.IntegerField(
        allow_null=True, help_text="Null for brand-level layers."
    )
    model_share = serializers.FloatField(allow_null=True)
    units = serializers.IntegerField(
        help_text="Deliveries of these brands in the weighting period."
    )
    weighted_share = serializers.FloatField(
        allow_null=True, help_text="units / units of all weighted brands."
    )


class CountryShareSerializer(ShareSerializer):
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 code of the suppliers.")


class WeightCoverageSerializer(AnswerSerializer):
    brands_with_figures = serializers.IntegerField()
    brands = serializers.IntegerField()
    units = serializers.IntegerField()


class LayerDependencySerializer(AnswerSerializer):
    layer = serializers.ChoiceField(choices=LAYERS)
    description = serializers.CharField()
    brands = serializers.IntegerField(help_text="Brands with a known supplier in this layer.")
    vehicle_models = serializers.IntegerField(allow_null=True)
    domestic = ShareSerializer(help_text="Suppliers from China (CN).")
    foreign = ShareSerializer(help_text="Suppliers from elsewhere.")
    by_country = CountryShareSerializer(many=True)
    weight_coverage = WeightCoverageSerializer()


class DependenciesSerializer(AnswerSerializer):
    """For each layer, the share of brands and models relying on domestic and foreign suppliers.

    A brand relying on suppliers from several countries counts under each, so shares
    across countries may add up to more than 1.
    """

    brands = serializers.IntegerField(help_text="Brands selected by the filters.")
    weight_from = MonthField(allow_null=True)
    weight_to = MonthField(allow_null=True)
    as_of = serializers.DateField()
    results = LayerDependencySerializer(many=True)


class ExposedModelSerializer(AnswerSerializer):
    vehicle_model = SummarySerializer()
    layers = serializers.ListField(child=serializers.CharField())


class ExposedPartnershipSerializer(AnswerSerializer):
    partnership = SummarySerializer()
    partner = SupplierSerializer()
    kind = serializers.CharField()


class ExposedBrandSerializer(AnswerSerializer):
    brand = SummarySerializer()
    group = SupplierSerializer()
    layers = serializers.ListField(child=serializers.CharField())
    vehicle_models = ExposedModelSerializer(many=True)
    partnerships = ExposedPartnershipSerializer(many=True)
    units = serializers.IntegerField(
        allow_null=True, help_text="The brand's deliveries in the period."
    )
    months_reported = serializers.IntegerField()


class ExposureTotalsSerializer(AnswerSerializer):
    brands = serializers.IntegerField()
    vehicle_models = serializers.IntegerField()
    brands_with_figures = serializers.IntegerField()
    units = serializers.IntegerField()


class ExposureSerializer(AnswerSerializer):
    """What depends on a supplier (and its subsidiaries) or on a supplier country."""

    companies = SupplierSerializer(many=True)
    countries = serializers.ListField(child=serializers.CharField())
    include_subsidiaries = serializers.BooleanField()
    as_of = serializers.DateField()
    month_from = MonthField(allow_null=True)
    month_to = MonthField(allow_null=True)
    totals = ExposureTotalsSerializer()
    results = ExposedBrandSerializer(many=True)


class CountryCountSerializer(AnswerSerializer):
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 code.")
    suppliers = serializers.IntegerField()
    vehicle_models = serializers.IntegerField()


class StackItemSerializer(AnswerSerializer):
    product = SummarySerializer()
    supplier = SupplierSerializer()
    vehicle_models = serializers.IntegerField(help_text="The brand's models on sale using it.")


class SplitSerializer(AnswerSerializer):
    suppliers = serializers.IntegerField()
    vehicle_models = serializers.IntegerField()


class StackLayerSerializer(AnswerSerializer):
    layer = serializers.ChoiceField(choices=[layer.name for layer in MODEL_LAYERS])
    description = serializers.CharField()
    items = StackItemSerializer(many=True)
    by_country = CountryCountSerializer(many=True)
    domestic = SplitSerializer(
        help_text="Suppliers from the brand's home country, and models using them."
    )
    foreign = SplitSerializer(help_text="Suppliers from elsewhere, and models using them.")


class StackPartnershipSerializer(AnswerSerializer):
    partnership = SummarySerializer()
    partner = SupplierSerializer()
    level = serializers.ChoiceField(
        choices=["brand", "group"], help_text="The brand's own deal, or its group's group-wide one."
    )
    scope = serializers.CharField()
    started_on = serializers.DateField(allow_null=True)
    ended_on = serializers.DateField(allow_null=True)


class StackPartnerLayerSerializer(AnswerSerializer):
    kind = serializers.ChoiceField(choices=PartnershipKind.choices)
    partnerships = StackPartnershipSerializer(many=True)
    domestic = serializers.IntegerField(help_text="Partners from the brand's home country.")
    foreign = serializers.IntegerField(help_text="Partners from elsewhere.")


class BrandStackSerializer(AnswerSerializer):
    """A brand's smart stack on a date, layer by layer, with its suppliers' countries."""

    brand = SummarySerializer()
    group = SupplierSerializer()
    home_country = serializers.CharField(help_text="The group's country: what counts as domestic.")
    as_of = serializers.DateField()
    vehicle_models = serializers.IntegerField(help_text="The brand's models on sale on that date.")
    layers = StackLayerSerializer(many=True)
    partners = StackPartnerLayerSerializer(many=True)


class GraphNodeSerializer(AnswerSerializer):
    """A company, brand, alliance, product or vehicle model."""

    id = serializers.CharField(help_text='"<kind>:<slug>", e.g. "brand:aito".')
    kind = serializers.ChoiceField(choices=NODE_KINDS)
    slug = serializers.SlugField()
    name = serializers.CharField()
    name_zh = serializers.CharField(allow_blank=True)
    country = serializers.CharField(
        allow_null=True,
        help_text="ISO 3166-1 alpha-2 code: a company's, or a brand's group's; null for the rest.",
    )
    url = serializers.URLField(allow_null=True, help_text="This node in the API.")


class GraphEdgeSerializer(AnswerSerializer):
    """A link between two nodes; fields after `ended_on` appear only on the kinds named."""

    source = serializers.CharField(help_text="Id of the node the edge starts from.")
    target = serializers.CharField(help_text="Id of the node the edge points to.")
    kind = serializers.ChoiceField(
        choices=[(kind, spec.description) for kind, spec in EDGE_KINDS.items()]
    )
    started_on = serializers.DateField(allow_null=True, help_text="Null when not dated.")
    ended_on = serializers.DateField(allow_null=True, help_text="Null when ongoing or not dated.")
    url = serializers.URLField(
        required=False, help_text="holds, partners_with, member_of: the record in the API."
    )
    share_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        coerce_to_string=False,
        allow_null=True,
        required=False,
        help_text="holds: the stake in percent; null when the source gives none.",
    )
    partnership_kind = serializers.ChoiceField(
        choices=PartnershipKind.choices, required=False, help_text="partners_with."
    )
    scope = serializers.CharField(
        allow_blank=True, required=False, help_text="partners_with: what the deal covers."
    )
    announced_on = serializers.DateField(
        allow_null=True, required=False, help_text="partners_with."
    )
    vehicle_models = serializers.IntegerField(
        required=False, help_text="uses, from a brand: how many of its vehicle models use it."
    )
    role = serializers.ChoiceField(
        choices=ChipRole.choices, required=False, help_text="uses, of a chip: what it does."
    )
    quantity = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="uses, from a vehicle model to a chip: chips fitted (null: not stated).",
    )
    sources = serializers.ListField(
        child=serializers.SlugField(), help_text="Slugs of the sources backing the link."
    )

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # Attributes of other kinds are left out rather than shown as null.
        return {name: value for name, value in data.items() if name in instance}


class GraphCountsSerializer(AnswerSerializer):
    nodes = serializers.IntegerField()
    edges = serializers.IntegerField()


class GraphSerializer(AnswerSerializer):
    """The ecosystem graph: nodes, the edges between them, and how many of each."""

    nodes = GraphNodeSerializer(many=True)
    edges = GraphEdgeSerializer(many=True)
    counts = GraphCountsSerializer()


class AuditRecordSerializer(AnswerSerializer):
    kind = serializers.CharField(help_text="The record's type, e.g. delivery, source, partnership.")
    slug = serializers.SlugField()
    url = serializers.URLField(allow_null=True, help_text="The record in the API.")


class AuditFindingSerializer(AnswerSerializer):
    rule = serializers.ChoiceField(choices=RULE_CHOICES)
    records = AuditRecordSerializer(
        many=True, help_text="The records involved, first the main one."
    )
    message = serializers.CharField(help_text="What is wrong, with the figures or dates.")
    accepted = serializers.BooleanField(
        help_text="Accepted in fixtures/audit/accepted.yaml, with the reason."
    )
    reason = serializers.CharField(help_text="Why it is accepted; empty when it is not.")


class AuditRuleSerializer(AnswerSerializer):
    rule = serializers.ChoiceField(choices=RULE_CHOICES)
    description = serializers.CharField()
    findings = serializers.IntegerField()
    unaccepted = serializers.IntegerField()


class AuditTotalsSerializer(AnswerSerializer):
    findings = serializers.IntegerField()
    accepted = serializers.IntegerField()
    unaccepted = serializers.IntegerField()


class AuditSerializer(AnswerSerializer):
    """The consistency audit: what breaks a rule the database cannot enforce."""

    rules = AuditRuleSerializer(many=True, help_text="The rules run, with their counts.")
    findings = AuditFindingSerializer(many=True)
    unused_acceptances = serializers.ListField(
        child=serializers.CharField(),
        help_text="Accepted findings ('rule kind:slug') that no longer occur.",
    )
    totals = AuditTotalsSerializer(help_text="Counts over all the rules run (before `accepted`).")
