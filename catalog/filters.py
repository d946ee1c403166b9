"""The shared filtering machinery: one base FilterSet that generates every lookup.

A FilterSet lists its scalar model fields in `Meta.fields` and declares relation and
cross-relation filters with `SlugFilter`. The base class then adds, for each of them:

    field            exact; repeat the parameter for OR (?brand=aito&brand=luxeed)
    field__n         not any of the values
    field__gte/__lte/__gt/__lt      on numbers, dates and months
    field__ic/__isw/__iew/__ie      on text: contains, starts with, ends with, equals (any case)
    field__isnull    on nullable fields: true or false

Values are parsed strictly (a month is YYYY-MM, a date YYYY-MM-DD, a number is a number,
a slug must exist), and the backend refuses query parameters it does not know, so a
typo answers 400 instead of the whole table.
"""

import copy
import datetime
import functools
import threading
from collections import OrderedDict
from collections.abc import Mapping

import django_filters
from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.core.validators import DecimalValidator, MaxValueValidator, MinValueValidator
from django.db import connections, models
from django.db.models import Q
from django.http import QueryDict
from django.template import loader
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.settings import api_settings

from catalog import values
from catalog.i18n import english
from catalog.serializers import MONTH_SCHEMA, SLUG_SCHEMA

BIGGEST_INTEGER = 2**63 - 1
# Filter form classes kept per process, least recently used dropped first
# (CatalogFilterSet.get_form_class).
FORM_CLASSES_KEPT = 512
_form_classes = OrderedDict()
_form_classes_lock = threading.Lock()
TEXT_MAX_LENGTH = 200


def blank(value):
    return isinstance(value, str) and not value.strip()


class NonEmpty:
    """A parameter given with no value (`?active_on=`, `?q=%20`) is an error, not 'no
    filter' (nor Django's 'This field is required.', as a value of spaces alone read)."""

    def clean(self, value):
        if blank(value) or (isinstance(value, list) and any(blank(item) for item in value)):
            raise forms.ValidationError(
                gettext("Give a value, or leave the parameter out."), code="empty"
            )
        return super().clean(value)


class ParsedField(NonEmpty, forms.Field):
    """One value, parsed by one of catalog.values' functions (ASCII digits, one spelling)."""

    parse = None

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return type(self).parse(value)


class StrictDateField(ParsedField):
    """A date, YYYY-MM-DD, that exists and lies in the catalog's range."""

    widget = forms.DateInput
    parse = staticmethod(values.parse_date)


class MonthFormField(ParsedField):
    """A calendar month written YYYY-MM; cleans to the first day of that month."""

    parse = staticmethod(values.parse_month)


class IntegerValueField(ParsedField):
    parse = staticmethod(values.parse_integer)
    default_validators = [
        MinValueValidator(-BIGGEST_INTEGER),
        MaxValueValidator(BIGGEST_INTEGER),
    ]


class DecimalValueField(ParsedField):
    parse = staticmethod(values.parse_decimal)
    default_validators = [DecimalValidator(max_digits=18, decimal_places=6)]


class StrictDateFilter(django_filters.DateFilter):
    field_class = StrictDateField


class ChoiceSet:
    """A choice field's valid_value() as one set lookup: Django walks the choices (which
    django-filter normalises again) for every value given, 249 of them for a country."""

    def valid_value(self, value):
        choices = self._choices
        known = self.__dict__.get("_known")
        if known is None or known[0] is not choices:
            texts = set()
            for key, label in self.choices:
                if isinstance(label, (list, tuple)):  # a group: its options count
                    texts.update(str(option) for option, _ in label)
                else:
                    texts.add(str(key))
            known = self._known = (choices, frozenset(texts))
        return str(value) in known[1]

    def validate(self, value):
        """Django's check, its refusal naming the values accepted (Django's says only
        that the value is not one of them)."""
        try:
            super().validate(value)
        except forms.ValidationError as error:
            if not any(item.code == "invalid_choice" for item in error.error_list):
                raise
            given = value if isinstance(value, list | tuple) else [value]
            wrong = next((item for item in given if not self.valid_value(item)), given[0])
            raise forms.ValidationError(
                gettext("Unknown value '%(value)s'. Accepted: %(accepted)s.")
                % {"value": str(wrong)[:40], "accepted": accepted_values(self.choices)},
                code="invalid_choice",
            ) from None


# At most this many accepted values are listed in a refusal (the document has them all).
VALUES_LISTED = 30


def accepted_values(choices):
    keys = [
        str(option)
        for key, label in choices
        for option in ([item for item, _ in label] if isinstance(label, list | tuple) else [key])
        if str(option) != ""
    ]
    if len(keys) <= VALUES_LISTED:
        return ", ".join(keys)
    return gettext("%(first)s and %(more)s more (the OpenAPI document lists them all)") % {
        "first": ", ".join(keys[:VALUES_LISTED]),
        "more": len(keys) - VALUES_LISTED,
    }


class StrictChoiceFilter(django_filters.ChoiceFilter):
    class field_class(NonEmpty, ChoiceSet, django_filters.fields.ChoiceField):
        pass


class ChoicesFilter(django_filters.MultipleChoiceFilter):
    """One or more of the listed choices (repeat the parameter for OR)."""

    class field_class(ChoiceSet, django_filters.fields.MultipleChoiceField):
        pass


class UTCDateTimeField(forms.DateTimeField):
    """An ISO 8601 date-time, normalised to UTC; one no database can store is an error."""

    default_error_messages = {
        "invalid": _("Enter a date (YYYY-MM-DD) or an ISO 8601 date-time."),
        "range": _("Enter a date-time between the years 1 and 9999 (in UTC)."),
    }

    def clean(self, value):
        if isinstance(value, str) and not value.isascii():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        moment = super().clean(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(datetime.UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError(self.error_messages["range"], code="range") from None


class StrictBooleanField(NonEmpty, forms.Field):
    """true/false (or 1/0); anything else is an error rather than 'no filter'."""

    TRUE, FALSE = {"true", "1"}, {"false", "0"}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError(gettext("Enter true or false."), code="invalid")


class TextValueField(NonEmpty, forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", TEXT_MAX_LENGTH)
        super().__init__(**kwargs)


class DateTimeValueField(NonEmpty, UTCDateTimeField):
    pass


class SearchFilter(django_filters.CharFilter):
    """`q`: text, refused empty like every other filter's value (it matched everything)."""

    field_class = TextValueField


VALUE_FIELDS = {
    "int": IntegerValueField,
    "decimal": DecimalValueField,
    "date": StrictDateField,
    "month": MonthFormField,
    "datetime": DateTimeValueField,
    "text": TextValueField,
}


def value_field(kind):
    """The form field that parses one value of the given kind."""
    return VALUE_FIELDS[kind]()


class MultiValueFormField(NonEmpty, forms.Field):
    """Takes every value of a repeated query parameter and parses each with `inner`."""

    widget = forms.SelectMultiple

    def __init__(self, *, inner, **kwargs):
        kwargs.pop("choices", None)
        self.inner = inner
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        return [self.inner.clean(item) for item in (value or [])] or None

    def validate(self, value):
        pass


SCHEMA_TYPES = {
    "int": OpenApiTypes.INT,
    "decimal": OpenApiTypes.NUMBER,
    "date": OpenApiTypes.DATE,
    "datetime": OpenApiTypes.DATETIME,
    "text": OpenApiTypes.STR,
    "month": MONTH_SCHEMA,
}


NO_NULL_VALUE = object()


class ValueFilter(django_filters.MultipleChoiceFilter):
    """A repeatable filter on plain values (numbers, dates, months, text); OR across repeats."""

    field_class = MultiValueFormField

    def __init__(self, *args, kind="text", **kwargs):
        # DISTINCT is only needed when the path crosses a to-many relation.
        kwargs.setdefault("distinct", "__" in kwargs.get("field_name", ""))
        super().__init__(*args, inner=value_field(kind), **kwargs)
        # django-filter reads the value "null" as None (a 500 on non-null columns);
        # here "null" is just text.
        self.null_value = NO_NULL_VALUE
        self.kind = kind
        extend_schema_field(SCHEMA_TYPES[kind])(self)


class SingleValueFilter(django_filters.Filter):
    """A filter taking one value (a bound such as `month__gte`, a window's end): given
    twice, it is refused rather than letting the last one win."""

    def __init__(self, *args, kind="text", **kwargs):
        kwargs.setdefault("distinct", "__" in kwargs.get("field_name", ""))
        self.field_class = VALUE_FIELDS[kind]
        super().__init__(*args, **kwargs)
        self.kind = kind
        extend_schema_field(SCHEMA_TYPES[kind])(self)


class BoolFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        extend_schema_field(OpenApiTypes.BOOL)(self)


@functools.lru_cache(maxsize=512)
def slug_key_query(model, field, count, alias):
    """The SQL reading (slug, key) of `count` slugs of a model's rows, with its parameters
    and where the slugs go among them: compiled once by the ORM, run with each request's
    values (compiling it took most of a slug check's time)."""
    markers = [f"\x01{index}" for index in range(count)]
    query = (
        model._default_manager.using(alias)
        .filter(**{f"{field}__in": markers})
        .order_by()
        .values_list(field, "pk")
        .query
    )
    sql, params = query.sql_with_params()
    return sql, tuple(params), tuple(params.index(marker) for marker in markers)


class SlugChoiceField(django_filters.fields.ModelMultipleChoiceField):
    """Slugs of existing rows, checked with one query that reads only their keys.

    Django checks each value by building a query for it, then reads whole rows in the
    model's default order; a filter needs neither, as it compares the relation's column
    with the key. Same answers and messages. The cleaned value is the rows' keys, or with
    `rows=True` the rows themselves in the model's order (for answers that show them).
    The queryset is the model's whole table (SlugFilter gives no other)."""

    def __init__(self, *args, rows=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows

    def _check_values(self, value):
        try:
            value = sorted(frozenset(value))
        except TypeError:
            raise forms.ValidationError(
                self.error_messages["invalid_list"], code="invalid_list"
            ) from None
        for slug in value:
            self.validate_no_null_characters(slug)
        if self.rows:
            chosen = self.queryset.filter(**{f"{self.to_field_name}__in": value})
            found = {str(getattr(row, self.to_field_name)): row for row in chosen}
        else:
            found = dict(self.keys_of(value))
        for slug in value:
            if str(slug) not in found:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": slug},
                )
        return list(found.values())

    def keys_of(self, slugs):
        """(slug, key) of each row with one of these slugs."""
        alias = self.queryset.db
        sql, params, positions = slug_key_query(
            self.queryset.model, self.to_field_name, len(slugs), alias
        )
        params = list(params)
        for position, slug in zip(positions, slugs, strict=True):
            params[position] = slug
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()


class SlugFilter(django_filters.ModelMultipleChoiceFilter):
    """A relation filtered by the related object's slug; repeat for OR.

    An unknown slug is an error that names it, never an empty or unfiltered answer.
    """

    field_class = SlugChoiceField

    def __init__(self, field_name, model, **kwargs):
        # Labels document the parameter (the OpenAPI document is in English); the message
        # is the client's, in its language.
        kwargs.setdefault("label", f"Slug of a {english(model._meta.verbose_name)}; repeat for OR.")
        kwargs.setdefault(
            "error_messages",
            {
                "invalid_choice": format_lazy(
                    _("No {model} with slug '%(value)s'."), model=model._meta.verbose_name
                )
            },
        )
        super().__init__(
            field_name=field_name,
            to_field_name="slug",
            queryset=model.objects.all(),
            distinct=True,
            **kwargs,
        )
        self.related_model = model
        extend_schema_field(SLUG_SCHEMA)(self)

    def get_filter_predicate(self, v):
        # Compare the relation's column with the row's key (SlugChoiceField cleans to keys).
        name = self.field_name
        if self.lookup_expr != "exact":
            name = f"{name}__{self.lookup_expr}"
        return {name: v}

    def negated(self):
        return SlugFilter(
            self.field_name,
            self.related_model,
            exclude=True,
            label=(
                f"Not any of these {english(self.related_model._meta.verbose_name_plural)} (slugs)."
            ),
        )


TEXT_LOOKUPS = {"ic": "icontains", "isw": "istartswith", "iew": "iendswith", "ie": "iexact"}
RANGE_LOOKUPS = ("gte", "lte", "gt", "lt")


# Model field classes and the ValueFilter kind that parses their values, the first that
# matches winning (a DateTimeField is also a DateField).
FIELD_KINDS = (
    (models.BooleanField, "bool"),
    (models.DecimalField, "decimal"),
    ((models.IntegerField, models.AutoField), "int"),
    (models.DateTimeField, "datetime"),
    (models.DateField, "date"),
    ((models.CharField, models.TextField), "text"),
)


def kind_of(model_field):
    """Which ValueFilter kind (or 'choice', 'bool') parses a model field's values."""
    if model_field.choices or isinstance(model_field, CountryField):
        return "choice"
    for field_classes, kind in FIELD_KINDS:
        if isinstance(model_field, field_classes):
            return kind
    raise TypeError(f"No filter kind for {model_field!r}")


def resolve_model_field(model, path):
    field = None
    for part in path.split("__"):
        field = model._meta.get_field(part)
        model = field.related_model or model
    return field


def shown(value):
    """A cleaned parameter value as the client wrote it, for error messages."""
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.isoformat()
    return str(value)


class SharedFields(dict):
    """A filter form's fields, which every form of its class shares instead of deep-copying.

    A form copies its class's fields so that one form may change its own (a choice list
    narrowed for one user, say). A filter form changes none: cleaning a value reads the
    field and nothing else. Copying them was about a quarter of the cost of checking a list's
    parameters."""

    def __deepcopy__(self, memo):
        return dict(self)


class WindowCheckingForm(forms.Form):
    """Refuses a reversed window (its first end after its last): the answer would be
    empty, which reads as "nothing there" rather than "you swapped the ends"."""

    windows = ()

    def clean(self):
        cleaned = super().clean()
        for low, high in self.windows:
            first, last = cleaned.get(low), cleaned.get(high)
            if first is not None and last is not None and first > last:
                self.add_error(
                    low,
                    forms.ValidationError(
                        gettext(
                            "Reversed range: %(low)s (%(first)s) is after %(high)s (%(last)s); "
                            "%(low)s must be the earlier (or lower) end."
                        )
                        % {"low": low, "first": shown(first), "high": high, "last": shown(last)},
                        code="reversed_range",
                    ),
                )
        return cleaned


class BoundFilters(Mapping):
    """A FilterSet's filters by name, each a shallow copy of the declared filter, made on
    first use and bound to the FilterSet (its parent) and to its queryset's model."""

    def __init__(self, filterset, declared):
        self.filterset = filterset
        self.declared = declared
        self.bound = {}

    def __getitem__(self, name):
        filter_ = self.bound.get(name)
        if filter_ is None:
            declared = self.declared[name]
            filter_ = copy.copy(declared)
            filter_.extra = dict(declared.extra)
            if declared.method is not None:
                filter_.method = declared.method  # binds a FilterMethod to the copy
            # None for parameters that select no rows (a FilterSet with no model).
            filter_.model = getattr(self.filterset.queryset, "model", None)
            filter_.parent = self.filterset
            self.bound[name] = filter_
        return filter_

    def __contains__(self, name):
        return name in self.declared

    def __iter__(self):
        return iter(self.declared)

    def __len__(self):
        return len(self.declared)


class CatalogFilterSet(django_filters.FilterSet):
    """Base FilterSet: generates the lookup variants; subclasses stay declarative.

    `Meta.fields` lists scalar fields; `aliases` maps a parameter name to a field path
    across relations (e.g. {"role": "roles__role"}); `month_fields` lists DateFields
    written YYYY-MM. `q` searches the model's `search_fields` (declared on the model, which
    the admin's search box uses too).
    """

    q = SearchFilter(
        method="search",
        max_length=TEXT_MAX_LENGTH,
        label="Search names, in English or Chinese (case-insensitive, contains).",
    )
    month_fields = ()
    aliases = {}
    # Pairs of (first, last) parameters of a window that are not lookups of one field,
    # e.g. ("weight_from", "weight_to"); field__gte/__lte pairs are found by themselves.
    windows = ()

    def window_pairs(self):
        """Every (low end, high end) pair whose values must not be reversed."""
        pairs = list(self.windows)
        for name in self.filters:
            base, _, lookup = name.rpartition("__")
            if lookup in ("gte", "gt"):
                pairs += [
                    (name, f"{base}__{upper}")
                    for upper in ("lte", "lt")
                    if f"{base}__{upper}" in self.filters
                ]
        return tuple(pairs)

    # True: the form has a field for every filter (the browsable API shows them all);
    # otherwise only for the parameters given, the only ones that can filter.
    complete_form = False

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        """django-filter's, with each filter copied when first used instead of all of
        them deep-copied.

        django-filter deep-copies every filter (56-76 generated ones here, querysets and
        all) on every request, though a request uses those it names; a filter keeps no
        state of its own for a request but its parent and model (BoundFilters)."""
        if queryset is None and self._meta.model is not None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = BoundFilters(self, self.base_filters)

    def get_form_class(self):
        """The form for the parameters given, built once per FilterSet and set of names.

        Its fields depend on nothing in the request (each form deep-copies them), so the
        same names reuse the class: a request with a hundred parameters no longer builds
        a hundred form fields. At most FORM_CLASSES_KEPT classes are kept per process."""
        names = tuple(name for name in self.filters if self.complete_form or name in self.data)
        key = (type(self), names)
        with _form_classes_lock:
            form_class = _form_classes.get(key)
            if form_class is not None:
                _form_classes.move_to_end(key)
                return form_class
        given = {name: self.filters[name].field for name in names}
        fields_form = type(f"{type(self).__name__}Form", (self._meta.form,), given)
        form_class = type(
            fields_form.__name__,
            (WindowCheckingForm, fields_form),
            {"windows": self.window_pairs()},
        )
        form_class.base_fields = SharedFields(form_class.base_fields)
        with _form_classes_lock:
            _form_classes[key] = form_class
            while len(_form_classes) > FORM_CLASSES_KEPT:
                _form_classes.popitem(last=False)
        return form_class

    @classmethod
    def get_fields(cls):
        # The generated filters replace django-filter's own, so hand it nothing to do.
        return {}

    @classmethod
    def get_filters(cls):
        filters = super().get_filters()
        model = cls._meta.model
        paths = {name: name for name in cls._meta.fields or ()} | cls.aliases
        for name, path in paths.items():
            filters.update(cls.lookups_for(name, path, resolve_model_field(model, path)))
        for name, declared in list(filters.items()):
            if (
                isinstance(declared, SlugFilter)
                and not declared.exclude
                and declared.method is None
            ):
                filters.setdefault(f"{name}__n", declared.negated())
                nullable = cls.nullable_relation(model, declared.field_name)
                if nullable:
                    filters.setdefault(
                        f"{name}__isnull",
                        BoolFilter(
                            field_name=declared.field_name,
                            lookup_expr="isnull",
                            label=f"true: no {name}; false: any {name}.",
                        ),
                    )
        return filters

    @staticmethod
    def nullable_relation(model, path):
        try:
            field = resolve_model_field(model, path)
        except FieldDoesNotExist:
            return False
        return getattr(field, "null", False) and "__" not in path

    @classmethod
    def lookups_for(cls, name, path, model_field):
        kind = "month" if name in cls.month_fields else kind_of(model_field)
        label = english(getattr(model_field, "verbose_name", name))
        filters = {}
        if kind == "choice":
            # Read in English whatever the language of the request that first loads this
            # code (a country's name is translated as the list is read): it is documented.
            with translation.override(None):
                choices = list(model_field.choices)
            filters[name] = ChoicesFilter(
                field_name=path,
                choices=choices,
                label=f"{label}; repeat for OR.",
                distinct=path != name,
            )
            filters[f"{name}__n"] = ChoicesFilter(
                field_name=path,
                choices=choices,
                exclude=True,
                label=f"{label}: not any of these.",
                distinct=path != name,
            )
        elif kind == "bool":
            filters[name] = BoolFilter(field_name=path, label=f"{label}: true or false.")
        else:
            filters[name] = ValueFilter(
                field_name=path, kind=kind, label=f"{label}; repeat for OR."
            )
            filters[f"{name}__n"] = ValueFilter(
                field_name=path, kind=kind, exclude=True, label=f"{label}: not any of these."
            )
            if kind == "text":
                for suffix, lookup in TEXT_LOOKUPS.items():
                    filters[f"{name}__{suffix}"] = ValueFilter(
                        field_name=path,
                        kind=kind,
                        lookup_expr=lookup,
                        label=f"{label}: {lookup[1:]} (case-insensitive).",
                    )
            else:
                for lookup in RANGE_LOOKUPS:
                    filters[f"{name}__{lookup}"] = SingleValueFilter(
                        field_name=path, kind=kind, lookup_expr=lookup, label=f"{label} {lookup}."
                    )
        if getattr(model_field, "null", False) and path == name:
            filters[f"{name}__isnull"] = BoolFilter(
                field_name=path, lookup_expr="isnull", label=f"{label} is unknown (true/false)."
            )
        return filters

    def search(self, queryset, name, value):
        search_fields = self._meta.model.search_fields
        condition = Q()
        for field in search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        queryset = queryset.filter(condition)
        crosses_relation = any("__" in field for field in search_fields)
        return queryset.distinct() if crosses_relation else queryset


def in_force(start, end, on):
    """The period from `start` to `end` contains the date `on`; an empty bound is open."""
    return (Q(**{f"{start}__isnull": True}) | Q(**{f"{start}__lte": on})) & (
        Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gte": on})
    )


def active_on_filter(start, end):
    """A filter method keeping links in force on a date: started by then, not ended before."""

    def filter_active_on(queryset, name, value):
        return queryset.filter(in_force(start, end, value))

    return filter_active_on


def active_on(start, end):
    """`active_on=YYYY-MM-DD`: only links whose period contains that date."""
    return extend_schema_field(OpenApiTypes.DATE)(
        StrictDateFilter(
            method=active_on_filter(start, end),
            label=(
                "Only links in force on this date (YYYY-MM-DD), both ends of a link's period "
                "included: a link that ends on this date is in force on it; an open end "
                "means ongoing."
            ),
        )
    )


MULTI_VALUE_FIELDS = (
    forms.MultipleChoiceField,
    forms.ModelMultipleChoiceField,
    MultiValueFormField,
)


def repeatable(field_or_filter):
    """Whether a parameter takes several values (repeat it for OR)."""
    field_class = getattr(field_or_filter, "field_class", None) or type(field_or_filter)
    return issubclass(field_class, MULTI_VALUE_FIELDS)


def invalid_filters(errors):
    """The 400 for a FilterSet's form errors, as django-filter's translate_validation
    gives it (each message with its code), but with each message written out as Django
    writes it: formatted with its params only where it has some. django-filter formats
    every message, so a message quoting the value given (`got '%s'`, `100%`) failed."""
    return ValidationError(
        {
            name: [ErrorDetail(text, code=error.code) for error in field_errors for text in error]
            for name, field_errors in errors.as_data().items()
        }
    )


# The most values a repeatable parameter takes in one request (each is one more term of
# the query: SQLite refuses an expression about a thousand terms deep).
MAX_VALUES = 100


def query_errors(query, accepted, repeatable=()):
    """{parameter: [message]} for a query (a QueryDict): every parameter not in `accepted`
    (listing those that are), every one given more than once that takes one value, and
    every one given more than MAX_VALUES times. The API's lists and insights
    (reject_unknown_params) and the explorer's pages read their queries by this rule."""
    errors = {}
    for param in sorted(set(query) - set(accepted)):
        errors[param] = [
            gettext("Unknown query parameter. Accepted: %(accepted)s.")
            % {"accepted": ", ".join(sorted(accepted))}
            if accepted
            else gettext("Unknown query parameter: this page takes none.")
        ]
    for param, given in query.lists():
        if param not in errors and param not in repeatable and len(given) > 1:
            errors[param] = [
                gettext("Give this parameter once; it takes one value, not %(count)s.")
                % {"count": len(given)}
            ]
        elif param not in errors and len(given) > MAX_VALUES:
            errors[param] = [
                gettext(
                    "Give this parameter at most %(max)s times, not %(count)s: more values "
                    "make a query past what the database takes. Ask in several requests."
                )
                % {"max": MAX_VALUES, "count": len(given)}
            ]
    return errors


def reject_unknown_params(request, accepted, repeatable_params=()):
    """A 400 of query_errors, `format` accepted everywhere and `ordering` repeatable
    (`ordering=name&ordering=-launched`, as the document's exploded array has clients
    send it), as its terms may be joined by commas."""
    errors = query_errors(
        request.query_params,
        {*accepted, "format"},
        {*repeatable_params, api_settings.ORDERING_PARAM},
    )
    if errors:
        raise ValidationError(errors)


def reserved_params(view):
    """The parameters a view understands besides its filters: `format`, its paginator's
    and, where it orders, `ordering`. Details take only `format`."""
    names = {"format"}
    if getattr(view, "detail", False):
        return names
    paginator = getattr(view, "paginator", None)
    for attr in (
        "limit_query_param",
        "offset_query_param",
        "cursor_query_param",
        "page_query_param",
        "page_size_query_param",
    ):
        name = getattr(paginator, attr, None)
        if name:
            names.add(name)
    if any(issubclass(backend, OrderingFilter) for backend in view.filter_backends):
        names.add(api_settings.ORDERING_PARAM)
    return names


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, refusing unknown parameters and naming what is accepted."""

    def to_html(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return None
        filterset.complete_form = True
        return loader.get_template(self.template).render(
            {"filter": filterset, "request": request}, request
        )

    def validated_filterset(self, request, queryset, view):
        """The bound, valid FilterSet (a 400 otherwise; None for a view without one)."""
        filterset = self.get_filterset(request, queryset, view)
        if filterset is not None and not filterset.is_valid():
            raise invalid_filters(filterset.errors)
        return filterset

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "detail", False):
            # A detail is looked up by its slug alone: filters do not apply to it.
            reject_unknown_params(request, reserved_params(view))
            return queryset
        filterset = self.validated_filterset(request, queryset, view)
        return queryset if filterset is None else filterset.qs

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        declared = filterset.base_filters if filterset else {}
        reject_unknown_params(
            request,
            {*declared, *reserved_params(view)},
            [name for name, filter_ in declared.items() if repeatable(filter_)],
        )
        return filterset


class StrictOrderingFilter(OrderingFilter):
    """`ordering=field&ordering=-other` (or `ordering=field,-other`) on the view's
    documented fields; anything else is a 400.

    The view's default order ends in a unique field, and a requested order gets one
    appended, so pages never overlap or skip rows.
    """

    def get_ordering(self, request, queryset, view):
        given = request.query_params.getlist(self.ordering_param)
        if not given:
            return self.get_default_ordering(view)
        accepted = [name for name, _ in self.get_valid_fields(queryset, view, {"request": request})]
        # Repeated (the document's exploded array) or joined by commas: the same terms.
        terms = ",".join(given).split(",")
        names = [term.removeprefix("-") for term in terms]
        wrong = [
            term or "(an empty term)"
            for term, name in zip(terms, names, strict=True)
            if name not in accepted or names.count(name) > 1
        ]
        if wrong:
            choices = ", ".join(f"{name}, -{name}" for name in accepted)
            raise ValidationError(
                {
                    self.ordering_param: [
                        gettext("Cannot order by %(terms)s. Accepted: %(accepted)s.")
                        % {"terms": ", ".join(wrong) or gettext("nothing"), "accepted": choices}
                    ]
                }
            )
        tie_breaker = getattr(view, "ordering_tie_breaker", "slug")
        if tie_breaker not in {term.removeprefix("-") for term in terms}:
            terms.append(tie_breaker)
        return terms
