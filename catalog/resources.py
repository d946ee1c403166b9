"""Spreadsheet import and export (django-import-export): the shared plumbing and sources.

One import definition (a Resource) per model, next to its admin. Columns name related
rows by slug, or by their English or Chinese name where that names exactly one row;
months are `YYYY-MM`; sources are a list of slugs. Every row goes through the model's own
validation (`full_clean()`, as the API and the admin do), so the preview shows each
invalid row with the same reason they would give. A whole file is one transaction, and
each change enters the change log with the channel `import`, the user and the file name.
A row identical to the stored one is reported unchanged and not written, so importing
the same file twice changes nothing; an export has the same columns, for a round trip.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.db.models import Q
from import_export import fields, resources, widgets
from import_export.formats.base_formats import CSV, JSON, XLSX

from catalog.history import IMPORT_REASON_PREFIX, record_related_changes
from catalog.models import Source

# The file formats staff import from and export to.
FORMATS = [CSV, XLSX, JSON]
MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
LIST_SEPARATOR = re.compile(r"\s*[,;]\s*")


class RelationWidget(widgets.ForeignKeyWidget):
    """A related row named by its slug, or by its English or Chinese name when that names
    exactly one row; exported as the slug. Lookups are remembered for the import, so a
    column that repeats the same few brands costs one query per brand."""

    def __init__(self, model, names=("name", "name_zh"), **kwargs):
        super().__init__(model, field="slug", **kwargs)
        self.names = [name for name in names if name in {f.name for f in model._meta.fields}]
        self.found = {}

    def clean(self, value, row=None, **kwargs):
        if value is None or str(value).strip() == "":
            return None
        text = str(value).strip()
        if text not in self.found:
            self.found[text] = self.lookup(text)
        return self.found[text]

    def lookup(self, text):
        manager = self.model._default_manager
        label = self.model._meta.verbose_name
        by_slug = manager.filter(slug=text).first()
        if by_slug is not None:
            return by_slug
        condition = Q()
        for name in self.names:
            condition |= Q(**{name: text})
        matches = list(manager.filter(condition)[:2]) if self.names else []
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise ValueError(f"'{text}' names more than one {label}: give its slug.")
        named = " or its English or Chinese name" if self.names else ""
        raise ValueError(f"No {label} '{text}': give its slug{named}.")

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else value.slug


class SlugListWidget(widgets.ManyToManyWidget):
    """Related rows as a list of slugs ("a, b" or "a; b", or a JSON list); an unknown
    slug is an error, not silently dropped."""

    def __init__(self, model, **kwargs):
        super().__init__(model, separator=",", field="slug", **kwargs)

    def clean(self, value, row=None, **kwargs):
        if value is None or value == "":
            return self.model._default_manager.none()
        items = value if isinstance(value, list) else LIST_SEPARATOR.split(str(value).strip())
        slugs = [str(item).strip() for item in items if str(item).strip()]
        found = self.model._default_manager.filter(slug__in=slugs)
        missing = sorted(set(slugs) - {obj.slug for obj in found})
        if missing:
            label = self.model._meta.verbose_name_plural
            raise ValueError(f"No {label} with the slugs {', '.join(missing)}.")
        return found

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return ", ".join(sorted(obj.slug for obj in value.all()))


class MonthWidget(widgets.Widget):
    """A month as `YYYY-MM` (a spreadsheet's date cell on the first of a month is taken
    too), stored as its first day; exported as `YYYY-MM`."""

    def clean(self, value, row=None, **kwargs):
        if value is None or value == "":
            return None
        if isinstance(value, datetime.datetime):
            value = value.date()
        if isinstance(value, datetime.date):
            if value.day != 1:
                raise ValueError("Give a month as YYYY-MM, e.g. 2025-11.")
            return value
        match = MONTH.fullmatch(str(value).strip())
        if match is None:
            raise ValueError("Give a month as YYYY-MM, e.g. 2025-11.")
        try:
            return datetime.date(int(match[1]), int(match[2]), 1)
        except ValueError:
            raise ValueError("Give a month as YYYY-MM, e.g. 2025-11.") from None

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else f"{value:%Y-%m}"


class StrictDateWidget(widgets.DateWidget):
    """A date as YYYY-MM-DD (or a spreadsheet's date cell)."""

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


def relation(attribute, model, **kwargs):
    return fields.Field(attribute=attribute, column_name=attribute, widget=RelationWidget(model))


class ToManyField(fields.Field):
    """A to-many column; a row not saved yet has no related rows to read (and reading
    them would fail)."""

    def get_value(self, obj):
        if obj.pk is None:
            return None
        return super().get_value(obj)


def sources_field():
    return ToManyField(attribute="sources", column_name="sources", widget=SlugListWidget(Source))


class CatalogResource(resources.ModelResource):
    """Rows are matched by slug. With `makes_slug`, a row without a slug gets the one the
    model's rule makes (`make_slug()`, as the API makes it); a row whose slug is stored
    updates that row."""

    makes_slug = False

    class Meta:
        import_id_fields = ["slug"]
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        skip_html_diff = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.file_name = ""

    def before_import(self, dataset, **kwargs):
        self.file_name = kwargs.get("file_name") or ""
        self.rows_by_slug = {}
        # The slug column may be left out altogether when the system makes the slugs.
        if self.makes_slug and "slug" not in (dataset.headers or []):
            dataset.append_col([""] * len(dataset), header="slug")

    def import_instance(self, instance, row, **kwargs):
        """The row's values; a second row of the file for the same fact (the same slug,
        given or made) is refused rather than silently replacing the first."""
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        # To-many cells are written after the row is saved; read them now, so a wrong
        # slug is reported in the preview with the row's other mistakes.
        for field in self.get_import_fields():
            if isinstance(field.widget, widgets.ManyToManyWidget) and field.column_name in row:
                try:
                    field.clean(row, **kwargs)
                except ValueError as error:
                    errors[field.attribute] = [ValidationError(str(error), code="invalid")]
        number = kwargs.get("row_number")
        first = self.rows_by_slug.setdefault(instance.slug, number) if instance.slug else None
        if first is not None and first != number:
            errors["slug"] = [f"Row {first} of this file is already about {instance.slug}."]
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The model's validation, as everywhere; where a cell could not be read, its own
        error stands for the consequences (no slug made, a required relation missing)."""
        unread = set(import_validation_errors or ())
        # Copied now: the merge below appends the model's messages to these lists.
        unread_messages = ValidationError(import_validation_errors).message_dict if unread else {}
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)
        except ValidationError as error:
            if not unread:
                raise
            required = getattr(instance, "one_of_required", ())
            groups = [{*required}] if all(isinstance(n, str) for n in required) else required
            groups = [set(group) for group in groups]
            follows = {name for group in groups if group & unread for name in group} - unread
            if not instance.slug:
                follows.add("slug")
            errors = {}
            for name, messages in error.message_dict.items():
                if name in follows:
                    continue
                if name in unread:
                    messages = unread_messages[name]
                errors[name] = messages
            raise ValidationError(errors) from None

    def before_import_row(self, row, **kwargs):
        if self.makes_slug and not (row.get("slug") or "").strip():
            values = {}
            for field in self.get_import_fields():
                if field.column_name in row and field.attribute not in ("slug", "sources"):
                    try:
                        values[field.attribute] = field.clean(row)
                    except ValueError:
                        return  # the row's own error is reported when it is imported
            slug = self._meta.model.make_slug(values)
            if slug:
                row["slug"] = slug

    def before_save_instance(self, instance, row, **kwargs):
        # The change log's channel and note (catalog.history): imported, from this file.
        instance._change_reason = f"{IMPORT_REASON_PREFIX}{self.file_name}"[:100]

    def export(self, queryset=None, **kwargs):
        if queryset is None:
            queryset = self.get_queryset()
        many = [
            field.attribute
            for field in self.get_export_fields()
            if isinstance(field.widget, widgets.ManyToManyWidget)
        ]
        return super().export(queryset=queryset.prefetch_related(*many), **kwargs)

    def save_m2m(self, instance, row, **kwargs):
        before = {
            field.attribute: set(getattr(instance, field.attribute).values_list("pk", flat=True))
            for field in self.get_import_fields()
            if isinstance(field.widget, widgets.ManyToManyWidget)
        }
        super().save_m2m(instance, row, **kwargs)
        changed = {
            name
            for name, pks in before.items()
            if set(getattr(instance, name).values_list("pk", flat=True)) != pks
        }
        record_related_changes(instance, changed)


class SourceResource(CatalogResource):
    """Sources: slug, title, publisher, link (url), dates, reliability and note."""

    published_on = fields.Field(
        attribute="published_on", column_name="published_on", widget=StrictDateWidget()
    )
    accessed_on = fields.Field(
        attribute="accessed_on", column_name="accessed_on", widget=StrictDateWidget()
    )

    class Meta(CatalogResource.Meta):
        model = Source
        fields = [
            "slug",
            "title",
            "publisher",
            "url",
            "published_on",
            "accessed_on",
            "reliability",
            "note",
        ]
