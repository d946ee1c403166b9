from django import forms
from django.contrib import admin

from catalog.admin import CatalogAdmin, SourcedInline
from partners.admin import AllianceAdmin
from partners.models import Alliance
from vehicles.models import (
    AllianceMembership,
    Brand,
    Delivery,
    DeliveryGap,
    DeliveryTotal,
    LinkStatus,
    Partnership,
    VehicleModel,
    VehicleModelChip,
    link_status_q,
)

CHIPS_AND_REASON = "Give the chips or the reason they are unknown, not both."


class ChipFittingFormSet(SourcedInline.formset):
    """Chips kept by this save, checked against the reason (if any) that they are unknown."""

    def clean(self):
        super().clean()
        kept = [
            form
            for form in self.forms
            if form.has_changed() or form.instance.pk
            if not (self.can_delete and self._should_delete_form(form))
            if form.cleaned_data.get("chip")
        ]
        if kept and self.instance.chips_unknown:
            raise forms.ValidationError(CHIPS_AND_REASON)


class ChipFittingInline(SourcedInline):
    model = VehicleModelChip
    formset = ChipFittingFormSet
    autocomplete_fields = ["chip", "sources"]
    fields = ["chip", "role", "quantity", "sources"]
    show_change_link = False


class PartnershipInline(SourcedInline):
    model = Partnership
    autocomplete_fields = ["partner", "sources"]
    fields = [
        "slug",
        "partner",
        "kind",
        "scope",
        "announced_on",
        "started_on",
        "ended_on",
        "sources",
    ]
    exclude = ["carmaker"]


class MembershipInline(SourcedInline):
    model = AllianceMembership
    fields = ["slug", "brand", "joined_on", "left_on", "note", "sources"]
    autocomplete_fields = ["brand", "sources"]


class BrandMembershipInline(MembershipInline):
    fields = ["slug", "alliance", "joined_on", "left_on", "note", "sources"]
    autocomplete_fields = ["alliance", "sources"]


class DeliveryInline(SourcedInline):
    model = Delivery
    fields = ["slug", "month", "brand", "units", "precision", "computed", "sources"]
    autocomplete_fields = ["brand", "sources"]
    ordering = ["-month"]


class VehicleModelInline(SourcedInline):
    model = VehicleModel
    fields = ["slug", "name", "powertrain", "launched_on", "cockpit_os", "adas_stack"]
    autocomplete_fields = ["cockpit_os", "adas_stack"]


# The alliance page shows its members and deliveries. Those models live in this app,
# so the inlines are attached here rather than making partners import vehicles.
admin.site.unregister(Alliance)


@admin.register(Alliance)
class AllianceWithMembersAdmin(AllianceAdmin):
    inlines = [MembershipInline, DeliveryInline]


@admin.register(Brand)
class BrandAdmin(CatalogAdmin):
    list_display = ["name", "name_zh", "group", "launched", "positioning", "headquarters"]
    list_filter = ["positioning", "group", "memberships__alliance"]
    search_fields = ["slug", "name", "name_zh", "group__name", "group__name_zh"]
    autocomplete_fields = ["group", "sources"]
    list_select_related = ["group"]
    inlines = [BrandMembershipInline, PartnershipInline, VehicleModelInline]


class LinkStatusFilter(admin.SimpleListFilter):
    """A smart-stack link's state: linked, unknown (with a reason), or not reviewed yet."""

    link = ""

    def lookups(self, request, model_admin):
        return LinkStatus.choices

    def queryset(self, request, queryset):
        if self.value() in LinkStatus.values:
            return queryset.filter(link_status_q(self.link, self.value()))
        return queryset


class CockpitOsStatusFilter(LinkStatusFilter):
    title = "cockpit OS status"
    parameter_name = "cockpit_os_status"
    link = "cockpit_os"


class AdasStackStatusFilter(LinkStatusFilter):
    title = "ADAS stack status"
    parameter_name = "adas_stack_status"
    link = "adas_stack"


class ChipsStatusFilter(LinkStatusFilter):
    title = "chips status"
    parameter_name = "chips_status"
    link = "chips"


@admin.register(VehicleModel)
class VehicleModelAdmin(CatalogAdmin):
    list_display = [
        "__str__",
        "name_zh",
        "powertrain",
        "body_type",
        "launched_on",
        "price_min_cny",
        "price_max_cny",
        "cockpit_os",
        "adas_stack",
    ]
    list_filter = [
        "powertrain",
        "body_type",
        "brand__group",
        "brand",
        "cockpit_os",
        "adas_stack",
        CockpitOsStatusFilter,
        AdasStackStatusFilter,
        ChipsStatusFilter,
    ]
    search_fields = ["slug", "name", "name_zh", "brand__name", "brand__name_zh"]
    autocomplete_fields = ["brand", "cockpit_os", "adas_stack", "sources"]
    list_select_related = ["brand", "cockpit_os", "adas_stack"]
    date_hierarchy = "launched_on"
    inlines = [ChipFittingInline]

    def get_prepopulated_fields(self, request, obj=None):
        return {"slug": ["name"]} if obj is None else {}


@admin.register(Partnership)
class PartnershipAdmin(CatalogAdmin):
    list_display = ["__str__", "kind", "announced_on", "started_on", "ended_on"]
    list_filter = ["kind", "partner__country", "partner"]
    search_fields = [
        "slug",
        "scope",
        "brand__name",
        "brand__name_zh",
        "carmaker__name",
        "carmaker__name_zh",
        "partner__name",
        "partner__name_zh",
    ]
    autocomplete_fields = ["brand", "carmaker", "partner", "sources"]
    list_select_related = ["brand", "carmaker", "partner"]
    date_hierarchy = "started_on"


@admin.register(AllianceMembership)
class AllianceMembershipAdmin(CatalogAdmin):
    list_display = ["alliance", "brand", "joined_on", "left_on"]
    list_filter = ["alliance"]
    search_fields = ["slug", "alliance__name", "alliance__name_zh", "brand__name", "brand__name_zh"]
    autocomplete_fields = ["alliance", "brand", "sources"]
    list_select_related = ["alliance", "brand"]


@admin.register(Delivery)
class DeliveryAdmin(CatalogAdmin):
    list_display = ["month", "alliance", "brand", "units", "precision", "computed"]
    list_filter = ["alliance", "precision", "computed", "brand"]
    search_fields = ["slug", "alliance__name", "alliance__name_zh", "brand__name", "brand__name_zh"]
    autocomplete_fields = ["alliance", "brand", "sources"]
    list_select_related = ["alliance", "brand"]
    date_hierarchy = "month"


@admin.register(DeliveryTotal)
class DeliveryTotalAdmin(CatalogAdmin):
    list_display = ["slug", "alliance", "brand", "first_month", "last_month", "units", "precision"]
    list_filter = ["alliance", "precision", "computed"]
    search_fields = ["slug", "alliance__name", "alliance__name_zh", "brand__name", "brand__name_zh"]
    autocomplete_fields = ["alliance", "brand", "sources"]
    list_select_related = ["alliance", "brand"]


@admin.register(DeliveryGap)
class DeliveryGapAdmin(CatalogAdmin):
    list_display = ["month", "alliance", "brand", "reason"]
    list_filter = ["alliance", "reason", "brand"]
    search_fields = ["slug", "alliance__name", "alliance__name_zh", "brand__name", "brand__name_zh"]
    autocomplete_fields = ["alliance", "brand", "sources"]
    list_select_related = ["alliance", "brand"]
    date_hierarchy = "month"
