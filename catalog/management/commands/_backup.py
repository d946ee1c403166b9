"""The catalog as one JSON document linked by slugs, and back.

Every row of every concrete model in the catalog apps is written as
``{"model": "vehicles.brand", "fields": {...}}`` with its foreign keys and many-to-many
links given as the slugs of the rows they point to, never as database ids, so a backup
restores into any database, SQLite or PostgreSQL, empty or freshly migrated.
Rows that have no slug of their own (a company's roles, a vehicle model's chip
fittings) are written inside the row they belong to.

Models come in dependency order (what a row points to comes before it), rows by slug,
lists and keys sorted: the same catalog always gives the same bytes, so
backup -> restore into an empty database -> backup reproduces the file exactly.

Not included: the change history (simple_history tables and the change log; a restore
starts each row's history afresh with "Restored from backup"), and API tokens, users
and permissions, which are credentials and accounts rather than catalog data.
"""

import datetime
import json
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from textwrap import indent
from types import SimpleNamespace

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.models import F
from django.db.models.functions import Collate
from django.utils import timezone
from simple_history.models import HistoricalChanges

from catalog.history import RESTORE_REASON

FORMAT = "smart-vehicle-catalog-backup"
VERSION = 1
BACKUP_APPS = ("catalog", "partners", "vehicles")
# Credentials are not catalog data; a restored catalog keeps the target's own tokens.
# The change log, like the history tables, is this database's past, not the catalog;
# the restore writes its own entries.
EXCLUDED = {"catalog.apitoken", "catalog.changerecord"}
# Slug-less models, written inside their owner: model label -> the foreign key to it.
NESTED = {"partners.companyrole": "company", "vehicles.vehiclemodelchip": "vehicle_model"}


class BackupError(Exception):
    """The backup cannot be written or restored; the message says which row and why."""


@dataclass(frozen=True)
class Shape:
    """How the rows of one model are written: plain values, slug links, nested parts."""

    model: type[models.Model]
    values: tuple  # concrete non-relational fields except the id
    links: tuple  # foreign keys, written as the target's slug
    many: tuple  # many-to-many fields, written as a sorted list of slugs
    parts: tuple = ()  # (key, owner foreign key, Shape) of nested slug-less rows

    @property
    def label(self):
        return self.model._meta.label_lower

    def self_links(self):
        return [link for link in self.links if link.related_model is self.model]


def shape_of(model, *, owner=None):
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    many = []
    for field in model._meta.many_to_many:
        through = field.remote_field.through
        if not through._meta.auto_created:
            if through._meta.label_lower not in NESTED:
                raise BackupError(f"{model._meta.label}.{field.name}: unknown through model.")
            continue  # written as that model's nested rows
        many.append(field)
    return Shape(
        model=model,
        values=tuple(field for field in fields if not field.is_relation),
        links=tuple(field for field in fields if field.is_relation and field is not owner),
        many=tuple(many),
    )


def catalog_models():
    """Every concrete model the backup covers, history tables and credentials left out."""
    for app_label in BACKUP_APPS:
        for model in apps.get_app_config(app_label).get_models():
            if issubclass(model, HistoricalChanges) or model._meta.label_lower in EXCLUDED:
                continue
            yield model


def catalog_shapes():
    """The shape of every top-level model, in dependency order."""
    top, parts = {}, {}
    for model in catalog_models():
        label = model._meta.label_lower
        if label in NESTED:
            owner = model._meta.get_field(NESTED[label])
            parts.setdefault(owner.related_model, []).append(
                (owner.remote_field.get_accessor_name(), owner, shape_of(model, owner=owner))
            )
            continue
        slug = next((f for f in model._meta.concrete_fields if f.name == "slug"), None)
        if slug is None or not slug.unique:
            raise BackupError(
                f"{model._meta.label} has no unique slug and no owner in NESTED; "
                "say in catalog/management/commands/_backup.py how to write it."
            )
        top[model] = shape_of(model)
    for model, model_parts in parts.items():
        model_parts.sort(key=lambda part: part[0])
        top[model] = Shape(**{**vars(top[model]), "parts": tuple(model_parts)})
    return dependency_order(top)


def targets(shape):
    found = {field.related_model for field in (*shape.links, *shape.many)}
    for _, _, part in shape.parts:
        found |= targets(part)
    return found - {shape.model}


def dependency_order(shapes):
    """Models sorted so that each comes after every model it links to; ties by label."""
    ordered, done = [], set()
    pending = sorted(shapes.values(), key=lambda shape: shape.label)
    for shape in pending:
        unknown = targets(shape) - shapes.keys()
        if unknown:
            names = ", ".join(sorted(model._meta.label for model in unknown))
            raise BackupError(f"{shape.model._meta.label} links to {names}, not in the backup.")
    while pending:
        ready = [shape for shape in pending if targets(shape) <= done]
        if not ready:
            raise BackupError("The catalog models link to each other in a cycle.")
        ordered.append(ready[0])
        done.add(ready[0].model)
        pending.remove(ready[0])
    return ordered


# -- writing ---------------------------------------------------------------------------


def encode(field, value):
    """A field's value, as read with values(), as JSON: the same whichever database it
    was read from."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date | Decimal):
        return str(value)
    return field.value_to_string(SimpleNamespace(**{field.attname: value}))


def slug_order():
    """Rows by slug in code-point order, Python's order for strings, on any database."""
    if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        return Collate("slug", "C")
    return F("slug")  # SQLite compares text byte by byte: UTF-8's order is code points'


class Writer:
    """Reads the catalog model by model in slug order, CHUNK rows at a time: each chunk's
    links and nested parts with one query per link table and part, so memory holds a
    chunk, not a table."""

    CHUNK = 2000

    def __init__(self):
        self.slug_maps = {}

    def slugs(self, model):
        if model not in self.slug_maps:
            self.slug_maps[model] = dict(model._base_manager.values_list("pk", "slug"))
        return self.slug_maps[model]

    def columns(self, shape):
        return ["pk", *(field.attname for field in (*shape.values, *shape.links))]

    def entries(self, shape):
        """The model's rows as fields, parts included, in slug order."""
        records = (
            shape.model._base_manager.order_by(slug_order())
            .values_list(*self.columns(shape))
            .iterator(chunk_size=self.CHUNK)
        )
        while chunk := list(islice(records, self.CHUNK)):
            yield from self.rows(shape, chunk).values()

    def rows(self, shape, records):
        """{pk: fields} for these rows ((pk, *values, *links) tuples), parts included."""
        rows = {}
        split = len(shape.values)
        for pk, *values in records:
            plain, links = values[:split], values[split:]
            row = {
                field.name: encode(field, value)
                for field, value in zip(shape.values, plain, strict=True)
            }
            for link, target_id in zip(shape.links, links, strict=True):
                row[link.name] = (
                    None if target_id is None else self.slugs(link.related_model)[target_id]
                )
            rows[pk] = row
        for field in shape.many:
            through = field.remote_field.through
            owner = field.m2m_field_name()
            target_slugs = self.slugs(field.related_model)
            for row in rows.values():
                row[field.name] = []
            pairs = through._base_manager.filter(**{f"{owner}__in": list(rows)}).values_list(
                owner, field.m2m_reverse_field_name()
            )
            for owner_id, target_id in pairs:
                rows[owner_id][field.name].append(target_slugs[target_id])
            for row in rows.values():
                row[field.name].sort()
        for key, owner, part in shape.parts:
            for row in rows.values():
                row[key] = []
            for owner_id, part_row in self.part_rows(part, owner, list(rows)):
                rows[owner_id][key].append(part_row)
            for row in rows.values():
                row[key].sort(key=lambda item: json.dumps(item, sort_keys=True))
        return rows

    def part_rows(self, part, owner, owner_ids):
        records = part.model._base_manager.filter(**{f"{owner.name}__in": owner_ids})
        records = list(records.values_list(owner.attname, *self.columns(part)))
        part_rows = self.rows(part, [record[1:] for record in records])
        return [(record[0], part_rows[record[1]]) for record in records]


@contextmanager
def snapshot():
    """One transaction; on PostgreSQL a repeatable-read snapshot, so rows written while
    the backup runs cannot leave it pointing at rows it does not contain."""
    connection = connections[DEFAULT_DB_ALIAS]
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def write_catalog(out):
    """Write the whole catalog to `out` (a text file) as it is read; return the row count.

    The text is what json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True)
    gives for the whole document {"format", "rows", "version"}, plus a newline: sorted
    keys, Chinese names as written, one value per line; one row at a time is held."""
    shapes = catalog_shapes()  # a model the backup cannot write fails before any output
    count = 0
    with snapshot():
        writer = Writer()
        out.write("{\n" + f' "format": {dumps(FORMAT)},\n "rows": [')
        for shape in shapes:
            for fields in writer.entries(shape):
                out.write(",\n" if count else "\n")
                out.write(indent(dumps({"model": shape.label, "fields": fields}), "  "))
                count += 1
        out.write(("\n ]" if count else "]") + f',\n "version": {dumps(VERSION)}\n' + "}\n")
    return count


def dumps(value):
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)


# -- restoring -------------------------------------------------------------------------


def catalog_is_empty(shapes):
    return not any(shape.model._base_manager.exists() for shape in shapes)


def clear_catalog(shapes):
    """Delete every catalog row, dependants first (history records the deletions)."""
    for shape in reversed(shapes):
        if shape.self_links():
            # Protected self-links (a company's parent) would block deleting the table.
            shape.model._base_manager.update(**{link.name: None for link in shape.self_links()})
        shape.model._base_manager.all().delete()


@contextmanager
def stored_timestamps(shapes):
    """Keep the backup's created/updated instead of stamping the restore's time."""
    fields = [
        field
        for shape in shapes
        for model in (shape.model, *(part.model for _, _, part in shape.parts))
        for field in model._meta.concrete_fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    saved = [(field, field.auto_now, field.auto_now_add) for field in fields]
    for field in fields:
        field.auto_now = field.auto_now_add = False
    try:
        yield set(fields)
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def parents_first(rows, self_links):
    """Order a table's rows so that a row's parent (a self-link) is stored before it."""
    if not self_links:
        return rows
    by_slug = {row["slug"]: row for row in rows}
    ordered, placed, visiting = [], set(), set()

    def place(row):
        slug = row["slug"]
        if slug in placed:
            return
        if slug in visiting:
            raise BackupError(f"{slug!r} is its own ancestor through {self_links[0].name}.")
        visiting.add(slug)
        for link in self_links:
            parent = by_slug.get(row.get(link.name))
            if parent is not None:
                place(parent)
        visiting.discard(slug)
        placed.add(slug)
        ordered.append(row)

    for row in rows:
        place(row)
    return ordered


class Reader:
    """Stores rows model by model, resolving slugs to the ids just created."""

    def __init__(self, timestamps):
        self.ids = {}  # model -> {slug: pk}
        self.timestamps = timestamps  # created/updated fields, stamped now when missing

    def target_id(self, shape, where, link, slug):
        if slug is None:
            return None
        try:
            return self.ids[link.related_model][slug]
        except KeyError:
            target = link.related_model._meta.label_lower
            raise BackupError(
                f"{where}: {link.name} {slug!r} is not a {target} in the backup."
            ) from None

    def build(self, shape, fields, where, **preset):
        """An unsaved instance from a row's fields; many-to-many and parts come after."""
        known = {f.name for f in (*shape.values, *shape.links, *shape.many)}
        known |= {key for key, _, _ in shape.parts}
        unknown = sorted(set(fields) - known)
        if unknown:
            raise BackupError(f"{where}: unknown field(s) {', '.join(unknown)}.")
        obj = shape.model(**preset)
        for field in shape.values:
            if field.name not in fields and field in self.timestamps:
                setattr(obj, field.attname, timezone.now())
            elif field.name in fields:
                try:
                    setattr(obj, field.attname, field.to_python(fields[field.name]))
                except ValidationError as error:
                    raise BackupError(
                        f"{where}: {field.name}: {' '.join(error.messages)}"
                    ) from None
        for link in shape.links:
            if link.name in fields:
                setattr(obj, link.attname, self.target_id(shape, where, link, fields[link.name]))
        try:
            # Links were resolved above; the database checks them and the constraints.
            obj.full_clean(
                exclude=[f.name for f in shape.model._meta.concrete_fields if f.is_relation],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as error:
            raise BackupError(f"{where}: {'; '.join(error.messages)}") from None
        return obj

    def save(self, obj, where):
        obj._change_reason = RESTORE_REASON
        try:
            obj.save(force_insert=True)
        except DatabaseError as error:
            raise BackupError(f"{where}: the database refused it: {error}") from None

    def link_many(self, shape, obj, fields, where):
        """Link the row just stored; the change log names each relation given (catalog.history)."""
        for field in shape.many:
            slugs = fields.get(field.name) or []
            getattr(obj, field.name).add(
                *(self.target_id(shape, where, field, slug) for slug in slugs)
            )

    def restore(self, shape, rows):
        self.ids[shape.model] = {}
        for fields in parents_first(rows, shape.self_links()):
            where = f"{shape.label} {fields.get('slug')!r}"
            if fields.get("slug") in self.ids[shape.model]:
                raise BackupError(f"{where} appears twice.")
            obj = self.build(shape, fields, where)
            self.save(obj, where)
            self.ids[shape.model][obj.slug] = obj.pk
            self.link_many(shape, obj, fields, where)
            for key, owner, part in shape.parts:
                for number, part_fields in enumerate(fields.get(key) or [], start=1):
                    part_where = f"{where} {key} #{number}"
                    part_obj = self.build(part, part_fields, part_where, **{owner.attname: obj.pk})
                    self.save(part_obj, part_where)
                    self.link_many(part, part_obj, part_fields, part_where)
        return len(rows)


def restore_catalog(document, *, force=False):
    """Store a backup's rows in one transaction; returns {model label: rows}.

    Refuses a database that already holds catalog rows unless `force`, which deletes
    them first (in the same transaction, so a failed restore leaves them in place).
    """
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupError(f"Not a catalog backup (expected format {FORMAT!r}).")
    if document.get("version") != VERSION:
        raise BackupError(f"Backup version {document.get('version')!r}; this code reads {VERSION}.")
    shapes = catalog_shapes()
    by_label = {shape.label: [] for shape in shapes}
    for number, entry in enumerate(document.get("rows") or [], start=1):
        label = entry.get("model") if isinstance(entry, dict) else None
        if label not in by_label or not isinstance(entry.get("fields"), dict):
            raise BackupError(f"Row {number}: unknown model {label!r} or no fields.")
        by_label[label].append(entry["fields"])
    counts = {}
    with transaction.atomic():
        if not catalog_is_empty(shapes):
            if not force:
                raise BackupError(
                    "The database already holds a catalog; restore into an empty "
                    "database, or give --force to replace it."
                )
            clear_catalog(shapes)
        with stored_timestamps(shapes) as timestamps:
            reader = Reader(timestamps)
            for shape in shapes:
                counts[shape.label] = reader.restore(shape, by_label[shape.label])
    return counts
