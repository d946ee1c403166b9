"""Organisations and what they make."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from catalog.models import (
    SLUG_MAX_LENGTH,
    SMALL_INTEGER_MAX,
    CatalogEntry,
    CheckedModel,
    NamedEntry,
    choices_check,
    date_order_check,
    dates_in_range,
    year_check,
    year_field,
)


class Company(NamedEntry):
    """Any organisation: carmaker group, tech company, chip designer, foundry, operator."""

    country = CountryField(help_text=_("ISO 3166-1 alpha-2 code of the headquarters country."))
    headquarters = models.CharField(max_length=100, blank=True, help_text=_("City."))
    founded = year_field(_("founded"), _("Year the organisation was founded."))
    website = models.URLField(blank=True)
    state_owned = models.BooleanField(
        null=True, blank=True, help_text=_("Majority state-owned; empty when not known.")
    )
    ownership_note = models.CharField(
        max_length=200, blank=True, help_text=_("E.g. 'central SOE', 'listed in Hong Kong'.")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subsidiaries",
        help_text=_("The company that controls this one."),
    )

    class Meta(NamedEntry.Meta):
        verbose_name_plural = _("companies")
        constraints = [
            *NamedEntry.Meta.constraints,
            year_check("founded"),
            models.CheckConstraint(
                condition=~Q(parent=F("id")),
                name="partners_company_not_own_parent",
                violation_error_message=_("A company cannot be its own parent."),
            ),
            models.CheckConstraint(condition=~Q(country=""), name="partners_company_country_set"),
        ]

    def clean(self):
        super().clean()
        # A cycle (A owns B owns A) cannot be expressed as a CHECK constraint.
        seen = {self.pk} if self.pk else set()
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk in seen:
                raise ValidationError(
                    {"parent": gettext("This parent would make an ownership cycle.")}
                )
            seen.add(ancestor.pk)
            ancestor = ancestor.parent

    @property
    def role_list(self):
        """The company's roles as a sorted list of values (uses prefetched rows if any)."""
        return sorted(role.role for role in self.roles.all())


class Role(models.TextChoices):
    AUTOMAKER = "automaker", _("Automaker")
    OS_VENDOR = "os_vendor", _("Operating-system vendor")
    ADAS_SUPPLIER = "adas_supplier", _("Driver-assist supplier")
    CHIP_DESIGNER = "chip_designer", _("Chip designer")
    FOUNDRY = "foundry", _("Foundry")
    TELECOM_OPERATOR = "telecom_operator", _("Telecom operator")
    MODULE_MAKER = "module_maker", _("Module maker")
    AI_CLOUD = "ai_cloud", _("AI / cloud")
    TIER1 = "tier1", _("Tier-1 supplier")


class CompanyRole(CheckedModel):
    """One role a company plays in the ecosystem (a company may play several)."""

    Role = Role

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        ordering = ["company", "role"]
        constraints = [
            models.UniqueConstraint(fields=["company", "role"], name="partners_companyrole_unique"),
            choices_check("role", Role),
        ]

    def __str__(self):
        return self.get_role_display()


class Shareholding(CatalogEntry):
    """A dated equity stake of one company in another (ownership edges of the graph)."""

    holder = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="holdings")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="shareholders")
    share_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
        help_text=_("Stake in percent; empty when the source gives none."),
    )
    acquired_on = models.DateField(null=True, blank=True)
    disposed_on = models.DateField(null=True, blank=True, help_text=_("Empty: still held."))
    note = models.TextField(blank=True)

    search_fields = ("slug", "holder__name", "holder__name_zh", "company__name", "company__name_zh")

    class Meta(CatalogEntry.Meta):
        ordering = ["company__name", "holder__name"]
        constraints = [
            *CatalogEntry.Meta.constraints,
            dates_in_range("acquired_on", "disposed_on"),
            models.CheckConstraint(
                condition=Q(share_percent__isnull=True)
                | Q(share_percent__gt=0, share_percent__lte=100),
                name="partners_shareholding_percent_range",
                violation_error_message=_("share_percent must be above 0 and at most 100."),
            ),
            models.CheckConstraint(
                condition=~Q(holder=F("company")),
                name="partners_shareholding_not_self",
                violation_error_message=_("A company cannot hold shares in itself."),
            ),
            date_order_check("acquired_on", "disposed_on"),
        ]

    def __str__(self):
        share = f"{self.share_percent}% " if self.share_percent is not None else ""
        return f"{self.holder} holds {share}of {self.company}"

    @classmethod
    def make_slug(cls, values):
        """seres-in-yinwang: the holder's slug and the company's."""
        holder, company = values.get("holder"), values.get("company")
        return f"{holder.slug}-in-{company.slug}"[:SLUG_MAX_LENGTH] if holder and company else None


class OsBase(models.TextChoices):
    OPENHARMONY = "openharmony", _("OpenHarmony / HarmonyOS")
    LINUX = "linux", "Linux"
    ANDROID = "android", "Android / AOSP"
    QNX = "qnx", "QNX"
    OTHER = "other", _("Other")


class OperatingSystem(NamedEntry):
    """An in-car (cockpit) operating system and who makes it."""

    Base = OsBase

    vendor = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="operating_systems")
    base = models.CharField(max_length=20, choices=Base.choices)
    first_release = year_field(_("first release"), _("Year of the first in-car release."))
    website = models.URLField(blank=True)

    class Meta(NamedEntry.Meta):
        constraints = [
            *NamedEntry.Meta.constraints,
            year_check("first_release"),
            choices_check("base", OsBase),
        ]


class ChipCategory(models.TextChoices):
    ADAS_SOC = "adas_soc", _("Driver-assist SoC")
    COCKPIT_SOC = "cockpit_soc", _("Cockpit SoC")
    MODEM = "modem", _("Modem / connectivity module")
    MCU = "mcu", _("Microcontroller")
    OTHER = "other", _("Other")


class Chip(NamedEntry):
    """A semiconductor in a car: driver-assist or cockpit SoC, modem, MCU."""

    Category = ChipCategory

    designer = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="chips_designed")
    foundry = models.ForeignKey(
        Company,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="chips_manufactured",
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    process_nm = models.PositiveSmallIntegerField(
        _("process (nm)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(SMALL_INTEGER_MAX)],
    )
    ai_tops = models.DecimalField(
        _("AI TOPS"),
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1"))],
        help_text=_("Dense INT8 AI performance as the designer states it."),
    )
    released = year_field(_("released"))

    class Meta(NamedEntry.Meta):
        constraints = [
            *NamedEntry.Meta.constraints,
            year_check("released"),
            choices_check("category", ChipCategory),
            models.CheckConstraint(
                condition=Q(process_nm__isnull=True) | Q(process_nm__gt=0),
                name="partners_chip_process_positive",
                violation_error_message=_("process_nm must be positive."),
            ),
            models.CheckConstraint(
                condition=Q(ai_tops__isnull=True) | Q(ai_tops__gt=0),
                name="partners_chip_tops_positive",
                violation_error_message=_("ai_tops must be positive."),
            ),
        ]


class AdasLevel(models.TextChoices):
    L2 = "L2", "L2"
    L2_PLUS = "L2+", "L2+"
    L3 = "L3", "L3"
    L4 = "L4", "L4"


class SensorApproach(models.TextChoices):
    LIDAR_FUSION = "lidar_fusion", _("Lidar fusion")
    VISION_ONLY = "vision_only", _("Vision only")
    VISION_RADAR = "vision_radar", _("Vision and radar")


class DriverAssistStack(NamedEntry):
    """A driver-assist (ADAS) software stack, its level, capabilities and compute."""

    Level = AdasLevel

    SensorApproach = SensorApproach

    vendor = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="driver_assist_stacks"
    )
    version = models.CharField(max_length=50, blank=True)
    level = models.CharField(
        max_length=3,
        choices=Level.choices,
        blank=True,
        help_text=_("SAE level as a source states it; empty when no source does."),
    )
    highway_noa = models.BooleanField(
        _("highway NOA"), null=True, blank=True, help_text=_("Empty when not known.")
    )
    urban_noa = models.BooleanField(
        _("urban NOA"), null=True, blank=True, help_text=_("Empty when not known.")
    )
    automated_parking = models.BooleanField(null=True, blank=True, help_text=_("Empty: not known."))
    sensor_approach = models.CharField(max_length=20, choices=SensorApproach.choices, blank=True)
    compute_chips = models.ManyToManyField(Chip, blank=True, related_name="driver_assist_stacks")
    released = year_field(_("released"))

    class Meta(NamedEntry.Meta):
        verbose_name = _("driver-assist stack")
        constraints = [
            *NamedEntry.Meta.constraints,
            year_check("released"),
            choices_check("level", AdasLevel, blank=True),
            choices_check("sensor_approach", SensorApproach, blank=True),
        ]


class AllianceKind(models.TextChoices):
    ALLIANCE = "alliance", _("Alliance")
    JOINT_VENTURE = "joint_venture", _("Joint venture")
    COOPERATION_MODEL = "cooperation_model", _("Cooperation model")


class Alliance(NamedEntry):
    """An industry alliance, joint venture or cooperation model that brands join."""

    Kind = AllianceKind

    leader = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="alliances_led")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    founded_on = models.DateField(null=True, blank=True)
    website = models.URLField(blank=True)

    class Meta(NamedEntry.Meta):
        constraints = [
            *NamedEntry.Meta.constraints,
            choices_check("kind", AllianceKind),
            dates_in_range("founded_on"),
        ]
