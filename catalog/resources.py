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
import operator
import re
import sqlite3
from functools import reduce

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from import_export import fields, resources, widgets
from import_export.formats.base_formats import CSV, JSON, XLSX

from catalog import values
from catalog.history import IMPORT_REASON_PREFIX, record_written
from catalog.models import Source
from catalog.renderers import FORMULA_PREFIXES, spreadsheet_safe
from catalog.validation import RowsValidator, field_values

# The file formats staff import from and export to.
FORMATS = [CSV, XLSX, JSON]
MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
LIST_SEPARATOR = re.compile(r"\s*[,;]\s*")


def parameters_limit(using=DEFAULT_DB_ALIAS):
    """How many values one query may carry: SQLite's own limit (Django assumes 999, the
    default of SQLite before 3.32), or None where there is none to mind."""
    connection = connections[using]
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return connection.features.max_query_params


def batches(values, size):
    """`values` in lists of at most `size` (all at once when size is None)."""
    values = list(values)
    size = size or len(values) or 1
    return [values[start : start + size] for start in range(0, len(values), size)]


def cell_text(value):
    return "" if value is None else str(value).strip()


class RelationWidget(widgets.ForeignKeyWidget):
    """A related row named by its slug, or by its English or Chinese name when that names
    exactly one row; exported as the slug. The resource reads a whole column before the
    rows (`read()`): one query per related model, with `prefetch` (relations the model's
    validation reads), so rows cost no query each."""

    def __init__(self, model, names=("name", "name_zh"), prefetch=(), **kwargs):
        super().__init__(model, field="slug", **kwargs)
        self.names = [name for name in names if name in {f.name for f in model._meta.fields}]
        self.prefetch = list(prefetch)
        # Cell text -> the row it names, or the ValueError that says why it names none.
        self.found = {}

    def read(self, cells):
        """Look up every cell of a column not looked up yet, with one query."""
        texts = {cell_text(cell) for cell in cells} - {""} - set(self.found)
        if not texts:
            return
        manager = self.model._default_manager
        rows = []
        for chunk in batches(texts, (parameters_limit() or 0) // (1 + len(self.names)) or None):
            condition = Q(slug__in=chunk)
            for name in self.names:
                condition |= Q(**{f"{name}__in": chunk})
            rows += manager.filter(condition).prefetch_related(*self.prefetch)
        by_slug = {row.slug: row for row in rows}
        label = self.model._meta.verbose_name
        for text in texts:
            named = [row for row in rows if any(getattr(row, n) == text for n in self.names)]
            if text in by_slug:
                self.found[text] = by_slug[text]
            elif len(named) == 1:
                self.found[text] = named[0]
            elif named:
                self.found[text] = ValueError(
                    gettext("'%(text)s' names more than one %(label)s: give its slug.")
                    % {"text": text, "label": label}
                )
            elif self.names:
                self.found[text] = ValueError(
                    gettext(
                        "No %(label)s '%(text)s': give its slug or its English or Chinese name."
                    )
                    % {"label": label, "text": text}
                )
            else:
                self.found[text] = ValueError(
                    gettext("No %(label)s '%(text)s': give its slug.")
                    % {"label": label, "text": text}
                )

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return None
        if text not in self.found:
            self.read([text])
        found = self.found[text]
        if isinstance(found, ValueError):
            raise found
        return found

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else value.slug


class SlugListWidget(widgets.ManyToManyWidget):
    """Related rows as a list of slugs ("a, b" or "a; b", or a JSON list); an unknown
    slug is an error, not silently dropped. Like RelationWidget, a whole column is read
    with one query (`read()`)."""

    def __init__(self, model, **kwargs):
        super().__init__(model, separator=",", field="slug", **kwargs)
        self.found = {}

    @staticmethod
    def slugs(value):
        if value is None or value == "":
            return []
        items = value if isinstance(value, list) else LIST_SEPARATOR.split(str(value).strip())
        return [str(item).strip() for item in items if str(item).strip()]

    def read(self, cells):
        wanted = {slug for cell in cells for slug in self.slugs(cell)} - set(self.found)
        for chunk in batches(wanted, parameters_limit()):
            for row in self.model._default_manager.filter(slug__in=chunk):
                self.found[row.slug] = row
        for slug in wanted:
            self.found.setdefault(slug, None)

    def clean(self, value, row=None, **kwargs):
        """The rows named, in the order given."""
        slugs = self.slugs(value)
        if set(slugs) - set(self.found):
            self.read([value])
        missing = sorted({slug for slug in slugs if self.found[slug] is None})
        if missing:
            label = self.model._meta.verbose_name_plural
            raise ValueError(
                gettext("No %(label)s with the slugs %(slugs)s.")
                % {"label": label, "slugs": ", ".join(missing)}
            )
        return list({slug: self.found[slug] for slug in slugs}.values())

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
                raise ValueError(gettext("Give a month as YYYY-MM, e.g. 2025-11."))
            return value
        match = MONTH.fullmatch(str(value).strip())
        if match is None:
            raise ValueError(gettext("Give a month as YYYY-MM, e.g. 2025-11."))
        try:
            return datetime.date(int(match[1]), int(match[2]), 1)
        except ValueError:
            raise ValueError(gettext("Give a month as YYYY-MM, e.g. 2025-11.")) from None

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else f"{value:%Y-%m}"


class StrictDateWidget(widgets.DateWidget):
    """A date as YYYY-MM-DD (or a spreadsheet's date cell, which openpyxl reads as a
    datetime: its date, so an XLSX round trip leaves the row unchanged)."""

    def __init__(self):
        super().__init__(format="%Y-%m-%d")

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime.datetime):
            value = value.date()
        return super().clean(value, row, **kwargs)


class TextWidget(widgets.CharWidget):
    """Text; an empty spreadsheet cell (None from XLSX) is empty text, as in a CSV (None
    met the database's NOT NULL: an XLSX export could not be imported back)."""

    def clean(self, value, row=None, **kwargs):
        return "" if value is None else super().clean(value, row, **kwargs)


def relation(attribute, model, prefetch=()):
    """A column naming a related row (see RelationWidget)."""
    widget = RelationWidget(model, prefetch=prefetch)
    return fields.Field(attribute=attribute, column_name=attribute, widget=widget)


class ToManyField(fields.Field):
    """A to-many column; a row not saved yet has no related rows to read (and reading
    them would fail)."""

    def get_value(self, obj):
        if obj.pk is None:
            return None
        return super().get_value(obj)


def sources_field():
    return ToManyField(attribute="sources", column_name="sources", widget=SlugListWidget(Source))


def number_cell(value, parse):
    """A cell's number as the API reads one (catalog.values: ASCII digits, no exponent,
    separators or spaces). A spreadsheet's own number arrives as int or float: a float
    is taken by its shortest spelling (12.0 is 12). Bad text is a ValueError naming it,
    shown on the row in the preview."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = repr(value)
    try:
        return parse(value)
    except ValidationError as error:
        raise ValueError(f"{str(value)[:40]!r}: {error.messages[0]}") from None


class WholeNumberWidget(widgets.IntegerWidget):
    """A whole number, refused rather than cut (import-export read 12.9 as 12, and
    full-width digits as ASCII ones; 'abc' failed with a traceback)."""

    def clean(self, value, row=None, **kwargs):
        if self.is_empty(value):
            return None
        return number_cell(value, values.parse_integer)


class StrictDecimalWidget(widgets.DecimalWidget):
    """A decimal number as the API reads one (see number_cell)."""

    def clean(self, value, row=None, **kwargs):
        if self.is_empty(value):
            return None
        return number_cell(value, values.parse_decimal)


class CatalogResource(resources.ModelResource):
    """Rows are matched by slug. With `makes_slug`, a row without a slug gets the one the
    model's rule makes (`make_slug()`, as the API makes it); a row whose slug is stored
    updates that row.

    A file costs a fixed number of queries, however many rows it has: before the rows,
    each column of related rows is read with one query (RelationWidget, SlugListWidget)
    and the stored rows the file may change or clash with with another; each row is then
    validated by catalog.validation (full_clean()'s rules without its per-row queries)
    and the rows are written in bulk with their history, change records and to-many
    relations (write_in_bulk(); one query per batch of rows, as the database's limit on
    parameters allows). Any invalid row rolls the whole file back, even at the confirm
    step, and the database's constraints stand behind it all in that transaction."""

    WIDGETS_MAP = {
        **resources.ModelResource.WIDGETS_MAP,
        **dict.fromkeys(
            (
                "IntegerField",
                "PositiveIntegerField",
                "BigIntegerField",
                "PositiveBigIntegerField",
                "PositiveSmallIntegerField",
                "SmallIntegerField",
            ),
            WholeNumberWidget,
        ),
        "DecimalField": StrictDecimalWidget,
        "CharField": TextWidget,
        "TextField": TextWidget,
    }

    makes_slug = False

    class Meta:
        import_id_fields = ["slug"]
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        # Rows are compared with the values read before the import (skip_row()), not
        # with a copy of each; the preview gives what each row does, and the counts.
        skip_diff = True
        skip_html_diff = True
        use_bulk = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.file_name = ""
        self.user = None
        self.writes = False  # an import that writes reads the stored rows locked

    def import_data(self, dataset, dry_run=False, **kwargs):
        # All or nothing: a row found invalid at the confirm step rolls back the others.
        kwargs.setdefault("rollback_on_validation_errors", True)
        self.writes = not dry_run  # a preview does not lock (read_stored)
        return super().import_data(dataset, dry_run=dry_run, **kwargs)

    def before_import(self, dataset, **kwargs):
        self.file_name = kwargs.get("file_name") or ""
        self.user = kwargs.get("user")
        self.rows_by_slug = {}
        # The slug column may be left out altogether when the system makes the slugs.
        if self.makes_slug and "slug" not in (dataset.headers or []):
            dataset.append_col([""] * len(dataset), header="slug")
        headers = set(dataset.headers or ())
        for field in self.get_import_fields():
            if field.column_name in headers and hasattr(field.widget, "read"):
                field.widget.read(dataset[field.column_name])
        self.read_stored(self.cleaned_rows(dataset))

    def cleaned_rows(self, dataset):
        """Each row's readable values by attribute (a cell in error is left out), with the
        slug the model makes where the file gives none, written into the file too."""
        columns = [
            field
            for field in self.get_import_fields()
            if field.column_name in (dataset.headers or ())
            and field.attribute
            and not isinstance(field.widget, widgets.ManyToManyWidget)
        ]
        slug_column = dataset.headers.index("slug") if "slug" in (dataset.headers or ()) else None
        cleaned = []
        for number, data in enumerate(dataset):
            row = dict(zip(dataset.headers, data, strict=True))
            values, unread = {}, False
            for field in columns:
                try:
                    values[field.attribute] = field.clean(row)
                except (ValueError, ValidationError):
                    unread = True
            if self.makes_slug and not cell_text(row.get("slug")) and not unread:
                values["slug"] = self._meta.model.make_slug(values)
                if values["slug"] and slug_column is not None:
                    dataset[number] = [
                        *data[:slug_column],
                        values["slug"],
                        *data[slug_column + 1 :],
                    ]
            cleaned.append(values)
        return cleaned

    def read_stored(self, rows):
        """Read the stored rows the file may update (by slug) or clash with (by a unique
        value), one query for all, and remember their values before the import."""
        model = self._meta.model
        self.validator = RowsValidator(model)
        rules = [["slug"], *self.validator.unique_fields()]
        conditions = []  # (condition, how many values it carries)
        limit = parameters_limit()
        for names in rules:
            known = [name for name in names if any(name in row for row in rows)]
            if len(known) < len(names):
                continue
            values = {
                name: {row[name] for row in rows if row.get(name) is not None} for name in names
            }
            longest = max(names, key=lambda name: len(values[name]))
            rest = sum(len(values[name]) for name in names if name != longest)
            for chunk in batches(values[longest], limit and max(1, limit - rest)):
                lookups = {f"{name}__in": values[name] for name in names}
                lookups[f"{longest}__in"] = chunk
                conditions.append((Q(**lookups), rest + len(chunk)))
        relations = [f.name for f in model._meta.concrete_fields if f.many_to_one]
        many = [f.attribute for f in self.get_import_fields() if self.is_many(f)]
        queries, carried = [[]], 0
        for condition, count in conditions:
            if limit and queries[-1] and carried + count > limit:
                queries.append([])
                carried = 0
            queries[-1].append(condition)
            carried += count
        queryset = self.get_queryset()
        if self.writes and transaction.get_connection().in_atomic_block:
            # Locked for the import's transaction: a row someone deletes meanwhile is
            # found gone (and made again from the file), not updated unseen, and one
            # changed meanwhile is compared as it now is.
            queryset = queryset.select_for_update(of=("self",))
        stored = []
        for query in filter(None, queries):
            stored += (
                queryset.filter(reduce(operator.or_, query))
                .select_related(*relations)
                .prefetch_related(*many)
            )
        stored = list({row.pk: row for row in stored}.values())
        self.stored = {row.slug: row for row in stored}
        self.stored_values = {row.pk: field_values(row) for row in stored}
        self.stored_related = {
            row.pk: {name: {other.pk for other in getattr(row, name).all()} for name in many}
            for row in stored
        }
        for row in stored:
            self.validator.accept(row)

    @staticmethod
    def is_many(field):
        return isinstance(field.widget, widgets.ManyToManyWidget)

    def get_instance(self, instance_loader, row):
        """The stored row with the row's slug, read for the whole file in read_stored()."""
        if "slug" not in row:
            return None
        return self.stored.get(self.fields["slug"].clean(row))

    def export_field(self, field, instance, **kwargs):
        """A cell a spreadsheet would run as a formula is quoted (a leading apostrophe),
        as in every CSV answer of the API; import_row takes the quote off again."""
        value = super().export_field(field, instance, **kwargs)
        return spreadsheet_safe(value) if isinstance(value, str) else value

    def import_row(self, row, instance_loader, **kwargs):
        for name, value in list(row.items()):
            quoted = isinstance(value, str) and value.startswith("'")
            if quoted and value[1:].startswith(FORMULA_PREFIXES):
                row[name] = value[1:]
        return super().import_row(row, instance_loader, **kwargs)

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
        instance._imported_related = {}
        for field in self.get_import_fields():
            if self.is_many(field) and field.column_name in row:
                try:
                    instance._imported_related[field.attribute] = field.clean(row, **kwargs)
                except ValueError as error:
                    errors[field.attribute] = [ValidationError(str(error), code="invalid")]
        number = kwargs.get("row_number")
        first = self.rows_by_slug.setdefault(instance.slug, number) if instance.slug else None
        if first is not None and first != number:
            errors["slug"] = [
                gettext("Row %(row)s of this file is already about %(slug)s.")
                % {"row": first, "slug": instance.slug}
            ]
        if errors:
            raise ValidationError(errors)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        """A stored row whose values and to-many cells are those stored is unchanged."""
        if import_validation_errors or instance._state.adding:
            return False
        if field_values(instance) != self.stored_values[instance.pk]:
            return False
        stored = self.stored_related[instance.pk]
        return all(
            {other.pk for other in related} == stored[name]
            for name, related in instance._imported_related.items()
        )

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The model's validation, as everywhere (catalog.validation); where a cell could
        not be read, its own error stands for the consequences (no slug made, a required
        relation missing)."""
        own = dict(import_validation_errors or {})
        found = {}
        try:
            self.validator.full_clean(instance, exclude=set(own))
        except ValidationError as error:
            if not own:
                raise
            found = error.message_dict
        if not own:
            return
        required = getattr(instance, "one_of_required", ())
        groups = [{*required}] if all(isinstance(n, str) for n in required) else required
        groups = [set(group) for group in groups]
        follows = {name for group in groups if group & set(own) for name in group} - set(own)
        if not instance.slug:
            follows.add("slug")
        errors = {**ValidationError(own).message_dict}
        errors.update((name, messages) for name, messages in found.items() if name not in own)
        raise ValidationError(
            {name: messages for name, messages in errors.items() if name not in follows}
        )

    def after_import_row(self, row, row_result, **kwargs):
        # The preview shows each row as read (with the slug made for it), not a diff.
        row_result.diff = [cell_text(row.get(name)) for name in self.get_diff_headers()]

    def before_save_instance(self, instance, row, **kwargs):
        # Later rows of the file are checked against this one (catalog.validation).
        self.validator.accept(instance, previous=self.stored_values.get(instance.pk))
        # The change log's channel and note (catalog.history): imported, from this file.
        instance._change_reason = f"{IMPORT_REASON_PREFIX}{self.file_name}"[:100]

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        # Changed rows first: a change may free a value (a month) that a new row takes.
        args = (using_transactions, dry_run, raise_errors, result)
        self.write_in_bulk(self.update_instances, False, *args)
        self.write_in_bulk(self.create_instances, True, *args)

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        args = (using_transactions, dry_run, raise_errors, result)
        self.write_in_bulk(self.update_instances, False, *args)

    def write_in_bulk(self, instances, created, using_transactions, dry_run, raise_errors, result):
        """Write a batch of new (or changed) rows, then their to-many relations, history
        and change records, each with one query per batch. A database error (a constraint
        or trigger) fails the whole import, which is then rolled back."""
        if not instances or (dry_run and not using_transactions):
            instances.clear()
            return
        model = self._meta.model
        try:
            now = timezone.now()
            if created:
                model._default_manager.bulk_create(instances)
            else:
                written = []
                for field in model._meta.concrete_fields:
                    if getattr(field, "auto_now", False):
                        for instance in instances:
                            setattr(instance, field.attname, now)
                    if not field.primary_key and not getattr(field, "auto_now_add", False):
                        written.append(field.name)
                if self.validator.takes_over(instances, self.stored_values):
                    # One changed row takes a value another held (a figure moves to the
                    # month another left): one statement each, in the file's order, as
                    # the rows were validated; at once, the unique index could refuse.
                    for instance in instances:
                        values = {name: getattr(instance, name) for name in written}
                        model._default_manager.filter(pk=instance.pk).update(**values)
                else:
                    model._default_manager.bulk_update(instances, written)
            related = self.write_related(instances)
            if hasattr(model, "history"):
                history = model.history.bulk_history_create(
                    instances, update=not created, default_user=self.user, default_date=now
                )
                record_written(instances, history, previous=self.stored_values, related=related)
        except Exception as error:
            self.handle_import_error(result, error, raise_errors)
        finally:
            instances.clear()

    def write_related(self, instances):
        """The to-many cells of rows just written: links removed with one query per
        relation and added with another (per batch); {pk: names of the relations that
        changed}, for the change log."""
        changed = {}
        limit = parameters_limit()
        for name in {name for instance in instances for name in instance._imported_related}:
            field = self._meta.model._meta.get_field(name)
            through = field.remote_field.through
            own, other = f"{field.m2m_field_name()}_id", f"{field.m2m_reverse_field_name()}_id"
            added, removed = [], []
            for instance in instances:
                if name not in instance._imported_related:
                    continue
                wanted = {row.pk for row in instance._imported_related[name]}
                stored = self.stored_related.get(instance.pk, {}).get(name, set())
                if wanted == stored:
                    continue
                changed.setdefault(instance.pk, set()).add(name)
                added += [through(**{own: instance.pk, other: pk}) for pk in wanted - stored]
                removed += [Q(**{own: instance.pk, other: pk}) for pk in stored - wanted]
            for chunk in batches(removed, limit and limit // 2):
                through._default_manager.filter(reduce(operator.or_, chunk)).delete()
            through._default_manager.bulk_create(added)
        return changed

    def export(self, queryset=None, **kwargs):
        if queryset is None:
            queryset = self.get_queryset()
        many = [field.attribute for field in self.get_export_fields() if self.is_many(field)]
        return super().export(queryset=queryset.prefetch_related(*many), **kwargs)

    def save_m2m(self, instance, row, **kwargs):
        """Rows saved one by one (a resource without use_bulk): their to-many cells."""
        if self._meta.use_bulk:
            return  # written with the batch, by write_related()
        super().save_m2m(instance, row, **kwargs)


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
