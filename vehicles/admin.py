from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalog.admin import CatalogAdmin, ImportExportAdmin, SourcedInline
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
    check_chips_or_reason,
    link_status_q,
)
from vehicles.resources import (
    AllianceMembershipResource,
    DeliveryResource,
    DeliveryTotalResource,
    PartnershipResource,
    VehicleModelResource,
)


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
        try:
            check_chips_or_reason(has_chips=bool(kept), chips_unknown=self.instance.chips_unknown)
        except forms.ValidationError as error:
            raise forms.ValidationError(error.messages) from None


class ChipFittingInline(SourcedInline):
    model = VehicleModelChip
    formset = ChipFittingFormSet
    autocomplete_fields = ["chip", "sources"]
    fields = ["chip", "role", "quantity", "sources"]
    show_change_link = False


class PartnershipInline(SourcedInline):
    model = Partnership
    makes_slug = True
    autocomplete_fields = ["partner", "sources"]
    fields = [
        "partner",
        "kind",
        "scope",
        "announced_on",
        "started_on",
        "ended_on",
        "slug",
        "sources",
    ]
    exclude = ["carmaker"]


class MembershipInline(SourcedInline):
    model = AllianceMembership
    makes_slug = True
    fields = ["brand", "joined_on", "left_on", "note", "slug", "sources"]
    autocomplete_fields = ["brand", "sources"]


class BrandMembershipInline(MembershipInline):
    fields = ["alliance", "joined_on", "left_on", "note", "slug", "sources"]
    autocomplete_fields = ["alliance", "sources"]


class VehicleModelInline(SourcedInline):
    model = VehicleModel
    makes_slug = True
    fields = ["name", "powertrain", "launched_on", "cockpit_os", "adas_stack", "slug"]
    autocomplete_fields = ["cockpit_os", "adas_stack"]


def figures_links(owner, field):
    """Links to the delivery figures, totals and gaps of `owner` (an alliance or a brand,
    by `field`): how many, the filtered list, and an add form with the owner filled in.
    Figures grow every month, so they are not an inline of the owner's page."""
    if owner.pk is None:
        return gettext("Save first; figures are then entered on their own pages.")
    rows = []
    for model in (Delivery, DeliveryTotal, DeliveryGap):
        opts = model._meta
        count = model._default_manager.filter(**{field: owner}).count()
        listing = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        rows.append(
            (
                f"{listing}?{field}__id__exact={owner.pk}",
                count,
                opts.verbose_name if count == 1 else opts.verbose_name_plural,
                f"{add}?{field}={owner.pk}",
                gettext("add a %(name)s") % {"name": opts.verbose_name},
            )
        )
    return format_html_join(mark_safe("<br>"), '<a href="{}">{} {}</a> · <a href="{}">{}</a>', rows)


# The alliance page shows its members and links to its deliveries. Those models live in
# this app, so they are attached here rather than making partners import vehicles.
admin.site.unregister(Alliance)


@admin.register(Alliance)
class AllianceWithMembersAdmin(AllianceAdmin):
    inlines = [MembershipInline]
    readonly_fields = [*AllianceAdmin.readonly_fields, "figures"]

    @admin.display(description=_("deliveries"))
    def figures(self, alliance):
        return figures_links(alliance, "alliance")


@admin.register(Brand)
class BrandAdmin(CatalogAdmin):
    list_display = ["name", "name_zh", "group", "launched", "positioning", "headquarters"]
    # Only the companies that own brands (carmaker groups), not every company.
    list_filter = [
        "positioning",
        ("group", admin.RelatedOnlyFieldListFilter),
        "memberships__alliance",
    ]
    autocomplete_fields = ["group", "sources"]
    list_select_related = ["group"]
    inlines = [BrandMembershipInline, PartnershipInline, VehicleModelInline]
    readonly_fields = [*CatalogAdmin.readonly_fields, "figures"]

    @admin.display(description=_("deliveries"))
    def figures(self, brand):
        return figures_links(brand, "brand")


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
    title = _("cockpit OS status")
    parameter_name = "cockpit_os_status"
    link = "cockpit_os"


class AdasStackStatusFilter(LinkStatusFilter):
    title = _("ADAS stack status")
    parameter_name = "adas_stack_status"
    link = "adas_stack"


class ChipsStatusFilter(LinkStatusFilter):
    title = _("chips status")
    parameter_name = "chips_status"
    link = "chips"


@admin.register(VehicleModel)
class VehicleModelAdmin(ImportExportAdmin, CatalogAdmin):
    resource_classes = [VehicleModelResource]
    makes_slug = True
    leading_fields = ("brand", "name", "name_zh", "slug")
    list_display = [
        "__str__",
        "powertrain",
        "body_type",
        "launched_on",
        "price_range",
        "cockpit_os",
        "adas_stack",
    ]
    list_filter = [
        "powertrain",
        "body_type",
        ("brand__group", admin.RelatedOnlyFieldListFilter),
        ("brand", admin.RelatedOnlyFieldListFilter),
        "cockpit_os",
        "adas_stack",
        CockpitOsStatusFilter,
        AdasStackStatusFilter,
        ChipsStatusFilter,
    ]
    autocomplete_fields = ["brand", "cockpit_os", "adas_stack", "sources"]
    list_select_related = ["brand", "cockpit_os", "adas_stack"]
    date_hierarchy = "launched_on"
    inlines = [ChipFittingInline]

    def get_prepopulated_fields(self, request, obj=None):
        # The API's rule (brand slug and name) is applied on save when the slug is empty.
        return {}

    @admin.display(description=_("price (CNY)"), ordering="price_min_cny")
    def price_range(self, model):
        low, high = model.price_min_cny, model.price_max_cny
        if low is None and high is None:
            return "-"
        if low == high or high is None or low is None:
            return f"{low or high:,}"
        return gettext("%(low)s to %(high)s") % {"low": f"{low:,}", "high": f"{high:,}"}


@admin.register(Partnership)
class PartnershipAdmin(ImportExportAdmin, CatalogAdmin):
    resource_classes = [PartnershipResource]
    makes_slug = True
    leading_fields = ("brand", "carmaker", "partner", "kind", "slug")
    list_display = ["__str__", "kind", "announced_on", "started_on", "ended_on"]
    list_filter = ["kind", "partner__country", ("partner", admin.RelatedOnlyFieldListFilter)]
    autocomplete_fields = ["brand", "carmaker", "partner", "sources"]
    list_select_related = ["brand", "carmaker", "partner"]
    date_hierarchy = "started_on"


class ReporterAdmin(CatalogAdmin):
    """Rows tied to an alliance and a brand (memberships, figures, gaps): found and
    chosen by either, and listed with both."""

    autocomplete_fields = ["alliance", "brand", "sources"]
    list_select_related = ["alliance", "brand"]


def reporter_filters(*filters):
    """The list filters of a reported row: the alliance first, then `filters`, then the brand
    (each reporter offered only where it has rows)."""
    return [
        ("alliance", admin.RelatedOnlyFieldListFilter),
        *filters,
        ("brand", admin.RelatedOnlyFieldListFilter),
    ]


def reported_fields(*facts):
    """A reported row's form: who reported, then `facts`, then the note, the sources and
    what the system keeps (slug, timestamps)."""
    return ["alliance", "brand", *facts, "note", "sources", "slug", "created", "updated"]


class ReportedAdmin(ReporterAdmin):
    """Figures, totals and gaps: who reported and when, their slug the system's, as in
    the API."""

    makes_slug = True
    readonly_fields = ["slug", "created", "updated"]

    @admin.display(description=_("month"), ordering="month")
    def month_shown(self, row):
        return f"{row.month:%Y-%m}"


@admin.register(AllianceMembership)
class AllianceMembershipAdmin(ImportExportAdmin, ReporterAdmin):
    resource_classes = [AllianceMembershipResource]
    makes_slug = True
    leading_fields = ("alliance", "brand", "joined_on", "left_on", "slug")
    list_display = ["alliance", "brand", "joined_on", "left_on"]
    list_filter = ["alliance"]


@admin.register(Delivery)
class DeliveryAdmin(ImportExportAdmin, ReportedAdmin):
    """Who reported, which month, how many; then how exact, a note and the sources. The
    slug is the system's (hima-2025-11, hima-aito-2025-11), as in the API."""

    resource_classes = [DeliveryResource]
    month_fields = ("month",)
    fields = reported_fields("month", "units", "precision", "computed")
    list_display = ["month_shown", "alliance", "brand", "units", "precision", "computed"]
    list_filter = reporter_filters("precision", "computed")
    date_hierarchy = "month"


@admin.register(DeliveryTotal)
class DeliveryTotalAdmin(ImportExportAdmin, ReportedAdmin):
    """A total over several months: who, the first and last month, how many; the slug is
    the system's, as in the API."""

    resource_classes = [DeliveryTotalResource]
    month_fields = ("first_month", "last_month")
    fields = reported_fields("first_month", "last_month", "units", "precision", "computed")
    list_display = ["alliance", "brand", "period", "units", "precision"]
    list_filter = reporter_filters("precision", "computed")

    @admin.display(description=_("period"), ordering="first_month")
    def period(self, total):
        return gettext("%(low)s to %(high)s") % {
            "low": f"{total.first_month:%Y-%m}",
            "high": f"{total.last_month:%Y-%m}",
        }


@admin.register(DeliveryGap)
class DeliveryGapAdmin(ReportedAdmin):
    month_fields = ("month",)
    fields = reported_fields("month", "reason")
    list_display = ["month_shown", "alliance", "brand", "reason"]
    list_filter = reporter_filters("reason")
    date_hierarchy = "month"
