from catalog.filters import CatalogFilterSet, SlugFilter
from partners.models import (
    Alliance,
    Chip,
    Company,
    DriverAssistStack,
    OperatingSystem,
    Shareholding,
)


class CompanyFilterSet(CatalogFilterSet):
    parent = SlugFilter("parent", Company)
    aliases = {"role": "roles__role"}

    class Meta:
        model = Company
        fields = ["slug", "name", "name_zh", "country", "headquarters", "founded", "state_owned"]


class ShareholdingFilterSet(CatalogFilterSet):
    holder = SlugFilter("holder", Company)
    company = SlugFilter("company", Company)

    class Meta:
        model = Shareholding
        fields = ["slug", "share_percent", "acquired_on", "disposed_on"]


class OperatingSystemFilterSet(CatalogFilterSet):
    vendor = SlugFilter("vendor", Company)
    aliases = {"vendor_country": "vendor__country"}

    class Meta:
        model = OperatingSystem
        fields = ["slug", "name", "name_zh", "base", "first_release"]


class ChipFilterSet(CatalogFilterSet):
    designer = SlugFilter("designer", Company)
    foundry = SlugFilter("foundry", Company)
    aliases = {"designer_country": "designer__country", "tops": "ai_tops"}

    class Meta:
        model = Chip
        fields = ["slug", "name", "name_zh", "category", "process_nm", "ai_tops", "released"]


class DriverAssistStackFilterSet(CatalogFilterSet):
    vendor = SlugFilter("vendor", Company)
    compute_chip = SlugFilter("compute_chips", Chip)
    aliases = {"vendor_country": "vendor__country"}

    class Meta:
        model = DriverAssistStack
        fields = [
            "slug",
            "name",
            "name_zh",
            "version",
            "level",
            "highway_noa",
            "urban_noa",
            "automated_parking",
            "sensor_approach",
            "released",
        ]


class AllianceFilterSet(CatalogFilterSet):
    leader = SlugFilter("leader", Company)

    class Meta:
        model = Alliance
        fields = ["slug", "name", "name_zh", "kind", "founded_on"]
