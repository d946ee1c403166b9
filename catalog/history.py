"""Turns every django-simple-history record into a ChangeRecord (the /changes/ log).

The actor is the request's user (for the API, the token's owner: DRF sets it on the
underlying request), or 'loader' for the seed loader; the channel comes from the
request path. Changed fields are the difference from the previous history record.

To-many relations (sources, a stack's compute chips, company roles, a vehicle model's
chips) are written beside the row, so history cannot see them. One receiver names them,
whoever writes (the API, the admin, an import, the loader, the restore): connected by
connect_to_many() to every to-many relation of every model with history, it adds the
relation to the change record of the row's current save, as NetBox merges many-to-many
changes into the request's change record (netbox/core/signals.py). No writer has to
remember to log them; a writer saves the row, then its relations, or, when only
relations change, writes them and then saves the row (see related_changed()). Rows
written in bulk (bulk_create, an import's batches) send no signals: their writer names
the relations itself (record_written()).
"""

from dataclasses import dataclass

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record

from catalog.models import ChangeAction, ChangeChannel, ChangeRecord

LOADER_REASON = "Loaded from fixtures"
RESTORE_REASON = "Restored from backup"
# An import's rows carry this reason followed by the file's name (catalog.resources).
IMPORT_REASON_PREFIX = "Imported from "
# Writes by a command rather than a person: the command is the actor.
COMMAND_CHANNELS = {LOADER_REASON: ChangeChannel.LOADER, RESTORE_REASON: ChangeChannel.RESTORE}
ACTIONS = {"+": ChangeAction.CREATED, "~": ChangeAction.CHANGED, "-": ChangeAction.DELETED}
SKIPPED_FIELDS = {"created", "updated"}


def tracked_fields(model):
    """The fields whose changes the log names (not the key, not the timestamps)."""
    return [
        field
        for field in model._meta.fields
        if field.name not in SKIPPED_FIELDS and not field.primary_key
    ]


def api_names(model, names):
    """The log speaks the API's names where they differ from the model's (Source.url is
    the API's `link`)."""
    api_name = getattr(model, "API_FIELD_NAMES", {}).get
    return [api_name(name, name) for name in names]


def changed_fields(history_instance):
    if history_instance.history_type == "-":
        return []
    model = history_instance.instance_type
    fields = tracked_fields(model)
    previous = history_instance.prev_record if history_instance.history_type == "~" else None
    if previous is None:
        # A relation by its key column: reading the related row would cost a query each.
        given = [
            field.name
            for field in fields
            if getattr(history_instance, field.attname) not in (None, "")
        ]
        return api_names(model, given)
    tracked = [field.name for field in fields]
    delta = history_instance.diff_against(previous, included_fields=tracked)
    return sorted(api_names(model, [change.field for change in delta.changes]))


def channel_of(request, reason):
    if reason in COMMAND_CHANNELS:
        return COMMAND_CHANNELS[reason]
    if reason and reason.startswith(IMPORT_REASON_PREFIX):
        return ChangeChannel.IMPORT
    path = getattr(request, "path", "") if request is not None else ""
    if path.startswith("/api/"):
        return ChangeChannel.API
    if path.startswith("/admin/"):
        return ChangeChannel.ADMIN
    return ChangeChannel.OTHER


def command_actor(channel):
    return channel if channel in COMMAND_CHANNELS.values() else ""


@receiver(post_create_historical_record)
def record_change(sender, instance, history_instance, history_user=None, **kwargs):
    changed = changed_fields(history_instance)
    # Relations written just before this save, which records them (related_changed()).
    pending = instance.__dict__.pop("_related_changed", None)
    if pending:
        changed = sorted({*changed, *pending})
    record = change_record(instance, history_instance, changed)
    record.save()
    # Relations written after this save, on this object, are named on this record.
    remember_until_commit(instance, "_change_record", record)


def change_record(instance, history_instance, changed):
    """The (unsaved) change record of one history record of `instance`."""
    request = getattr(HistoricalRecords.context, "request", None)
    channel = channel_of(request, history_instance.history_change_reason)
    history_user = history_instance.history_user
    user = history_user if getattr(history_user, "is_authenticated", False) else None
    return ChangeRecord(
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_id=instance.pk,
        object_slug=getattr(instance, "slug", "") or "",
        object_repr=str(instance)[:200],
        action=ACTIONS[history_instance.history_type],
        changed_fields=changed,
        actor=user,
        actor_name=user.get_username() if user else command_actor(channel),
        channel=channel,
        note=import_note(history_instance.history_change_reason),
        at=history_instance.history_date,
    )


def record_written(instances, history_records, *, previous, related):
    """The change records of rows written in bulk (an import), one per history record
    that bulk_history_create() made, stored with one query. A row's changed fields are
    those whose values differ from `previous[pk]` (its values before, by attname; a row
    missing there was created), with the to-many relations `related[pk]` names, as
    related_changed() adds them for a row written alone."""
    records = []
    for instance, history in zip(instances, history_records, strict=True):
        fields = tracked_fields(type(instance))
        before = previous.get(instance.pk)
        if before is None:
            names = [f.name for f in fields if getattr(instance, f.attname) not in (None, "")]
            changed = api_names(type(instance), names)
        else:
            names = [f.name for f in fields if getattr(instance, f.attname) != before[f.attname]]
            changed = sorted(api_names(type(instance), names))
        if related.get(instance.pk):
            changed = sorted({*changed, *related[instance.pk]})
        records.append(change_record(instance, history, changed))
    ChangeRecord.objects.bulk_create(records)


def import_note(reason):
    """The file an imported row came from, as the change log's note."""
    if reason and reason.startswith(IMPORT_REASON_PREFIX):
        return reason.removeprefix(IMPORT_REASON_PREFIX)[:200]
    return ""


# -- to-many relations -------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """A slug-less model whose rows belong to one catalog row and go with it (a company's
    roles, a vehicle model's chip fittings): writing one changes a relation of that row."""

    owner: models.ForeignKey  # the part's foreign key to the row it belongs to
    name: str  # the relation, as the change log names it on that row


# Link table of each many-to-many relation -> the relation's name; part model -> Part.
MANY_TO_MANY = {}
PARTS = {}


def related_changed(instance, name):
    """Name the to-many relation `name` of `instance` on the change record of its current
    save: the record its last save made, if this object was saved, or else the record its
    next save makes (a writer that changes only relations then saves the row, so that
    its history says it changed). A part's change is its owner's too: a chip fitting's
    sources are the vehicle model's chips."""
    record = getattr(instance, "_change_record", None)
    if record is None:
        pending = {*getattr(instance, "_related_changed", ()), name}
        remember_until_commit(instance, "_related_changed", pending)
    elif name not in record.changed_fields:
        record.changed_fields = sorted({*record.changed_fields, name})
        record.save(update_fields=["changed_fields"])
    part = PARTS.get(type(instance))
    if part is not None:
        part_changed(part, instance)


def remember_until_commit(instance, attribute, value):
    """Keep `value` on the object for the rest of the write: its transaction (at once
    forgotten outside one, as in a shell), so no later write merges into this one."""
    setattr(instance, attribute, value)
    transaction.on_commit(lambda: instance.__dict__.pop(attribute, None), using=instance._state.db)


def part_changed(part, instance):
    # The owner's current save is that of the object the part holds; a part given its
    # owner's id alone (a restore, a fixture) belongs to no save of this write.
    if part.owner.is_cached(instance):
        related_changed(part.owner.get_cached_value(instance), part.name)


def many_to_many_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """A many-to-many relation written from its row's side (`brand.sources.set(...)`)."""
    if reverse or action not in ("post_add", "post_remove", "post_clear"):
        return
    if action != "post_clear" and not pk_set:
        return  # nothing was added or removed
    related_changed(instance, MANY_TO_MANY[sender])


def part_written(sender, instance, raw=False, **kwargs):
    """A part's row saved or deleted (a company role, a chip fitting)."""
    if not raw:
        part_changed(PARTS[sender], instance)


def connect_to_many():
    """Connect the receivers above to every to-many relation of every model with history:
    each many-to-many field (to its link table), and each part (a model whose foreign
    key to the row cascades, or the link model of a many-to-many with one)."""
    for model in apps.get_models():
        if not hasattr(model._meta, "simple_history_manager_attribute"):
            continue
        for field in model._meta.many_to_many:
            through = field.remote_field.through
            MANY_TO_MANY[through] = field.name
            if not through._meta.auto_created:
                owner = through._meta.get_field(field.m2m_field_name())
                PARTS[through] = Part(owner=owner, name=field.name)
        for relation in model._meta.related_objects:
            if relation.one_to_many and relation.on_delete is models.CASCADE:
                part = Part(owner=relation.field, name=relation.get_accessor_name())
                PARTS.setdefault(relation.related_model, part)
    for through in MANY_TO_MANY:
        uid = f"change-log-{through._meta.label_lower}"
        m2m_changed.connect(many_to_many_changed, sender=through, dispatch_uid=uid)
    for part in PARTS:
        uid = f"change-log-{part._meta.label_lower}"
        post_save.connect(part_written, sender=part, dispatch_uid=uid)
        post_delete.connect(part_written, sender=part, dispatch_uid=uid)
