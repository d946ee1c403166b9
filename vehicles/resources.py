"""Spreadsheet import and export of brand-side facts: deliveries and period totals,
vehicle models with their OS, stack and chips, partnerships and memberships.

The columns are the API's fields (relations by slug, or by an unambiguous English or
Chinese name; months `YYYY-MM`; sources a list of slugs); see catalog.resources.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from import_export import fields, widgets

from catalog.resources import (
    CatalogResource,
    MonthWidget,
    StrictDateWidget,
    relation,
    sources_field,
)
from partners.models import Alliance, Chip, Company, DriverAssistStack, OperatingSystem
from vehicles.models import (
    AllianceMembership,
    Brand,
    ChipRole,
    Delivery,
    DeliveryTotal,
    Partnership,
    VehicleModel,
    check_chips_or_reason,
)
from vehicles.services import set_vehicle_model_chips


def date_field(name):
    return fields.Field(attribute=name, column_name=name, widget=StrictDateWidget())


def month_field(name):
    return fields.Field(attribute=name, column_name=name, widget=MonthWidget())


class DeliveryResource(CatalogResource):
    """Monthly figures: alliance and/or brand, month, units, precision, computed, note,
    sources. The slug may be left empty: it is the API's (hima-aito-2025-11)."""

    makes_slug = True
    # Delivery.clean() reads the reporter's gaps and the brand's memberships.
    alliance = relation("alliance", Alliance, prefetch=["delivery_gaps"])
    brand = relation("brand", Brand, prefetch=["memberships", "delivery_gaps"])
    month = month_field("month")
    sources = sources_field()

    class Meta(CatalogResource.Meta):
        model = Delivery
        fields = [
            "slug",
            "alliance",
            "brand",
            "month",
            "units",
            "precision",
            "computed",
            "note",
            "sources",
        ]


class DeliveryTotalResource(CatalogResource):
    """Totals over several months: reporter, first and last month, units, ..."""

    makes_slug = True
    alliance = relation("alliance", Alliance)
    brand = relation("brand", Brand)
    first_month = month_field("first_month")
    last_month = month_field("last_month")
    sources = sources_field()

    class Meta(CatalogResource.Meta):
        model = DeliveryTotal
        fields = [
            "slug",
            "alliance",
            "brand",
            "first_month",
            "last_month",
            "units",
            "precision",
            "computed",
            "note",
            "sources",
        ]


class ChipsWidget(widgets.Widget):
    """A vehicle model's chips as `chip:role` or `chip:role:quantity` items separated by
    `;` (e.g. `orin-x:adas:2; sa8295p:cockpit`); the chip by slug or name."""

    def __init__(self):
        self.chip = relation("chip", Chip).widget

    def clean(self, value, row=None, **kwargs):
        if value is None or str(value).strip() == "":
            return []
        fittings, seen = [], set()
        roles = ", ".join(ChipRole.values)
        for item in str(value).split(";"):
            if not item.strip():
                continue
            parts = [part.strip() for part in item.split(":")]
            if len(parts) not in (2, 3):
                raise ValueError(
                    gettext("'%(item)s': give chip:role or chip:role:quantity, e.g. orin-x:adas:2.")
                    % {"item": item.strip()}
                )
            chip = self.chip.clean(parts[0])
            if parts[1] not in ChipRole.values:
                raise ValueError(
                    gettext("'%(role)s' is not a chip role. Accepted: %(roles)s.")
                    % {"role": parts[1], "roles": roles}
                )
            quantity = None
            if len(parts) == 3 and parts[2]:
                if not parts[2].isascii() or not parts[2].isdigit() or int(parts[2]) < 1:
                    raise ValueError(
                        gettext("'%(quantity)s': a quantity is a whole number from 1.")
                        % {"quantity": parts[2]}
                    )
                quantity = int(parts[2])
            if (chip.pk, parts[1]) in seen:
                raise ValueError(
                    gettext("%(chip)s is listed twice in the role %(role)s.")
                    % {"chip": chip.slug, "role": parts[1]}
                )
            seen.add((chip.pk, parts[1]))
            fittings.append({"chip": chip, "role": parts[1], "quantity": quantity})
        return fittings

    def render(self, value, obj=None, **kwargs):
        # ChipsField.get_value gives the model itself as the value; import-export's
        # export passes no obj (an empty column here made a round trip delete every fitting).
        model = obj if obj is not None else value
        if model is None or model.pk is None:
            return ""
        items = []
        for fitting in model.chip_fittings.all():
            quantity = f":{fitting.quantity}" if fitting.quantity is not None else ""
            items.append(f"{fitting.chip.slug}:{fitting.role}{quantity}")
        return "; ".join(sorted(items))


class ChipsField(fields.Field):
    """The chips column: read from and written to the model's chip fittings, after the
    model itself is saved (vehicles.services.set_vehicle_model_chips)."""

    def __init__(self):
        super().__init__(attribute=None, column_name="chips", widget=ChipsWidget())

    def get_value(self, obj):
        return obj

    def save(self, instance, row, is_m2m=False, **kwargs):
        """Parsed (and so checked) with the row; written in after_save_instance()."""
        instance._imported_chips = self.clean(row, **kwargs)


class VehicleModelResource(CatalogResource):
    """Vehicle models with their cockpit OS, driver-assist stack and chips (see
    ChipsWidget), or the reasons those are unknown."""

    makes_slug = True
    brand = relation("brand", Brand)
    cockpit_os = relation("cockpit_os", OperatingSystem)
    adas_stack = relation("adas_stack", DriverAssistStack)
    launched_on = date_field("launched_on")
    discontinued_on = date_field("discontinued_on")
    chips = ChipsField()
    sources = sources_field()

    class Meta(CatalogResource.Meta):
        # Saved one by one: each model's chips are written after it, through the service
        # every writer uses (after_save_instance()). Line-ups are short files.
        use_bulk = False
        model = VehicleModel
        fields = [
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
            "sources",
        ]

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if isinstance(field, ChipsField):
            if field.column_name in row:
                field.save(instance, row, **kwargs)
            return
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        chips = getattr(instance, "_imported_chips", None)
        if chips is not None and not instance._state.adding:
            # The stored model's fittings, read with it (get_queryset) and not yet changed.
            wanted = {(item["chip"].pk, item["role"], item["quantity"]) for item in chips}
            stored = {(f.chip_id, f.role, f.quantity) for f in instance.chip_fittings.all()}
            if wanted != stored:
                return False
        return super().skip_row(instance, original, row, import_validation_errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        chips = getattr(instance, "_imported_chips", None)
        try:
            check_chips_or_reason(has_chips=bool(chips), chips_unknown=instance.chips_unknown)
        except ValidationError as error:
            errors.setdefault("chips", []).extend(error.messages)
        super().validate_instance(instance, errors, validate_unique)

    def after_save_instance(self, instance, row, **kwargs):
        chips = getattr(instance, "_imported_chips", None)
        if chips is not None:
            set_vehicle_model_chips(vehicle_model=instance, fittings=chips)

    def get_queryset(self):
        return super().get_queryset().prefetch_related("chip_fittings__chip")


class PartnershipResource(CatalogResource):
    """Deals of a brand (or a whole carmaker group) with a partner."""

    makes_slug = True
    brand = relation("brand", Brand)
    carmaker = relation("carmaker", Company)
    partner = relation("partner", Company)
    announced_on = date_field("announced_on")
    started_on = date_field("started_on")
    ended_on = date_field("ended_on")
    sources = sources_field()

    class Meta(CatalogResource.Meta):
        model = Partnership
        fields = [
            "slug",
            "brand",
            "carmaker",
            "partner",
            "kind",
            "scope",
            "announced_on",
            "started_on",
            "ended_on",
            "sources",
        ]


class AllianceMembershipResource(CatalogResource):
    """A brand's dated membership of an alliance."""

    makes_slug = True
    alliance = relation("alliance", Alliance)
    brand = relation("brand", Brand)
    joined_on = date_field("joined_on")
    left_on = date_field("left_on")
    sources = sources_field()

    class Meta(CatalogResource.Meta):
        model = AllianceMembership
        fields = ["slug", "alliance", "brand", "joined_on", "left_on", "note", "sources"]
