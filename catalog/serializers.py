"""Serializer plumbing shared by every resource.

Related objects are read as summaries ({slug, name, url}) and written as slugs.
Validation is the model's own: `full_clean()` runs on the object as it would be saved,
so the API and the admin give the same messages for the same mistakes.
"""

import copy
import re
from collections.abc import Mapping

from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils import translation
from django.utils.choices import CallableChoiceIterator
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import fields as drf_fields
from rest_framework import relations, serializers
from rest_framework.validators import UniqueValidator

from catalog import values
from catalog.exceptions import django_validation_error
from catalog.i18n import interpolate_lazy
from catalog.models import SLUG_CHARS, SLUG_MAX_LENGTH, ChangeRecord, Source
from catalog.services import holds_exactly

SLUG = re.compile(rf"{SLUG_CHARS}\Z")
SLUG_SCHEMA = {"type": "string", "pattern": f"^{SLUG_CHARS}$", "maxLength": SLUG_MAX_LENGTH}


# Stands in for the slug when a detail URL is reversed once; a real slug replaces it.
SLUG_MARK = "SLUG0MARK"
_detail_paths = {}


def detail_path(model_name):
    """(before, after) the slug in the detail URL of a model, or None if it has none.

    reverse() walks the URL patterns each time; a page of rows would call it once per
    related object. The result is kept per script prefix, which reverse() depends on.
    """
    key = (get_script_prefix(), model_name)
    if key not in _detail_paths:
        try:
            path = reverse(f"{model_name}-detail", kwargs={"slug": SLUG_MARK})
        except NoReverseMatch:
            _detail_paths[key] = None
        else:
            before, _, after = path.partition(SLUG_MARK)
            _detail_paths[key] = (before, after)
    return _detail_paths[key]


def absolute_base(request):
    """scheme://host of the request, worked out once per request."""
    base = getattr(request, "_catalog_absolute_base", None)
    if base is None:
        base = request.build_absolute_uri("/")[:-1]
        request._catalog_absolute_base = base
    return base


def url_parts(model_name, request):
    """(before, after) the slug in a model's absolute detail URL for this request, or None.

    Kept on the request: a page of rows asks for them once per related object."""
    if request is None:
        return detail_path(model_name)
    known = request.__dict__.setdefault("_catalog_url_parts", {})
    if model_name not in known:
        parts = detail_path(model_name)
        known[model_name] = None if parts is None else (absolute_base(request) + parts[0], parts[1])
    return known[model_name]


def url_for(model_name, slug, request):
    """The API URL of a resource, from its model name (e.g. 'brand') and slug."""
    parts = url_parts(model_name, request)
    if parts is None or not SLUG.match(str(slug)):
        # Not a slug the URL pattern takes (reverse() would refuse it): no URL.
        return None
    return f"{parts[0]}{slug}{parts[1]}"


def detail_url(obj, request):
    return url_for(obj._meta.model_name, obj.slug, request)


def summary_of(model_name, slug, name, request):
    """The {slug, name, url} summary, from values() rows rather than model instances."""
    return {"slug": slug, "name": name, "url": url_for(model_name, slug, request)}


def supplier_of(slug, name, country, request):
    """A company's summary plus its country, as analyses show suppliers."""
    return {**summary_of("company", slug, name, request), "country": str(country)}


# JSON types each kind of field accepts: the schema's types, with no coercion ("12" is
# not 12, 0 is not "0", {} is not a list).
JSON_TYPES = [
    (serializers.BooleanField, (bool,), _("true or false")),
    (serializers.IntegerField, (int,), _("a whole number")),
    (serializers.DecimalField, (int, float), _("a number")),
    (serializers.FloatField, (int, float), _("a number")),
    (serializers.CharField, (str,), _("a string")),
    (serializers.DateField, (str,), _("a date string (YYYY-MM-DD)")),
    (serializers.DateTimeField, (str,), _("a date-time string")),
]
_strict_classes = {}


def strict(field_class):
    """`field_class`, refusing values of the wrong JSON type instead of coercing them."""
    if field_class not in _strict_classes:
        match = next((entry for entry in JSON_TYPES if issubclass(field_class, entry[0])), None)
        if match is None:
            _strict_classes[field_class] = field_class
        else:
            _, types, expected = match

            def to_internal_value(self, data, _types=types, _expected=expected):
                wrong_bool = isinstance(data, bool) and bool not in _types
                if data is not None and (wrong_bool or not isinstance(data, _types)):
                    raise serializers.ValidationError(
                        gettext("Expected %(expected)s, got %(type)s.")
                        % {"expected": _expected, "type": type(data).__name__},
                        code="invalid_type",
                    )
                return super(cls, self).to_internal_value(data)

            def validate_empty_values(self, data):
                # Only null is null. DRF's DecimalField reads "" and whitespace as null
                # when the field allows null, so `"share_percent": ""` erased the stored
                # figure where "12.5" is refused; with this, every string reaches
                # to_internal_value() above and is refused alike.
                return serializers.Field.validate_empty_values(self, data)

            cls = type(
                field_class.__name__,
                (field_class,),
                {
                    "to_internal_value": to_internal_value,
                    "validate_empty_values": validate_empty_values,
                },
            )
            _strict_classes[field_class] = cls
    return _strict_classes[field_class]


# The dicts a ChoiceField makes of choices given by a callable (a model field's, such as
# the country list: 249 names translated and sorted, then made into three dicts): made once
# per callable and language, {(callable, language): (grouped, flat, by string)}.
_choices_made = {}


class ChoiceField(serializers.ChoiceField):
    """DRF's. Every serializer gets new fields made from the declared ones, each choice
    field working out its choices again: for the country list that was most of making a
    company's serializer. Choices given by a callable are worked out once per language,
    as DRF works them out, and shared (they are only read)."""

    def _set_choices(self, choices):
        if not isinstance(choices, CallableChoiceIterator):
            super()._set_choices(choices)
            return
        key = (choices.func, translation.get_language())
        made = _choices_made.get(key)
        if made is None:
            super()._set_choices(choices)
            made = _choices_made[key] = (
                self.grouped_choices,
                self._choices,
                self.choice_strings_to_values,
            )
        self.grouped_choices, self._choices, self.choice_strings_to_values = made

    choices = property(serializers.ChoiceField._get_choices, _set_choices)


class ListOnlyRelatedField(serializers.ManyRelatedField):
    """A to-many relation written as a JSON list of slugs (DRF also takes any iterable)."""

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


class SummaryField(serializers.SlugRelatedField):
    """A related object: read as {slug, name, url}, written as its slug."""

    default_error_messages = {
        "does_not_exist": _("No {model} with slug '{value}'."),
        "invalid": interpolate_lazy(
            _(
                "Give the slug of the related object: a string of at most %(max)s letters, "
                "digits, hyphens or underscores."
            ),
            max=SLUG_MAX_LENGTH,
        ),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "slug")
        super().__init__(**kwargs)

    @classmethod
    def many_init(cls, *args, **kwargs):
        from rest_framework.relations import MANY_RELATION_KWARGS

        list_kwargs = {"child_relation": cls(*args, **kwargs)}
        list_kwargs.update({key: kwargs[key] for key in kwargs if key in MANY_RELATION_KWARGS})
        return ListOnlyRelatedField(**list_kwargs)

    def run_validation(self, data=serializers.empty):
        # DRF reads "" as null for relations; here only null is null, as the schema says.
        if data == "":
            self.fail("invalid")
        return super().run_validation(data)

    def to_internal_value(self, data):
        # Not a slug (NUL bytes, lone surrogates, too long): no such object can exist,
        # and the text must never reach the database, which may refuse it.
        if not isinstance(data, str) or len(data) > SLUG_MAX_LENGTH or not SLUG.match(data):
            self.fail("invalid")
        queryset = self.get_queryset()
        try:
            return queryset.get(slug=data)
        except queryset.model.DoesNotExist:
            raise serializers.ValidationError(
                self.error_messages["does_not_exist"].format(
                    model=queryset.model._meta.verbose_name, value=data[:100]
                ),
                code="does_not_exist",
            ) from None

    def to_representation(self, obj):
        return {
            "slug": obj.slug,
            "name": getattr(obj, "name", None) or str(obj),
            "url": detail_url(obj, self.context.get("request")),
        }


class SourceSummaryField(SummaryField):
    """A cited source: read as {slug, title, publisher, published_on, link, url}."""

    def to_representation(self, source):
        return {
            "slug": source.slug,
            "title": source.title,
            "publisher": source.publisher,
            "published_on": source.published_on.isoformat() if source.published_on else None,
            "link": source.url,
            "url": detail_url(source, self.context.get("request")),
        }


MONTH_SCHEMA = {
    "type": "string",
    "pattern": values.MONTH_PATTERN,
    "example": "2025-11",
    "description": f"A calendar month, YYYY-MM, {values.MONTH_RANGE_TEXT}.",
}


def parsed(parse, value):
    """catalog.values' parse functions, their refusals as DRF's validation errors."""
    try:
        return parse(value)
    except DjangoValidationError as error:
        raise serializers.ValidationError(error.messages, code=error.code) from None


@extend_schema_field(MONTH_SCHEMA)
class MonthField(serializers.DateField):
    """A calendar month, written and read as YYYY-MM."""

    def to_internal_value(self, value):
        if not isinstance(value, str):
            raise serializers.ValidationError(
                gettext("Expected a month string (YYYY-MM), got %(type)s.")
                % {"type": type(value).__name__},
                code="invalid_type",
            )
        return parsed(values.parse_month, value)

    def to_representation(self, value):
        return values.format_month(value) if value else None


class DateField(serializers.DateField):
    """A date, YYYY-MM-DD, in ASCII digits, that exists and lies in the catalog's range."""

    def to_internal_value(self, value):
        if not isinstance(value, str):
            raise serializers.ValidationError(
                gettext("Expected a date string (YYYY-MM-DD), got %(type)s.")
                % {"type": type(value).__name__},
                code="invalid_type",
            )
        return parsed(values.parse_date, value)


class DateTimeField(serializers.DateTimeField):
    """A date-time in the current time zone, which is looked up once per field rather
    than for every value (a page of 1,000 rows shows 2,000 of them)."""

    @cached_property
    def timezone(self):
        return self.default_timezone()


class CatalogIdentityField(serializers.HyperlinkedIdentityField):
    """The resource's own API URL, without the ?format= of the request that rendered it."""

    def __init__(self, **kwargs):
        kwargs.setdefault("lookup_field", "slug")
        super().__init__(**kwargs)

    def get_url(self, obj, view_name, request, format):
        return detail_url(obj, request)


# DRF's ways of reading a field's attribute that attribute_reader() may stand in for.
PLAIN_GET_ATTRIBUTE = (
    drf_fields.Field.get_attribute,
    relations.RelatedField.get_attribute,
    relations.ManyRelatedField.get_attribute,
)


def plain_source(field):
    """The one name `field` reads, where DRF's get_attribute() would read just that name
    and the planned readers may stand in for it; else None."""
    if isinstance(field, relations.RelatedField) and field.use_pk_only_optimization():
        return None
    if type(field).get_attribute not in PLAIN_GET_ATTRIBUTE or len(field.source_attrs) != 1:
        return None
    return field.source_attrs[0]


def reads_whole_row(field):
    """The field shows the row itself (`source='*'`, e.g. its URL)."""
    return field.source == "*" and type(field).get_attribute in PLAIN_GET_ATTRIBUTE[:2]


def whole_row(row):
    return row


def attribute_reader(field, model):
    """How `field` reads its attribute from a row of `model` (a model instance or an
    object standing in for one): what DRF's get_attribute() returns, without its
    per-call checks where the source is one of the model's own fields.

    - the row itself (`source='*'`) or a field or forward relation of the row: the
      attribute (None for a related row that does not exist, as DRF gives);
    - a to-many relation the page prefetched: the prefetched rows, which is what the
      relation's manager would return, without making a manager for every row;
    - anything else (computed sources, dotted paths, pk-only relations): DRF's own.
    """
    generic = field.get_attribute
    if reads_whole_row(field):
        return whole_row
    name = plain_source(field)
    if name is None or model is None:
        return generic
    try:
        model_field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return generic
    if model_field.many_to_many or model_field.one_to_many:
        if model_field.auto_created and model_field.many_to_many:
            return generic  # a reverse many-to-many: its cache is named otherwise
        cache_name = model_field.name if model_field.concrete else model_field.cache_name

        def read_prefetched(row):
            prefetched = row.__dict__.get("_prefetched_objects_cache")
            if prefetched is not None and cache_name in prefetched:
                return prefetched[cache_name]
            return generic(row)

        return read_prefetched
    if model_field.name != name or not (model_field.concrete or model_field.one_to_one):
        return generic

    def read(row):
        try:
            return getattr(row, name)
        except ObjectDoesNotExist:
            return None

    return read


def key_reader(field):
    """How `field` reads its attribute from a dict row: the value under its name, as
    DRF's get_attribute() gives it; DRF's own where the key is missing or the value is
    something DRF would call."""
    generic = field.get_attribute
    if reads_whole_row(field):
        return whole_row
    name = plain_source(field)
    if name is None or isinstance(field, relations.ManyRelatedField):
        return generic

    def read(row):
        value = row.get(name, generic)
        if value is generic or callable(value):
            return generic(row)
        return value

    return read


# DRF's to_representation() methods that only call a built-in: the built-in itself.
BUILT_IN_REPRESENTATIONS = {
    serializers.CharField.to_representation: str,
    serializers.IntegerField.to_representation: int,
    serializers.FloatField.to_representation: float,
}


def representation(field):
    """The field's to_representation(), or the built-in it would only call."""
    return BUILT_IN_REPRESENTATIONS.get(type(field).to_representation, field.to_representation)


def writable_names(fields):
    """The names a client may write among `fields` (a serializer's), sorted."""
    return sorted(name for name, field in fields.items() if not field.read_only)


def unknown_nested_keys(field, value, path):
    """Messages for the keys, inside `value` (what a request gave `field`, found at
    `path`, e.g. chips[1]), that no writable field of a nested serializer takes, at any
    depth: DRF drops them silently, so a misspelt or unsupported key inside a chip would
    be stored as nothing. Each message names the key by its path and lists the keys
    accepted there. A value of the wrong type is left to the field, which refuses it."""
    child = getattr(field, "child", None)
    if isinstance(field, serializers.ListSerializer | serializers.ListField) and child:
        if not isinstance(value, list):
            return []
        return [
            message
            for index, item in enumerate(value)
            for message in unknown_nested_keys(child, item, f"{path}[{index}]")
        ]
    if not isinstance(field, serializers.Serializer) or not isinstance(value, dict):
        return []
    fields = field.fields
    messages = []
    for key, inner in value.items():
        inner_field = fields.get(key)
        if inner_field is None or inner_field.read_only:
            messages.append(
                gettext(
                    "Unknown field %(path)s. Fields that can be written in %(where)s: %(fields)s."
                )
                % {
                    "path": f"{path}.{key}",
                    "where": path,
                    "fields": ", ".join(writable_names(fields)),
                }
            )
        else:
            messages.extend(unknown_nested_keys(inner_field, inner, f"{path}.{key}"))
    return messages


# (No docstrings on these two: the OpenAPI document takes a serializer's description
# from the first docstring of its classes.)
class PlannedRepresentation:
    # A serializer whose to_representation() is DRF's, field by field the same, with each
    # field's way of reading its value worked out once per serializer (which a list's
    # rows share) rather than again for every row and field.

    def plan(self, reader):
        return [
            (field.field_name, reader(field), representation(field))
            for field in self._readable_fields
        ]

    @cached_property
    def object_plan(self):
        model = getattr(getattr(self, "Meta", None), "model", None)
        return self.plan(lambda field: attribute_reader(field, model))

    @cached_property
    def mapping_plan(self):
        return self.plan(key_reader)

    def to_representation(self, instance):
        plan = self.mapping_plan if isinstance(instance, Mapping) else self.object_plan
        row = {}
        for name, read, represent in plan:
            try:
                attribute = read(instance)
            except drf_fields.SkipField:
                continue
            if isinstance(attribute, relations.PKOnlyObject):
                row[name] = None if attribute.pk is None else represent(attribute)
            else:
                row[name] = None if attribute is None else represent(attribute)
        return row


class AnswerSerializer(PlannedRepresentation, serializers.Serializer):
    # A serializer of answers built as dicts (analyses), planned.
    pass


class CatalogSerializer(PlannedRepresentation, serializers.ModelSerializer):
    """Base for every resource: url and slug, summaries for relations, cited sources.

    `slug` may be left out on create; it is then derived by `default_slug()`.
    """

    serializer_related_field = SummaryField
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: DateField,
        models.DateTimeField: DateTimeField,
    }
    serializer_url_field = CatalogIdentityField
    serializer_choice_field = ChoiceField
    sources = SourceSummaryField(
        many=True,
        required=False,
        queryset=Source.objects.all(),
        help_text="The sources backing this fact (slugs when writing).",
    )

    # Fields written through a service after the row is saved, not model attributes:
    # save_extra() receives those the request gave.
    extra_write_fields = ()

    def save_extra(self, instance, values):
        """Write `extra_write_fields` after the row itself (subclasses call services);
        returns the names, as the API shows them, of those that changed."""
        return set()

    def pop_extra(self, validated_data):
        return {
            name: validated_data.pop(name)
            for name in self.extra_write_fields
            if name in validated_data
        }

    def many_given(self, validated_data):
        return [
            field.name
            for field in self.Meta.model._meta.many_to_many
            if field.name in validated_data
        ]

    def create(self, validated_data):
        extra = self.pop_extra(validated_data)
        instance = super().create(validated_data)
        self.save_extra(instance, extra)
        return instance

    def update(self, instance, validated_data):
        """Write only what differs from the stored row. A write that changes nothing
        saves nothing: no change record, no history row, `updated` and the ETag stay."""
        extra = self.pop_extra(validated_data)
        many = {name: validated_data.pop(name) for name in self.many_given(validated_data)}
        changed_values = {
            name: value
            for name, value in validated_data.items()
            if getattr(instance, name) != value
        }
        changed_links = {
            name
            for name, related in many.items()
            if not holds_exactly(getattr(instance, name), related)
        }
        saved = bool(changed_values or changed_links)
        if saved:
            for name, value in changed_values.items():
                setattr(instance, name, value)
            instance.save()
            for name in changed_links:
                getattr(instance, name).set(many[name])
        changed_extra = self.save_extra(instance, extra)
        if changed_extra and not saved:
            # Only links kept by a service changed: the row's own record says so.
            instance.save(update_fields=["updated"])
        return instance

    def to_internal_value(self, data):
        if isinstance(data, dict):
            self.refuse_fields_it_cannot_write(data)
        return super().to_internal_value(data)

    def refuse_fields_it_cannot_write(self, data):
        """A field the resource does not have is a 400 naming it (a typo must not be
        stored as nothing), at any depth: a key inside a nested object (a chip of
        `chips`) is refused as one at the top is; see `unknown_nested_keys()`. A
        read-only field is accepted only as stored (a client echoing what it read),
        never with another value."""
        fields = self.fields
        errors = {}
        current = None
        for name, value in data.items():
            field = fields.get(name)
            if field is None:
                errors[name] = [
                    gettext("Unknown field. Fields that can be written: %(fields)s.")
                    % {"fields": ", ".join(writable_names(fields))}
                ]
            elif field.read_only:
                if current is None and self.instance is not None:
                    current = self.to_representation(self.instance)
                if current is None or current.get(name) != value:
                    errors[name] = [
                        gettext("Read-only field: leave it out, or send it back unchanged.")
                    ]
            else:
                nested = unknown_nested_keys(field, value, name)
                if nested:
                    errors[name] = nested
        if errors:
            raise serializers.ValidationError(errors)

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        return strict(field_class), kwargs

    def get_fields(self):
        fields = copy.deepcopy(self.built_fields())
        for field in fields.values():
            # Uniqueness is checked by the model's full_clean, with the admin's wording.
            field.validators = [v for v in field.validators if not isinstance(v, UniqueValidator)]
        if "slug" in fields and not fields["slug"].read_only:
            fields["slug"].required = False
        return fields

    # ModelSerializer's fields, built from the model once per serializer class.
    _built_fields = {}

    def built_fields(self):
        """The fields ModelSerializer builds from the model and Meta, unbound.

        They depend on the class alone, yet DRF builds them again (model introspection,
        one build_field() per field) for every serializer, nested ones included: a
        quarter of a brand detail's time. Each serializer gets deep copies, as DRF gives
        every serializer its declared fields."""
        cls = type(self)
        if cls not in CatalogSerializer._built_fields:
            CatalogSerializer._built_fields[cls] = super().get_fields()
        return CatalogSerializer._built_fields[cls]

    def get_validators(self):
        return []

    def default_slug(self, attrs):
        """The model's rule (`make_slug()`), as the admin, imports and the loader apply it."""
        return self.Meta.model.make_slug(attrs)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        derived = self.instance is None and not attrs.get("slug")
        if derived:
            slug = self.default_slug(attrs)
            if not slug:
                # The fields the slug is made from are missing or wrong: say which,
                # rather than that the slug is.
                self.run_model_validation(attrs, exclude=["slug"])
                raise serializers.ValidationError(
                    {"slug": [gettext("Give a slug, or the fields it is made from.")]}
                )
            attrs["slug"] = slug
        try:
            self.run_model_validation(attrs)
        except serializers.ValidationError as error:
            if derived:
                self.drop_consequent_slug_error(error.detail, attrs)
            raise
        return attrs

    def drop_consequent_slug_error(self, errors, attrs):
        """A slug the client did not give is made from other fields (`default_slug()`):
        when one of those is refused, a clash of the slug made from it is a consequence,
        not a second mistake. An AITO model named M9 with a zero-width space inside makes
        aito-m9, the M9's slug: it is refused for the invisible character alone."""
        if not isinstance(errors, dict) or "slug" not in errors:
            return
        slug, names = attrs["slug"], self.api_names()
        for name in attrs:
            rest = {key: value for key, value in attrs.items() if key != name}
            if names.get(name, name) in errors and self.default_slug(rest) != slug:
                del errors["slug"]
                return

    def api_names(self):
        """{model field name: API field name} where the two differ (Source.url is `link`)."""
        return {
            field.source: name
            for name, field in self.fields.items()
            if field.source not in (name, "*") and "." not in field.source
        }

    def run_model_validation(self, attrs, exclude=None):
        """Apply the attributes to the object as it would be saved, and full_clean() it."""
        model = self.Meta.model
        # A copy of the row the view read (and locked) for this write: reading it again
        # would cost a query and give the same values.
        instance = model() if self.instance is None else copy.copy(self.instance)
        many = {field.name for field in model._meta.many_to_many}
        for name, value in attrs.items():
            if name not in many and name not in self.extra_write_fields:
                setattr(instance, name, value)
        try:
            instance.full_clean(exclude=exclude)
        except DjangoValidationError as error:
            raise django_validation_error(error, self.api_names()) from None


class ReferenceSerializer(serializers.Serializer):
    """Records of one kind still referring to a row a delete was refused for."""

    type = serializers.CharField(
        help_text="The kind of record, as app_label.model (e.g. vehicles.vehiclemodel)."
    )
    count = serializers.IntegerField(min_value=1, help_text="How many of them there are.")
    slugs = serializers.ListField(
        child=serializers.CharField(),
        help_text="The first few, by slug (by their own words where they have none).",
    )


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    status = serializers.IntegerField(help_text="The HTTP status code.")
    code = serializers.CharField(help_text="A machine-readable code, e.g. invalid, not_found.")
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field or query parameter ('non_field_errors' for the whole object).",
    )
    references = ReferenceSerializer(
        many=True,
        required=False,
        help_text="On a 409 for a delete other records block: what still refers to the row.",
    )


class SummarySerializer(AnswerSerializer):
    """How a related object is shown inside another (schema component only)."""

    slug = serializers.SlugField()
    name = serializers.CharField()
    url = serializers.URLField(allow_null=True)


class SourceSummarySerializer(AnswerSerializer):
    """How a cited source is shown inside a fact (schema component only)."""

    slug = serializers.SlugField()
    title = serializers.CharField()
    publisher = serializers.CharField()
    published_on = serializers.DateField(allow_null=True)
    link = serializers.URLField(help_text="The source document.")
    url = serializers.URLField(allow_null=True, help_text="This source in the API.")


class SourceSerializer(CatalogSerializer):
    """A published document; `link` is the document, `url` its place in the API."""

    # The model's own `url` is the document; in the API `url` is the resource, as everywhere.
    url = CatalogIdentityField(view_name="source-detail")
    link = strict(serializers.URLField)(
        source="url", max_length=500, help_text="The source document."
    )
    sources = None

    class Meta:
        model = Source
        fields = [
            "url",
            "slug",
            "title",
            "publisher",
            "link",
            "published_on",
            "accessed_on",
            "reliability",
            "note",
            "created",
            "updated",
        ]


class ChangedObjectSerializer(AnswerSerializer):
    """The object a change concerns; rows without a slug (chip fittings) have an empty one,
    and a deleted object has no URL."""

    slug = serializers.CharField(allow_blank=True)
    name = serializers.CharField()
    url = serializers.URLField(allow_null=True)


class ChangeRecordSerializer(serializers.ModelSerializer):
    """One change: what (type and object), how (action, changed fields), who, when, through what."""

    object_type = serializers.SerializerMethodField(
        help_text="app_label.model, e.g. vehicles.brand."
    )
    object = serializers.SerializerMethodField()
    actor = serializers.CharField(source="actor_name", help_text="Username, 'loader', or empty.")

    class Meta:
        model = ChangeRecord
        fields = [
            "id",
            "at",
            "action",
            "channel",
            "object_type",
            "object",
            "actor",
            "changed_fields",
        ]

    def get_object_type(self, record) -> str:
        return f"{record.content_type.app_label}.{record.content_type.model}"

    @extend_schema_field(ChangedObjectSerializer)
    def get_object(self, record):
        url = None
        if record.action != "deleted" and record.object_slug:
            url = url_for(
                record.content_type.model, record.object_slug, self.context.get("request")
            )
        return {"slug": record.object_slug, "name": record.object_repr, "url": url}
