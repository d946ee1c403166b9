from django.db.models import Prefetch

from catalog.models import Source
from catalog.page_values import PAGE_VALUES, Values, cache
from catalog.views import CatalogViewSet
from partners import filters, serializers
from partners.models import (
    Alliance,
    Chip,
    Company,
    CompanyRole,
    DriverAssistStack,
    OperatingSystem,
    Shareholding,
)

# Every fact lists its sources: one extra query per page, not one per row.
# A list shows a source as its summary: only the columns the summary reads are loaded.
SOURCES = Prefetch(
    "sources",
    queryset=Source.objects.order_by("slug").only(*Source.summary_fields),
)
NAMED_ORDERING = ["slug", "name", "created", "updated"]


def attach_roles(companies):
    """Each company's roles, as Company.role_list reads them (one values() query)."""
    rows = CompanyRole.objects.filter(company__in=companies).values_list("company_id", "role")
    cache(companies, "roles", rows, lambda role: Values(role=role))


class CompanyViewSet(CatalogViewSet):
    """Organisations: carmaker groups, technology, chip and telecom companies."""

    queryset = Company.objects.select_related("parent").prefetch_related("roles", SOURCES)
    serializer_class = serializers.CompanySerializer
    filterset_class = filters.CompanyFilterSet
    # A page's roles and sources are read with values(): see catalog/page_values.py.
    page_values = {**PAGE_VALUES, "roles": attach_roles}
    ordering_fields = [*NAMED_ORDERING, "country", "founded"]
    ordering = ["name"]


class ShareholdingViewSet(CatalogViewSet):
    """Equity stakes of one company in another, dated."""

    queryset = Shareholding.objects.select_related("holder", "company").prefetch_related(SOURCES)
    serializer_class = serializers.ShareholdingSerializer
    filterset_class = filters.ShareholdingFilterSet
    ordering_fields = ["slug", "share_percent", "acquired_on", "created", "updated"]
    ordering = ["slug"]


class OperatingSystemViewSet(CatalogViewSet):
    """Cockpit operating systems and their vendors."""

    queryset = OperatingSystem.objects.select_related("vendor").prefetch_related(SOURCES)
    serializer_class = serializers.OperatingSystemSerializer
    filterset_class = filters.OperatingSystemFilterSet
    ordering_fields = [*NAMED_ORDERING, "first_release"]
    ordering = ["name"]


class ChipViewSet(CatalogViewSet):
    """Driver-assist and cockpit SoCs, modems and other chips."""

    queryset = Chip.objects.select_related("designer", "foundry").prefetch_related(SOURCES)
    serializer_class = serializers.ChipSerializer
    filterset_class = filters.ChipFilterSet
    ordering_fields = [*NAMED_ORDERING, "process_nm", "ai_tops", "released"]
    ordering = ["name"]


class DriverAssistStackViewSet(CatalogViewSet):
    """Driver-assist (ADAS) stacks, their level, capabilities and compute chips."""

    queryset = DriverAssistStack.objects.select_related("vendor").prefetch_related(
        "compute_chips", SOURCES
    )
    serializer_class = serializers.DriverAssistStackSerializer
    filterset_class = filters.DriverAssistStackFilterSet
    ordering_fields = [*NAMED_ORDERING, "level", "released"]
    ordering = ["name"]


class AllianceViewSet(CatalogViewSet):
    """Alliances, joint ventures and cooperation models that brands join."""

    queryset = Alliance.objects.select_related("leader").prefetch_related(SOURCES)
    serializer_class = serializers.AllianceSerializer
    filterset_class = filters.AllianceFilterSet
    ordering_fields = [*NAMED_ORDERING, "founded_on"]
    ordering = ["name"]
