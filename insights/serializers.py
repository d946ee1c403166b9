"""Response components of the insight endpoints (documented in the OpenAPI schema)."""

from rest_framework import serializers

from catalog.serializers import MonthField, SummarySerializer
from insights.audit import RULES as AUDIT_RULES
from insights.filters import GROUP_BY, LAYERS, PERIODS
from vehicles.models import GapReason, Precision
from vehicles.serializers import SupplierSerializer


class KnownGapSerializer(serializers.Serializer):
    """A month recorded as having no figure, and why."""

    slug = serializers.SlugField(help_text="The gap's slug under /delivery-gaps/.")
    month = MonthField()
    reason = serializers.ChoiceField(choices=GapReason.choices)
    note = serializers.CharField(help_text="What is known instead, or where no figure was found.")


class ReportedTotalSerializer(serializers.Serializer):
    """A total reported for exactly this period (under /delivery-totals/)."""

    slug = serializers.SlugField()
    units = serializers.IntegerField()
    precision = serializers.ChoiceField(choices=Precision.choices)


class SeriesPointSerializer(serializers.Serializer):
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


class DeliverySeriesSerializer(serializers.Serializer):
    """Delivered units as a time series, saying which figures were used and what is missing."""

    group_by = serializers.ChoiceField(choices=GROUP_BY)
    period = serializers.ChoiceField(choices=PERIODS)
    figures = serializers.CharField(help_text="Which figures were summed, and which were not.")
    first_month = MonthField(allow_null=True)
    last_month = MonthField(allow_null=True)
    results = SeriesPointSerializer(many=True)


class ShareSerializer(serializers.Serializer):
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


class WeightCoverageSerializer(serializers.Serializer):
    brands_with_figures = serializers.IntegerField()
    brands = serializers.IntegerField()
    units = serializers.IntegerField()


class LayerDependencySerializer(serializers.Serializer):
    layer = serializers.ChoiceField(choices=LAYERS)
    description = serializers.CharField()
    brands = serializers.IntegerField(help_text="Brands with a known supplier in this layer.")
    vehicle_models = serializers.IntegerField(allow_null=True)
    domestic = ShareSerializer(help_text="Suppliers from China (CN).")
    foreign = ShareSerializer(help_text="Suppliers from elsewhere.")
    by_country = CountryShareSerializer(many=True)
    weight_coverage = WeightCoverageSerializer()


class DependenciesSerializer(serializers.Serializer):
    """For each layer, the share of brands and models relying on domestic and foreign suppliers.

    A brand relying on suppliers from several countries counts under each, so shares
    across countries may add up to more than 1.
    """

    brands = serializers.IntegerField(help_text="Brands selected by the filters.")
    weight_from = MonthField(allow_null=True)
    weight_to = MonthField(allow_null=True)
    as_of = serializers.DateField()
    results = LayerDependencySerializer(many=True)


class ExposedModelSerializer(serializers.Serializer):
    vehicle_model = SummarySerializer()
    layers = serializers.ListField(child=serializers.CharField())


class ExposedPartnershipSerializer(serializers.Serializer):
    partnership = SummarySerializer()
    partner = SupplierSerializer()
    kind = serializers.CharField()


class ExposedBrandSerializer(serializers.Serializer):
    brand = SummarySerializer()
    group = SupplierSerializer()
    layers = serializers.ListField(child=serializers.CharField())
    vehicle_models = ExposedModelSerializer(many=True)
    partnerships = ExposedPartnershipSerializer(many=True)
    units = serializers.IntegerField(
        allow_null=True, help_text="The brand's deliveries in the period."
    )
    months_reported = serializers.IntegerField()


class ExposureTotalsSerializer(serializers.Serializer):
    brands = serializers.IntegerField()
    vehicle_models = serializers.IntegerField()
    brands_with_figures = serializers.IntegerField()
    units = serializers.IntegerField()


class ExposureSerializer(serializers.Serializer):
    """What depends on a supplier (and its subsidiaries) or on a supplier country."""

    companies = SupplierSerializer(many=True)
    countries = serializers.ListField(child=serializers.CharField())
    include_subsidiaries = serializers.BooleanField()
    as_of = serializers.DateField()
    month_from = MonthField(allow_null=True)
    month_to = MonthField(allow_null=True)
    totals = ExposureTotalsSerializer()
    results = ExposedBrandSerializer(many=True)


RULE_CHOICES = [(rule.name, rule.description) for rule in AUDIT_RULES]


class AuditQuerySerializer(serializers.Serializer):
    """Parameters of the audit."""

    rule = serializers.MultipleChoiceField(
        choices=RULE_CHOICES,
        required=False,
        help_text="Only these rules (repeatable); default all.",
    )
    accepted = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: only accepted findings; false: only those not accepted; default both.",
    )


class AuditRecordSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="The record's type, e.g. delivery, source, partnership.")
    slug = serializers.SlugField()
    url = serializers.URLField(allow_null=True, help_text="The record in the API.")


class AuditFindingSerializer(serializers.Serializer):
    rule = serializers.ChoiceField(choices=RULE_CHOICES)
    records = AuditRecordSerializer(
        many=True, help_text="The records involved, first the main one."
    )
    message = serializers.CharField(help_text="What is wrong, with the figures or dates.")
    accepted = serializers.BooleanField(
        help_text="Accepted in fixtures/audit/accepted.yaml, with the reason."
    )
    reason = serializers.CharField(help_text="Why it is accepted; empty when it is not.")


class AuditRuleSerializer(serializers.Serializer):
    rule = serializers.ChoiceField(choices=RULE_CHOICES)
    description = serializers.CharField()
    findings = serializers.IntegerField()
    unaccepted = serializers.IntegerField()


class AuditTotalsSerializer(serializers.Serializer):
    findings = serializers.IntegerField()
    accepted = serializers.IntegerField()
    unaccepted = serializers.IntegerField()


class AuditSerializer(serializers.Serializer):
    """The consistency audit: what breaks a rule the database cannot enforce."""

    rules = AuditRuleSerializer(many=True, help_text="The rules run, with their counts.")
    findings = AuditFindingSerializer(many=True)
    unused_acceptances = serializers.ListField(
        child=serializers.CharField(),
        help_text="Accepted findings ('rule kind:slug') that no longer occur.",
    )
    totals = AuditTotalsSerializer(help_text="Counts over all the rules run (before `accepted`).")
