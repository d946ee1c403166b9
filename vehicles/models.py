"""Brands, vehicle models, and every brand-side link: partnerships, memberships, deliveries."""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from catalog.i18n import english, interpolate_lazy
from catalog.models import (
    INTEGER_MAX,
    SLUG_MAX_LENGTH,
    SMALL_INTEGER_MAX,
    CatalogEntry,
    NamedEntry,
    Source,
    TimeStampedModel,
    choices_check,
    date_order_check,
    dates_in_range,
    slug_from,
    year_check,
    year_field,
)
from partners.models import Alliance, Chip, Company, DriverAssistStack, OperatingSystem


def order_indexes(tag, *orders):
    """One index per documented order of a list: its field, then the slug that breaks
    ties, so the database reads a page in order from the index instead of sorting the
    table (a descending field reads the index backwards)."""
    return [
        models.Index(fields=[order, "slug"], name=f"veh_{tag}_{order.lstrip('-')}_ord")
        for order in orders
    ]


class Positioning(models.TextChoices):
    BUDGET = "budget", _("Budget")
    MASS_MARKET = "mass_market", _("Mass market")
    PREMIUM = "premium", _("Premium")
    LUXURY = "luxury", _("Luxury")


class Brand(NamedEntry):
    """A car brand and the carmaker group that owns it."""

    Positioning = Positioning

    group = models.ForeignKey(
        Company,
        on_delete=models.PROTECT,
        related_name="brands",
        help_text=_("The carmaker group that owns the brand."),
    )
    launched = year_field(_("launched"), _("Year the brand was launched."))
    headquarters = models.CharField(max_length=100, blank=True, help_text=_("City."))
    positioning = models.CharField(max_length=20, choices=Positioning.choices, blank=True)
    website = models.URLField(blank=True)

    search_fields = (*NamedEntry.search_fields, "group__name", "group__name_zh")

    class Meta(NamedEntry.Meta):
        indexes = order_indexes("brand", "launched", "created", "updated")
        constraints = [
            *NamedEntry.Meta.constraints,
            year_check("launched"),
            choices_check("positioning", Positioning, blank=True),
        ]


class BodyType(models.TextChoices):
    SEDAN = "sedan", _("Sedan")
    SUV = "suv", "SUV"
    MPV = "mpv", "MPV"
    HATCHBACK = "hatchback", _("Hatchback")
    WAGON = "wagon", _("Wagon")
    COUPE = "coupe", _("Coupe")
    PICKUP = "pickup", _("Pickup")


class Powertrain(models.TextChoices):
    BEV = "bev", _("Battery electric (BEV)")
    EREV = "erev", _("Extended-range electric (EREV)")
    PHEV = "phev", _("Plug-in hybrid (PHEV)")
    HEV = "hev", _("Hybrid (HEV)")
    ICE = "ice", _("Combustion (ICE)")


UNKNOWN_HELP = _(
    "Why no %(link)s is linked (for example: no source names it; it varies by trim). Leave "
    "empty when a %(link)s is linked. Empty with no %(link)s means the model has not been "
    "reviewed yet."
)


def unknown_reason(link):
    """The text field that says why one smart-stack link of a vehicle model is unknown
    (`link`: what is linked, as staff read it)."""
    return models.TextField(
        interpolate_lazy(_("why the %(link)s is unknown"), link=link),
        blank=True,
        help_text=interpolate_lazy(UNKNOWN_HELP, link=link),
    )


def linked_or_unknown_check(link, label):
    """A link is either set or explained as unknown, never both."""
    return models.CheckConstraint(
        condition=Q(**{f"{link}__isnull": True}) | Q(**{f"{link}_unknown": ""}),
        name=f"vehicles_model_{link}_linked_or_unknown",
        violation_error_message=interpolate_lazy(
            _("Give the %(link)s or the reason it is unknown, not both."), link=label
        ),
    )


CHIPS_AND_REASON = _("Give the chips or the reason they are unknown, not both.")


def check_chips_or_reason(*, has_chips, chips_unknown):
    """Chips, like the other links, are given or explained as unknown, never both.

    They are rows of their own (VehicleModelChip), out of a CheckConstraint's reach, so
    every writer of chips (API, admin, imports, loader) asks here with what it is about to
    save. Raises ValidationError under `chips_unknown`.
    """
    if has_chips and chips_unknown:
        raise ValidationError({"chips_unknown": CHIPS_AND_REASON})


class VehicleModel(CatalogEntry):
    """A car model (or a trim whose smart stack differs) with its cockpit OS, ADAS and chips.

    Each of the three smart-stack links (cockpit OS, driver-assist stack, chips) is in one
    of three states: linked; unknown, with the reason in `<link>_unknown`; or not reviewed
    yet (no link and no reason). The database refuses a link that is both set and unknown;
    for chips, a list written after the row, the API, the admin's chip inline and the seed
    loader refuse it.
    """

    BodyType = BodyType

    Powertrain = Powertrain

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="vehicle_models")
    name = models.CharField(max_length=150)
    name_zh = models.CharField(_("Chinese name"), max_length=150, blank=True)
    body_type = models.CharField(max_length=20, choices=BodyType.choices, blank=True)
    powertrain = models.CharField(max_length=10, choices=Powertrain.choices)
    launched_on = models.DateField(null=True, blank=True)
    discontinued_on = models.DateField(null=True, blank=True)
    price_min_cny = models.PositiveIntegerField(
        _("lowest price (CNY)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(INTEGER_MAX)],
    )
    price_max_cny = models.PositiveIntegerField(
        _("highest price (CNY)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(INTEGER_MAX)],
    )
    cockpit_os = models.ForeignKey(
        OperatingSystem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="vehicle_models",
        verbose_name=_("cockpit OS"),
    )
    adas_stack = models.ForeignKey(
        DriverAssistStack,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="vehicle_models",
        verbose_name=_("ADAS stack"),
    )
    chips = models.ManyToManyField(
        Chip, through="VehicleModelChip", blank=True, related_name="vehicle_models"
    )
    cockpit_os_unknown = unknown_reason(_("cockpit OS"))
    adas_stack_unknown = unknown_reason(_("ADAS stack"))
    chips_unknown = unknown_reason(_("chips"))
    note = models.TextField(blank=True)

    search_fields = ("slug", "name", "name_zh", "brand__name", "brand__name_zh")
    name_fields = ("name", "name_zh")

    class Meta(CatalogEntry.Meta):
        indexes = order_indexes(
            "model", "name", "launched_on", "price_min_cny", "price_max_cny", "created", "updated"
        )
        ordering = ["brand__name", "name"]
        constraints = [
            *CatalogEntry.Meta.constraints,
            dates_in_range("launched_on", "discontinued_on"),
            models.UniqueConstraint(fields=["brand", "name"], name="vehicles_model_unique_name"),
            choices_check("body_type", BodyType, blank=True),
            choices_check("powertrain", Powertrain),
            date_order_check("launched_on", "discontinued_on"),
            models.CheckConstraint(
                condition=Q(price_min_cny__isnull=True) | Q(price_min_cny__gt=0),
                name="vehicles_model_price_min_positive",
                violation_error_message=_("Prices must be positive."),
            ),
            models.CheckConstraint(
                condition=Q(price_max_cny__isnull=True) | Q(price_max_cny__gt=0),
                name="vehicles_model_price_max_positive",
                violation_error_message=_("Prices must be positive."),
            ),
            models.CheckConstraint(
                condition=Q(price_min_cny__isnull=True)
                | Q(price_max_cny__isnull=True)
                | Q(price_max_cny__gte=F("price_min_cny")),
                name="vehicles_model_price_range_ordered",
                violation_error_message=_("The highest price must not be below the lowest."),
            ),
            linked_or_unknown_check("cockpit_os", _("cockpit OS")),
            linked_or_unknown_check("adas_stack", _("ADAS stack")),
        ]

    def __str__(self):
        return f"{self.brand.name} {self.name}" if self.brand_id else self.name

    @classmethod
    def make_slug(cls, values):
        """aito-m9: the brand's slug and the model's name."""
        brand, name = values.get("brand"), values.get("name")
        return slug_from(f"{brand.slug} {name}") if brand and name else None


class ChipRole(models.TextChoices):
    ADAS = "adas", _("Driver assist")
    COCKPIT = "cockpit", _("Cockpit")
    CONNECTIVITY = "connectivity", _("Connectivity")


class VehicleModelChip(TimeStampedModel):
    """A chip fitted to a vehicle model, in a given role and, where a source says, number."""

    Role = ChipRole

    vehicle_model = models.ForeignKey(
        VehicleModel, on_delete=models.CASCADE, related_name="chip_fittings"
    )
    chip = models.ForeignKey(Chip, on_delete=models.PROTECT, related_name="fittings")
    role = models.CharField(max_length=20, choices=Role.choices)
    quantity = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(SMALL_INTEGER_MAX)],
        help_text=_("How many are fitted; empty when no source states it (it can vary by trim)."),
    )
    sources = models.ManyToManyField(Source, blank=True, related_name="cited_by_chip_fittings")

    history = HistoricalRecords()

    class Meta:
        ordering = ["vehicle_model", "role", "chip"]
        verbose_name = _("chip fitting")
        constraints = [
            models.UniqueConstraint(
                fields=["vehicle_model", "chip", "role"], name="vehicles_chipfitting_unique"
            ),
            choices_check("role", ChipRole),
            models.CheckConstraint(
                condition=Q(quantity__isnull=True) | Q(quantity__gte=1),
                name="vehicles_chipfitting_quantity_positive",
                violation_error_message=_("quantity must be at least 1."),
            ),
        ]

    def __str__(self):
        count = f"{self.quantity} x " if self.quantity not in (None, 1) else ""
        # The row's name is data (the API and the change log show it): always in English.
        return f"{count}{self.chip} ({english(self.get_role_display())})"


class LinkStatus(models.TextChoices):
    """The state of one smart-stack link of a vehicle model."""

    LINKED = "linked", _("Linked")
    UNKNOWN = "unknown", _("Unknown, with the reason")
    UNREVIEWED = "unreviewed", _("Not reviewed yet")


STACK_LINKS = ("cockpit_os", "adas_stack", "chips")


def link_status_q(link, status):
    """A filter for vehicle models whose `link` (one of STACK_LINKS) is in `status`."""
    if link == "chips":
        linked = Q(Exists(VehicleModelChip.objects.filter(vehicle_model=OuterRef("pk"))))
    else:
        linked = Q(**{f"{link}__isnull": False})
    if status == LinkStatus.LINKED:
        return linked
    explained = ~Q(**{f"{link}_unknown": ""})
    return ~linked & (explained if status == LinkStatus.UNKNOWN else ~explained)


class PartnershipKind(models.TextChoices):
    OS = "os", _("Cockpit OS")
    ADAS = "adas", _("Driver assist")
    CHIP = "chip", _("Chips")
    TELECOM = "telecom", _("Telecom / connectivity")
    AI = "ai", _("AI")
    CLOUD = "cloud", _("Cloud")
    JOINT_VENTURE = "joint_venture", _("Joint venture")
    INVESTMENT = "investment", _("Investment")
    OTHER = "other", _("Other")


class Partnership(CatalogEntry):
    """A dated supply or cooperation deal between a brand (or a whole group) and a partner."""

    Kind = PartnershipKind

    brand = models.ForeignKey(
        Brand,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="partnerships",
        help_text=_("The brand in the deal; empty when the deal is with the whole group."),
    )
    carmaker = models.ForeignKey(
        Company,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="carmaker_partnerships",
        help_text=_("The carmaker group, for a group-wide deal; empty when a brand is given."),
    )
    partner = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="partnerships")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    scope = models.TextField(blank=True, help_text=_("What the deal covers."))
    announced_on = models.DateField(null=True, blank=True)
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True, help_text=_("Empty: ongoing."))

    one_of_required = at_most_one_of = ("brand", "carmaker")

    search_fields = (
        "slug",
        "scope",
        "brand__name",
        "brand__name_zh",
        "carmaker__name",
        "carmaker__name_zh",
        "partner__name",
        "partner__name_zh",
    )

    class Meta(CatalogEntry.Meta):
        indexes = order_indexes(
            "deal", "announced_on", "started_on", "ended_on", "created", "updated"
        )
        ordering = ["slug"]
        constraints = [
            *CatalogEntry.Meta.constraints,
            dates_in_range("announced_on", "started_on", "ended_on"),
            models.CheckConstraint(
                condition=Q(brand__isnull=False, carmaker__isnull=True)
                | Q(brand__isnull=True, carmaker__isnull=False),
                name="vehicles_partnership_one_carmaker_side",
                violation_error_message=_("Give either a brand or a carmaker group, not both."),
            ),
            # A deal has two sides, as a shareholding has a holder and a company
            # (partners_shareholding_not_self): a group is not its own partner.
            models.CheckConstraint(
                condition=~Q(carmaker=F("partner")),
                name="vehicles_partnership_not_self",
                violation_error_message=_("A company cannot be its own partner."),
            ),
            choices_check("kind", PartnershipKind),
            date_order_check("started_on", "ended_on"),
            date_order_check("announced_on", "ended_on"),
        ]

    def __str__(self):
        # The row's name is data (the API and the change log show it): always in English.
        kind = english(self.get_kind_display())
        return f"{self.brand or self.carmaker} - {self.partner} ({kind})"

    @classmethod
    def make_slug(cls, values):
        """aito-huawei-adas, chery-china-mobile-joint-venture: the brand (or group), the
        partner and the kind, with hyphens only."""
        side = values.get("brand") or values.get("carmaker")
        partner, kind = values.get("partner"), values.get("kind")
        if side and partner and kind:
            return f"{side.slug}-{partner.slug}-{kind}"[:SLUG_MAX_LENGTH].replace("_", "-")
        return None


class AllianceMembership(CatalogEntry):
    """A brand's dated membership of an alliance or cooperation model."""

    alliance = models.ForeignKey(Alliance, on_delete=models.PROTECT, related_name="memberships")
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="memberships")
    joined_on = models.DateField(null=True, blank=True)
    left_on = models.DateField(null=True, blank=True, help_text=_("Empty: still a member."))
    note = models.TextField(blank=True)

    search_fields = ("slug", "alliance__name", "alliance__name_zh", "brand__name", "brand__name_zh")

    class Meta(CatalogEntry.Meta):
        indexes = order_indexes("member", "joined_on", "left_on", "created", "updated")
        ordering = ["alliance__name", "joined_on", "brand__name"]
        constraints = [
            *CatalogEntry.Meta.constraints,
            dates_in_range("joined_on", "left_on"),
            date_order_check("joined_on", "left_on"),
            models.UniqueConstraint(
                fields=["alliance", "brand"],
                condition=Q(left_on__isnull=True),
                name="vehicles_membership_one_open",
                violation_error_message=_(
                    "This brand already has an open membership of this alliance."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.brand} in {self.alliance}"

    @classmethod
    def make_slug(cls, values):
        """hima-aito: the alliance's slug and the brand's."""
        alliance, brand = values.get("alliance"), values.get("brand")
        return f"{alliance.slug}-{brand.slug}"[:SLUG_MAX_LENGTH] if alliance and brand else None

    def clean(self):
        super().clean()
        founded = self.alliance.founded_on if self.alliance_id else None
        if founded and self.joined_on and self.joined_on < founded:
            raise ValidationError(
                {
                    "joined_on": gettext(
                        "%(alliance)s was founded on %(founded)s; a membership cannot start "
                        "before its alliance."
                    )
                    % {"alliance": self.alliance, "founded": f"{founded:%Y-%m-%d}"}
                }
            )

    @staticmethod
    def in_force_during(alliance, brand, first_day, last_day):
        """Memberships of `brand` in `alliance` in force on some day of the period (both
        ends of a membership are inclusive; an open end is ongoing)."""
        return AllianceMembership.objects.filter(alliance=alliance, brand=brand).filter(
            Q(joined_on__isnull=True) | Q(joined_on__lte=last_day),
            Q(left_on__isnull=True) | Q(left_on__gte=first_day),
        )

    def is_in_force_during(self, first_day, last_day):
        """in_force_during() for one membership already read."""
        return (self.joined_on is None or self.joined_on <= last_day) and (
            self.left_on is None or self.left_on >= first_day
        )


class Precision(models.TextChoices):
    """How exactly a reported figure is known."""

    EXACT = "exact", _("Exact")
    APPROXIMATE = "approximate", _("Approximate")
    LOWER_BOUND = "lower_bound", _("Lower bound (more than)")


def reporter_slugs(values):
    """The slugs of who reports a figure or a gap: its alliance, its brand, or both."""
    return [values[name].slug for name in ("alliance", "brand") if values.get(name)]


def reporter_name(row):
    """Who reported a figure, total or gap, as people read it: the brand with the alliance
    it reported within, or the one reporter."""
    if row.alliance_id and row.brand_id:
        return f"{row.brand} ({row.alliance})"
    return str(row.brand or row.alliance)


def current_month():
    """The first day of the current month in the catalog's time zone."""
    return timezone.localdate().replace(day=1)


def has_reporter_check(model_name, message):
    """A figure, total or gap says who reported it: an alliance, a brand, or both."""
    return models.CheckConstraint(
        condition=Q(alliance__isnull=False) | Q(brand__isnull=False),
        name=f"vehicles_{model_name}_has_reporter",
        violation_error_message=message,
    )


def reporter_month_constraints(
    model_name, *, needs_reporter, also=(), taken_in_alliance, taken_by_alliance, taken_by_brand
):
    """What a row keyed by reporter and month (a delivery, a gap) must hold: a reporter, a
    first-of-month date in range, and one row per reporter and month. `also` are the
    model's own checks; the messages say what the row is."""
    prefix = f"vehicles_{model_name}"
    return [
        dates_in_range("month"),
        has_reporter_check(model_name, needs_reporter),
        models.CheckConstraint(
            condition=Q(month__day=1),
            name=f"{prefix}_month_first_day",
            violation_error_message=_("month must be the first day of a month."),
        ),
        *also,
        # One row per reporter and month. NULLs are distinct in a plain unique index,
        # so each combination of empty columns gets its own partial index; this works
        # on SQLite and PostgreSQL alike.
        models.UniqueConstraint(
            fields=["alliance", "brand", "month"],
            condition=Q(alliance__isnull=False, brand__isnull=False),
            name=f"{prefix}_unique_alliance_brand_month",
            violation_error_message=taken_in_alliance,
        ),
        models.UniqueConstraint(
            fields=["alliance", "month"],
            condition=Q(brand__isnull=True),
            name=f"{prefix}_unique_alliance_month",
            violation_error_message=taken_by_alliance,
        ),
        models.UniqueConstraint(
            fields=["brand", "month"],
            condition=Q(alliance__isnull=True),
            name=f"{prefix}_unique_brand_month",
            violation_error_message=taken_by_brand,
        ),
    ]


def check_report_month(month, in_future):
    """A reported month is given as its first day and is not after the current month;
    `in_future` is the message for a month to come."""
    if month.day != 1:
        raise ValidationError({"month": gettext("Give the first day of the month (YYYY-MM-01).")})
    if month > current_month():
        raise ValidationError({"month": in_future})


class DeliveryFigure(CatalogEntry):
    """A reported number of units; subclasses say who reported it (alliance and/or brand)."""

    units = models.PositiveIntegerField(validators=[MaxValueValidator(INTEGER_MAX)])
    precision = models.CharField(max_length=20, choices=Precision.choices, default=Precision.EXACT)
    computed = models.BooleanField(
        default=False,
        help_text=_("Derived by the catalog from other figures (the note says how), not reported."),
    )
    note = models.TextField(blank=True)

    search_fields = ("slug", "alliance__name", "alliance__name_zh", "brand__name", "brand__name_zh")

    class Meta(CatalogEntry.Meta):
        abstract = True


class Delivery(DeliveryFigure):
    """Units delivered in one calendar month.

    A brand figure reported within an alliance (both set) needs the brand's membership
    of that alliance in force during that month."""

    one_of_required = ("alliance", "brand")

    alliance = models.ForeignKey(
        Alliance, on_delete=models.PROTECT, null=True, blank=True, related_name="deliveries"
    )
    brand = models.ForeignKey(
        Brand, on_delete=models.PROTECT, null=True, blank=True, related_name="deliveries"
    )
    month = models.DateField(help_text=_("The first day of the month delivered in (YYYY-MM-01)."))

    class Meta(DeliveryFigure.Meta):
        indexes = order_indexes("delivery", "-month", "units", "created", "updated")
        verbose_name_plural = _("deliveries")
        ordering = ["-month", "slug"]
        constraints = [
            *CatalogEntry.Meta.constraints,
            *reporter_month_constraints(
                "delivery",
                needs_reporter=_("A delivery needs an alliance, a brand, or both."),
                also=[
                    models.CheckConstraint(
                        condition=Q(units__gte=0), name="vehicles_delivery_units_not_negative"
                    ),
                    choices_check("precision", Precision),
                ],
                taken_in_alliance=_("This brand already has a figure for this alliance and month."),
                taken_by_alliance=_("This alliance already has a total for this month."),
                taken_by_brand=_("This brand already has a figure for this month."),
            ),
        ]
        # The month may not be in the future: a CHECK cannot read the clock, so
        # vehicles.signals installs a trigger on both databases after every migrate.

    def __str__(self):
        return f"{reporter_name(self)} {self.month:%Y-%m}: {self.units}"

    def clean(self):
        super().clean()
        if self.month:
            check_report_month(self.month, gettext("A delivery month cannot be in the future."))
            if self.gap_recorded():
                raise ValidationError(
                    {
                        "month": gettext(
                            "This month is recorded as a gap for this reporter: delete it first."
                        )
                    }
                )
            if self.alliance_id and self.brand_id:
                last_day = (self.month + datetime.timedelta(days=31)).replace(day=1)
                last_day -= datetime.timedelta(days=1)
                if not any(
                    membership.alliance_id == self.alliance_id
                    and membership.is_in_force_during(self.month, last_day)
                    for membership in self.brand.memberships.all()
                ):
                    raise ValidationError(
                        {
                            "brand": gettext(
                                "%(brand)s was not a member of %(alliance)s in %(month)s (no "
                                "membership in force that month): record the membership first, "
                                "or report the figure without the alliance."
                            )
                            % {
                                "brand": self.brand,
                                "alliance": self.alliance,
                                "month": f"{self.month:%Y-%m}",
                            }
                        }
                    )

    def gap_recorded(self):
        """Whether a gap is recorded for this figure's reporter and month. Read through the
        reporter's gaps (and clean() reads the brand's memberships), so an import that
        prefetched those relations validates a whole file without a query per row."""
        reporter = self.brand if self.brand_id else self.alliance
        return any(
            (gap.alliance_id, gap.brand_id, gap.month)
            == (self.alliance_id, self.brand_id, self.month)
            for gap in reporter.delivery_gaps.all()
        )

    @classmethod
    def make_slug(cls, values):
        """hima-2025-11, hima-aito-2025-11 or nio-2025-11: who reported, and the month."""
        reporter = reporter_slugs(values)
        if reporter and values.get("month"):
            return "-".join([*reporter, f"{values['month']:%Y-%m}"])
        return None


class DeliveryTotal(DeliveryFigure):
    """Units delivered over a period of several months, as reported (never split into months)."""

    one_of_required = ("alliance", "brand")

    alliance = models.ForeignKey(
        Alliance, on_delete=models.PROTECT, null=True, blank=True, related_name="delivery_totals"
    )
    brand = models.ForeignKey(
        Brand, on_delete=models.PROTECT, null=True, blank=True, related_name="delivery_totals"
    )
    first_month = models.DateField(help_text=_("First day of the period's first month."))
    last_month = models.DateField(help_text=_("First day of the period's last month."))

    class Meta(DeliveryFigure.Meta):
        indexes = order_indexes("total", "-last_month")
        ordering = ["-last_month", "slug"]
        constraints = [
            *CatalogEntry.Meta.constraints,
            dates_in_range("first_month", "last_month"),
            has_reporter_check("deliverytotal", _("A total needs an alliance, a brand, or both.")),
            models.CheckConstraint(
                condition=Q(units__gte=0), name="vehicles_deliverytotal_units_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(first_month__day=1, last_month__day=1),
                name="vehicles_deliverytotal_months_first_day",
                violation_error_message=_("Months must be given as their first day."),
            ),
            models.CheckConstraint(
                condition=Q(last_month__gt=F("first_month")),
                name="vehicles_deliverytotal_spans_months",
                violation_error_message=_(
                    "A total spans more than one month; store one month as a delivery."
                ),
            ),
            choices_check("precision", Precision),
        ]

    def __str__(self):
        return (
            f"{reporter_name(self)} {self.first_month:%Y-%m}..{self.last_month:%Y-%m}: {self.units}"
        )

    @classmethod
    def make_slug(cls, values):
        """hima-2024-01-to-2024-06: who reported, and the period's first and last month."""
        reporter = reporter_slugs(values)
        first, last = values.get("first_month"), values.get("last_month")
        if reporter and first and last:
            return "-".join([*reporter, f"{first:%Y-%m}", "to", f"{last:%Y-%m}"])
        return None

    def clean(self):
        super().clean()
        if self.last_month and self.last_month > current_month():
            raise ValidationError({"last_month": gettext("A period cannot end in the future.")})
        if self.first_month and self.last_month and self.first_month > self.last_month:
            raise ValidationError(
                {
                    "last_month": gettext(
                        "Reversed period: last_month (%(last)s) is before first_month "
                        "(%(first)s); give the earlier month first."
                    )
                    % {"last": f"{self.last_month:%Y-%m}", "first": f"{self.first_month:%Y-%m}"}
                },
                code="reversed_range",
            )


class GapReason(models.TextChoices):
    """Why a month has no figure."""

    NOT_PUBLISHED = "not_published", _("Not published by the reporter")
    ONLY_BROADER = "only_broader", _("Only a broader figure exists (a group or a period total)")
    ONLY_PART = "only_part", _("Only part of it is published (some members or models)")
    NOT_FOUND = "not_found", _("No source found (the note says where we looked)")


class DeliveryGap(CatalogEntry):
    """A month known to have no figure for a reporter, and why.

    Keyed like a delivery (alliance, brand, month), so a series can tell a known gap from
    a month nobody has looked at. A gap and a figure for the same key exclude each other:
    model validation says so, and a database trigger (vehicles.signals) enforces it.
    """

    one_of_required = ("alliance", "brand")

    Reason = GapReason

    alliance = models.ForeignKey(
        Alliance, on_delete=models.PROTECT, null=True, blank=True, related_name="delivery_gaps"
    )
    brand = models.ForeignKey(
        Brand, on_delete=models.PROTECT, null=True, blank=True, related_name="delivery_gaps"
    )
    month = models.DateField(help_text=_("The first day of the month with no figure (YYYY-MM-01)."))
    reason = models.CharField(max_length=20, choices=GapReason.choices)
    note = models.TextField(help_text=_("What is known instead, or where no figure was found."))

    search_fields = ("slug", "alliance__name", "alliance__name_zh", "brand__name", "brand__name_zh")

    class Meta(CatalogEntry.Meta):
        indexes = order_indexes("gap", "-month")
        ordering = ["-month", "slug"]
        constraints = [
            *CatalogEntry.Meta.constraints,
            *reporter_month_constraints(
                "deliverygap",
                needs_reporter=_("A gap needs an alliance, a brand, or both."),
                also=[
                    models.CheckConstraint(
                        condition=~Q(note=""),
                        name="vehicles_deliverygap_note_given",
                        violation_error_message=_(
                            "Say what is known instead, or where no figure was found."
                        ),
                    ),
                    choices_check("reason", GapReason),
                ],
                taken_in_alliance=_("This brand already has a gap for this alliance and month."),
                taken_by_alliance=_("This alliance already has a gap for this month."),
                taken_by_brand=_("This brand already has a gap for this month."),
            ),
        ]

    def __str__(self):
        return f"{reporter_name(self)} {self.month:%Y-%m}: no figure"

    def clean(self):
        super().clean()
        if not self.month:
            return
        check_report_month(self.month, gettext("A gap month cannot be in the future."))
        if same_key(Delivery.objects, self).exists():
            raise ValidationError(
                {
                    "month": gettext(
                        "A figure is stored for this reporter and month: it is not a gap."
                    )
                }
            )

    @classmethod
    def make_slug(cls, values):
        """hima-2025-03-gap, nio-2025-01-gap: the slug a figure for the month would have."""
        slug = Delivery.make_slug(values)
        return f"{slug}-gap" if slug else None


def same_key(queryset, row):
    """Rows of `queryset` with the same (alliance, brand, month) as `row`, empty ones included."""
    return queryset.filter(
        alliance_id=row.alliance_id, brand_id=row.brand_id, month=row.month
    ).exclude(pk=row.pk if type(row) is queryset.model else None)
