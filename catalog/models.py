"""Provenance, API tokens, and the abstract bases every catalog row is built on."""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, router
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from catalog import values
from catalog.i18n import alternatives, interpolate_lazy
from catalog.names import invisible_characters, name_key
from catalog.validation import clean_fields_reading_less, validate_constraints

# The ranges PostgreSQL gives these column types. Stated on the fields, they make the
# validation and the OpenAPI document the same on every database (SQLite's are wider).
SMALL_INTEGER_MAX = 32_767
INTEGER_MAX = 2_147_483_647

# Years are plain integers; these bounds keep a typo (20250, 195) out of the catalog.
EARLIEST_YEAR = 1800
LATEST_YEAR = 2100


def year_field(verbose_name, help_text=""):
    """A nullable calendar year, validated here and checked by the database."""
    return models.PositiveSmallIntegerField(
        verbose_name,
        null=True,
        blank=True,
        validators=[MinValueValidator(EARLIEST_YEAR), MaxValueValidator(LATEST_YEAR)],
        help_text=help_text,
    )


def year_check(field):
    """The database side of year_field: empty or within the accepted range."""
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True})
        | Q(**{f"{field}__gte": EARLIEST_YEAR, f"{field}__lte": LATEST_YEAR}),
        name=f"%(app_label)s_%(class)s_{field}_year_range",
        violation_error_message=interpolate_lazy(
            _("%(field)s must be a year between %(earliest)s and %(latest)s."),
            field=field,
            earliest=EARLIEST_YEAR,
            latest=LATEST_YEAR,
        ),
    )


class DateOrderConstraint(models.CheckConstraint):
    """A CheckConstraint that, when validated in Python, reports a reversed period on its
    end field with both dates, rather than as an error of the whole row."""

    def __init__(self, *, start, end, **kwargs):
        self.start, self.end = start, end
        super().__init__(**kwargs)

    def validate(self, model, instance, exclude=None, using=None):
        try:
            super().validate(model, instance, exclude=exclude, using=using)
        except ValidationError:
            first, last = getattr(instance, self.start), getattr(instance, self.end)
            raise ValidationError(
                {
                    self.end: ValidationError(
                        gettext(
                            "Reversed period: %(end)s (%(last)s) is before %(start)s "
                            "(%(first)s); %(end)s must be on or after %(start)s."
                        )
                        % {"end": self.end, "last": last, "start": self.start, "first": first},
                        code="reversed_range",
                    )
                }
            ) from None

    def clone(self):
        _, args, kwargs = super().deconstruct()
        return DateOrderConstraint(*args, start=self.start, end=self.end, **kwargs)

    def deconstruct(self):
        # Stored in migrations as the plain CheckConstraint it is in the database.
        _, args, kwargs = super().deconstruct()
        return "django.db.models.CheckConstraint", args, kwargs


def dates_in_range(*fields):
    """The database side of the catalog's date range (catalog.values): each of `fields`
    is empty or lies between EARLIEST and LATEST."""
    condition = Q()
    for field in fields:
        condition &= Q(**{f"{field}__isnull": True}) | Q(
            **{f"{field}__gte": values.EARLIEST, f"{field}__lte": values.LATEST}
        )
    return models.CheckConstraint(
        condition=condition,
        name="%(app_label)s_%(class)s_dates_in_range",
        violation_error_message=interpolate_lazy(
            _("Dates lie from %(earliest)s to %(latest)s."),
            earliest=f"{values.EARLIEST:%Y-%m-%d}",
            latest=f"{values.LATEST:%Y-%m-%d}",
        ),
    )


def date_order_check(start, end):
    """The database rule that a period's end is not before its start."""
    return DateOrderConstraint(
        start=start,
        end=end,
        condition=Q(**{f"{start}__isnull": True})
        | Q(**{f"{end}__isnull": True})
        | Q(**{f"{end}__gte": F(start)}),
        name=f"%(app_label)s_%(class)s_{end}_after_{start}",
        violation_error_message=interpolate_lazy(
            _("%(end)s must not be before %(start)s."), end=end, start=start
        ),
    )


def choices_check(field, choices, *, blank=False):
    """The database side of a choices field: only the listed values (or empty) are stored."""
    values = [choice.value for choice in choices]
    condition = Q(**{f"{field}__in": values})
    if blank:
        condition |= Q(**{field: ""})
    return models.CheckConstraint(
        condition=condition, name=f"%(app_label)s_%(class)s_{field}_valid"
    )


class CheckedModel(models.Model):
    """A model whose full_clean() asks the database only what Python cannot tell
    (catalog.validation):

    - a check constraint is evaluated in Python, with SQL's NULL logic. Django runs a
      query for each (inside a savepoint in a transaction), which made most of a write's
      queries and most of the seed load's time. A refusal, and any condition beyond plain
      lookups on the row's own fields, still goes to the constraint's validate(), so
      every message is the model's;
    - a related row the instance holds as read from the database (by the API's, the
      admin's or the loader's lookup) is not read again to see that it exists.

    The database's constraints and foreign keys stand behind every write regardless."""

    class Meta:
        abstract = True

    def clean_fields(self, exclude=None):
        clean_fields_reading_less(self, exclude, super().clean_fields)

    def validate_constraints(self, exclude=None):
        using = router.db_for_write(self.__class__, instance=self)
        validate_constraints(self, self.get_constraints(), set(exclude or ()), using)


def invisible_characters_error(hidden):
    """The refusal of a name holding the invisible characters `hidden` (U+XXXX codes)."""
    return ValidationError(
        gettext(
            "Remove the invisible characters (%(characters)s): a name must read as it is stored."
        )
        % {"characters": ", ".join(hidden)},
        code="invisible_characters",
    )


class TimeStampedModel(CheckedModel):
    """Adds when a row was created and last changed."""

    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    # The fields that name the row for a person (a name, a title, a publisher): what is
    # stored must be what a reader sees, so invisible characters are refused in them.
    name_fields = ()

    class Meta:
        abstract = True

    def clean_fields(self, exclude=None):
        """Each field's own checks, every date within the catalog's range
        (catalog.values.EARLIEST to LATEST), and no invisible characters in a name
        (`name_fields`), whatever path the row comes by."""
        errors = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for name in self.name_fields:
            if name in (exclude or ()) or name in errors:
                continue
            hidden = invisible_characters(getattr(self, name) or "")
            if hidden:
                errors[name] = [invisible_characters_error(hidden)]
        for field in self._meta.concrete_fields:
            value = getattr(self, field.attname)
            if (
                isinstance(field, models.DateField)
                and not isinstance(field, models.DateTimeField)
                and isinstance(value, datetime.date)
                and field.name not in (exclude or ())
                and field.name not in errors
                and not values.EARLIEST <= value <= values.LATEST
            ):
                errors[field.name] = [
                    ValidationError(
                        gettext(
                            "Give a date from %(earliest)s to %(latest)s: the catalog covers "
                            "nothing else."
                        )
                        % {
                            "earliest": f"{values.EARLIEST:%Y-%m-%d}",
                            "latest": f"{values.LATEST:%Y-%m-%d}",
                        },
                        code="out_of_range",
                    )
                ]
        if errors:
            raise ValidationError(errors)


class Reliability(models.TextChoices):
    OFFICIAL = "official", _("Official (company or regulator)")
    PRESS = "press", _("Press or research")
    REFERENCE = "reference", _("Reference work")
    AGGREGATOR = "aggregator", _("Aggregator")
    WEAK = "weak", _("Weak (mirror or unattributed)")


# What a slug may hold, everywhere: in URLs, writes, filters and the schema.
SLUG_CHARS = r"[-a-zA-Z0-9_]+"
SLUG_MAX_LENGTH = 100


def slug_from(text):
    """The slug a text (a name, a title) gives, or None when it gives none."""
    return slugify(text or "")[:SLUG_MAX_LENGTH] or None


class Source(TimeStampedModel):
    """A published document that backs one or more facts in the catalog."""

    Reliability = Reliability

    slug = models.SlugField(max_length=SLUG_MAX_LENGTH, unique=True)
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200)
    url = models.URLField(_("URL"), max_length=500, unique=True)
    published_on = models.DateField(null=True, blank=True)
    accessed_on = models.DateField(null=True, blank=True)
    reliability = models.CharField(
        max_length=20, choices=Reliability.choices, default=Reliability.PRESS
    )
    note = models.TextField(
        blank=True, help_text=_("What the source states, caveats, and why it was preferred.")
    )

    history = HistoricalRecords()
    name_fields = ("title", "publisher")
    # The document's address is `link` in the API, where `url` is the resource's own.
    API_FIELD_NAMES = {"url": "link"}

    # What `q` in the API and the admin's search box look in.
    search_fields = ("slug", "title", "publisher", "url")
    # The columns a citation shows (SourceSummaryField): all a list page loads of a source.
    summary_fields = ("slug", "title", "publisher", "published_on", "url")

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(condition=~Q(slug=""), name="catalog_source_slug_not_empty"),
            dates_in_range("published_on", "accessed_on"),
            choices_check("reliability", Reliability),
            date_order_check("published_on", "accessed_on"),
        ]

    def __str__(self):
        return f"{self.publisher}: {self.title}"

    @classmethod
    def make_slug(cls, values):
        """A source's slug, when none is given: its title's (see CatalogEntry.make_slug)."""
        return slug_from(values.get("title"))


class CatalogEntry(TimeStampedModel):
    """A fact the catalog publishes: addressed by slug, backed by sources, with history."""

    slug = models.SlugField(
        max_length=SLUG_MAX_LENGTH,
        unique=True,
        help_text=_("Public identifier, used in URLs and writes."),
    )
    sources = models.ManyToManyField(
        Source,
        blank=True,
        related_name="cited_by_%(class)s",
        help_text=_("What backs this fact."),
    )

    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(slug=""), name="%(app_label)s_%(class)s_slug_not_empty"
            ),
        ]

    def __str__(self):
        return getattr(self, "name", self.slug)

    @classmethod
    def make_slug(cls, values):
        """The slug of a row given without one, made from `values` ({field: value}, related
        rows as objects), or None while the values it is made from are missing. This is
        the one rule the API, the admin, imports and the seed loader all apply: here the
        name's; models whose rows are named by other rows override it."""
        return slug_from(values.get("name"))

    # Relations of which at least one must be set (a delivery's alliance or brand); a
    # row with none is refused on each of those fields, not as a broken constraint.
    one_of_required = ()
    # Relations of which at most one may be set (a deal is with a brand or a group).
    at_most_one_of = ()

    def clean(self):
        super().clean()
        given = [name for name in self.one_of_required if getattr(self, f"{name}_id") is not None]
        if self.one_of_required and not given:
            message = gettext("Give %(names)s (a slug): one of them is required.") % {
                "names": alternatives(self.one_of_required)
            }
            raise ValidationError(dict.fromkeys(self.one_of_required, message), code="required")
        given = [name for name in self.at_most_one_of if getattr(self, f"{name}_id") is not None]
        if len(given) > 1:
            message = gettext("Give %(names)s, not both.") % {
                "names": alternatives(self.at_most_one_of)
            }
            raise ValidationError(dict.fromkeys(given, message), code="invalid")


class NamedEntry(CatalogEntry):
    """A catalog entry with an English (or pinyin) name and a Chinese one."""

    name = models.CharField(max_length=150, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=150, blank=True)
    description = models.TextField(blank=True)

    # What `q` in the API and the admin's search box look in (names in both languages).
    search_fields = ("slug", "name", "name_zh")
    name_fields = ("name", "name_zh")

    class Meta(CatalogEntry.Meta):
        abstract = True
        ordering = ["name"]

    def clean(self):
        """Names read as they are compared: no second row whose name differs only by
        case, width, spacing or look-alike letters. (Invisible characters, which that
        comparison ignores, are refused with the field's own checks: `name_fields`.)"""
        super().clean()
        errors = {}
        if self.name and not invisible_characters(self.name):
            key = name_key(self.name)
            others = type(self)._default_manager.exclude(pk=self.pk).values_list("name", "slug")
            clash = next((pair for pair in others.iterator() if name_key(pair[0]) == key), None)
            if clash:
                errors["name"] = ValidationError(
                    gettext(
                        "'%(name)s' (%(slug)s) already has this name, written differently "
                        "(case, width, spacing or look-alike letters); use that entry."
                    )
                    % {"name": clash[0], "slug": clash[1]},
                    code="unique",
                )
        if errors:
            raise ValidationError(errors)


def token_digest(raw):
    """What is stored of a token: its SHA-256, so a leaked database leaks no credentials."""
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, user__is_active=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A credential for API writes. Only a hash is stored; the token is shown once.

    A token acts as its user: the user's model permissions decide what it may change.
    """

    PREFIX_LENGTH = 8

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        max_length=100, help_text=_("What or who uses it, e.g. 'nightly import'.")
    )
    prefix = models.CharField(
        max_length=PREFIX_LENGTH, editable=False, help_text=_("First characters, to recognise it.")
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text=_("Empty: never expires."))
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        verbose_name = _("API token")

    def __str__(self):
        return f"{self.prefix}… ({self.name}, {self.user})"

    @classmethod
    def issue(cls, *, user, name, expires_at=None):
        """Create a token; returns (token row, the raw token to hand over once).

        Raises ValidationError for a token that could never be used (see clean())."""
        raw = secrets.token_urlsafe(32)
        while raw.startswith("-"):
            # The prefix is typed as a command-line argument (`api_token revoke PREFIX`),
            # where a leading dash reads as an option.
            raw = secrets.token_urlsafe(32)
        token = cls(
            user=user,
            name=name,
            expires_at=expires_at,
            prefix=raw[: cls.PREFIX_LENGTH],
            digest=token_digest(raw),
        )
        token.full_clean()
        token.save()
        return token, raw

    def clean(self):
        """A new token must be usable: for an active user, expiring in the future."""
        super().clean()
        if not self._state.adding:
            return
        errors = {}
        if self.user_id is not None and not self.user.is_active:
            errors["user"] = gettext("This user is inactive: a token for them would be refused.")
        if self.expires_at is not None and self.expires_at <= timezone.now():
            errors["expires_at"] = gettext(
                "Give a moment in the future, or leave empty for no expiry."
            )
        if errors:
            raise ValidationError(errors)

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    @property
    def is_usable(self):
        expired = self.expires_at is not None and self.expires_at <= timezone.now()
        return self.revoked_at is None and not expired

    @property
    def accepts_requests(self):
        """Whether a request carrying this token is let in: the token is usable and its
        user active (what ApiToken.objects.usable() selects)."""
        return self.is_usable and self.user.is_active


class ChangeAction(models.TextChoices):
    CREATED = "created", _("Created")
    CHANGED = "changed", _("Changed")
    DELETED = "deleted", _("Deleted")


class ChangeChannel(models.TextChoices):
    API = "api", _("API")
    ADMIN = "admin", _("Admin")
    LOADER = "loader", _("Seed loader")
    RESTORE = "restore", _("Backup restore")
    OTHER = "other", _("Other (shell, scripts)")
    IMPORT = "import", _("Spreadsheet import")


class ChangeRecord(models.Model):
    """One create, change or delete of a catalog row: who, when, through what, which fields.

    Written for every history record django-simple-history creates (catalog.history),
    so one table answers "what changed" across every kind of fact.
    """

    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT)
    object_id = models.BigIntegerField()
    object_slug = models.CharField(max_length=100, blank=True)
    object_repr = models.CharField(max_length=200)
    action = models.CharField(max_length=10, choices=ChangeAction.choices)
    changed_fields = models.JSONField(default=list, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(
        max_length=150, help_text=_("Username, or 'loader' or 'restore' for those commands.")
    )
    channel = models.CharField(max_length=10, choices=ChangeChannel.choices)
    note = models.CharField(
        max_length=200, blank=True, help_text=_("For an import, the name of the file imported.")
    )
    at = models.DateTimeField(db_index=True)

    search_fields = ("object_slug", "object_repr", "actor_name")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]
        constraints = [
            choices_check("action", ChangeAction),
            choices_check("channel", ChangeChannel),
        ]

    def __str__(self):
        return f"{self.actor_name} {self.action} {self.object_repr} ({self.at:%Y-%m-%d %H:%M})"
