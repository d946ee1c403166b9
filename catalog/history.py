"""Turns every django-simple-history record into a ChangeRecord (the /changes/ log).

The actor is the request's user (for the API, the token's owner: DRF sets it on the
underlying request), or 'loader' for the seed loader; the channel comes from the
request path. Changed fields are the difference from the previous history record.

To-many relations (sources, company roles, a vehicle model's chips) are written after
the row is saved, so history cannot see them; each writer (API, admin, loader) names
the ones that changed with `record_related_changes()`.
"""

from django.contrib.contenttypes.models import ContentType
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
    tracked = [field.name for field in tracked_fields(model)]
    previous = history_instance.prev_record if history_instance.history_type == "~" else None
    if previous is None:
        return api_names(
            model, [name for name in tracked if getattr(history_instance, name) not in (None, "")]
        )
    delta = history_instance.diff_against(previous, included_fields=tracked)
    return sorted(api_names(model, [change.field for change in delta.changes]))


def record_related_changes(instance, names):
    """Add the to-many relations `names` to the change record this write made of
    `instance`. The writer saved the row first, so its record is the newest one."""
    if not names:
        return
    record = (
        ChangeRecord.objects.filter(
            content_type=ContentType.objects.get_for_model(type(instance)),
            object_id=instance.pk,
        )
        .order_by("-id")
        .first()
    )
    if record is not None:
        record.changed_fields = sorted({*record.changed_fields, *names})
        record.save(update_fields=["changed_fields"])


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
    change_record(instance, history_instance, changed_fields(history_instance)).save()


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
    record_related_changes() adds them for a row written alone."""
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
