from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from catalog.admin import CatalogAdmin, CatalogInline, https_formfield
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


class CompanyForm(forms.ModelForm):
    """Company with its roles as checkboxes (stored as rows of CompanyRole)."""

    roles = forms.MultipleChoiceField(
        choices=Role.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = Company
        fields = [
            "name",
            "name_zh",
            "slug",
            "description",
            "country",
            "headquarters",
            "founded",
            "website",
            "parent",
            "state_owned",
            "ownership_note",
            "sources",
        ]
        formfield_callback = https_formfield

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["roles"] = list(self.instance.roles.values_list("role", flat=True))


class ShareholdingInline(CatalogInline):
    model = Shareholding
    makes_slug = True
    fk_name = "company"
    autocomplete_fields = ["holder", "sources"]
    fields = ["holder", "share_percent", "acquired_on", "disposed_on", "slug", "sources"]
    verbose_name_plural = _("shareholders")


class RoleFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return Role.choices

    def queryset(self, request, queryset):
        return queryset.filter(roles__role=self.value()).distinct() if self.value() else queryset


@admin.register(Company)
class CompanyAdmin(CatalogAdmin):
    form = CompanyForm
    list_display = [
        "name",
        "name_zh",
        "country",
        "headquarters",
        "founded",
        "role_names",
        "state_owned",
    ]
    list_filter = [RoleFilter, "country", "state_owned"]
    autocomplete_fields = ["parent", "sources"]
    inlines = [ShareholdingInline]
    fieldsets = [
        (None, {"fields": ["name", "name_zh", "slug", "roles", "description"]}),
        (_("Where and when"), {"fields": ["country", "headquarters", "founded", "website"]}),
        (_("Ownership"), {"fields": ["parent", "state_owned", "ownership_note"]}),
        (_("Provenance"), {"fields": ["sources", "created", "updated"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("roles")

    @admin.display(description=_("roles"))
    def role_names(self, company):
        return ", ".join(role.get_role_display() for role in company.roles.all())

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        set_company_roles(company=form.instance, roles=form.cleaned_data["roles"])


@admin.register(Shareholding)
class ShareholdingAdmin(CatalogAdmin):
    makes_slug = True
    leading_fields = ("company", "holder", "share_percent", "slug")
    list_display = ["company", "holder", "share_percent", "acquired_on", "disposed_on"]
    list_filter = ["acquired_on"]
    autocomplete_fields = ["holder", "company", "sources"]
    list_select_related = ["holder", "company"]


@admin.register(OperatingSystem)
class OperatingSystemAdmin(CatalogAdmin):
    list_display = ["name", "name_zh", "vendor", "base", "first_release", "model_count"]
    list_filter = ["base", "vendor__country"]
    autocomplete_fields = ["vendor", "sources"]
    list_select_related = ["vendor"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(model_count=Count("vehicle_models"))

    @admin.display(description=_("vehicle models"), ordering="model_count")
    def model_count(self, operating_system):
        return operating_system.model_count


@admin.register(Chip)
class ChipAdmin(CatalogAdmin):
    list_display = ["name", "designer", "foundry", "category", "process_nm", "ai_tops", "released"]
    list_filter = [
        "category",
        "designer__country",
        ("designer", admin.RelatedOnlyFieldListFilter),
    ]
    autocomplete_fields = ["designer", "foundry", "sources"]
    list_select_related = ["designer", "foundry"]


@admin.register(DriverAssistStack)
class DriverAssistStackAdmin(CatalogAdmin):
    list_display = [
        "name",
        "vendor",
        "version",
        "level",
        "urban_noa",
        "sensor_approach",
        "released",
    ]
    list_filter = ["level", "sensor_approach", "urban_noa", "highway_noa", "vendor__country"]
    autocomplete_fields = ["vendor", "compute_chips", "sources"]
    list_select_related = ["vendor"]


@admin.register(Alliance)
class AllianceAdmin(CatalogAdmin):
    list_display = ["name", "name_zh", "leader", "kind", "founded_on"]
    list_filter = ["kind"]
    autocomplete_fields = ["leader", "sources"]
    list_select_related = ["leader"]
