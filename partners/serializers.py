from rest_framework import serializers

from catalog.serializers import CatalogSerializer, SummaryField
from partners.models import (
    Alliance,
    Chip,
    Company,
    DriverAssistStack,
    OperatingSystem,
    Role,
    Shareholding,
)
from partners.services import set_company_roles

NAMED = ["url", "slug", "name", "name_zh"]
STAMPS = ["sources", "created", "updated"]


class CompanySerializer(CatalogSerializer):
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices),
        source="role_list",
        required=False,
        max_length=len(Role.choices),
        help_text="What the company does in the ecosystem.",
    )
    parent = SummaryField(queryset=Company.objects.all(), required=False, allow_null=True)
    extra_write_fields = ("role_list",)

    class Meta:
        model = Company
        fields = [
            *NAMED,
            "roles",
            "country",
            "headquarters",
            "founded",
            "website",
            "state_owned",
            "ownership_note",
            "parent",
            "description",
            *STAMPS,
        ]

    def save_extra(self, company, values):
        if "role_list" in values and set_company_roles(company=company, roles=values["role_list"]):
            return {"roles"}
        return set()


class ShareholdingSerializer(CatalogSerializer):
    class Meta:
        model = Shareholding
        fields = [
            "url",
            "slug",
            "holder",
            "company",
            "share_percent",
            "acquired_on",
            "disposed_on",
            "note",
            *STAMPS,
        ]


class OperatingSystemSerializer(CatalogSerializer):
    class Meta:
        model = OperatingSystem
        fields = [*NAMED, "vendor", "base", "first_release", "website", "description", *STAMPS]


class ChipSerializer(CatalogSerializer):
    class Meta:
        model = Chip
        fields = [
            *NAMED,
            "designer",
            "foundry",
            "category",
            "process_nm",
            "ai_tops",
            "released",
            "description",
            *STAMPS,
        ]


class DriverAssistStackSerializer(CatalogSerializer):
    class Meta:
        model = DriverAssistStack
        fields = [
            *NAMED,
            "vendor",
            "version",
            "level",
            "highway_noa",
            "urban_noa",
            "automated_parking",
            "sensor_approach",
            "compute_chips",
            "released",
            "description",
            *STAMPS,
        ]


class AllianceSerializer(CatalogSerializer):
    class Meta:
        model = Alliance
        fields = [*NAMED, "leader", "kind", "founded_on", "website", "description", *STAMPS]
