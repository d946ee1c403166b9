"""Nothing is deleted while facts still point at it.

Foreign keys between catalog rows are PROTECT, so the database and Django's collector
refuse those deletes. Plain many-to-many links (the facts that cite a source, the stacks
that compute on a chip) would instead be dropped silently with the row; here they
protect too. `referrers()` names what blocks a delete, for the API's 409, the admin's
delete page and every other path (the pre_delete guard below covers the ORM: commands,
the restore, the shell).
"""

from django.db import models
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils.translation import gettext, ngettext

# How many referring rows are named per kind of fact; the count covers all of them.
REFERRERS_SHOWN = 10


def blocking_relations(model):
    """The relations through which other rows point at `model`'s rows and would lose
    the link (or block) on delete: protected foreign keys and plain many-to-many links.
    Rows that belong to the deleted one (a company's roles, a model's chip fittings)
    cascade with it and are not listed."""
    relations = []
    for relation in model._meta.related_objects:
        if relation.many_to_many:
            if relation.through._meta.auto_created:
                relations.append(relation)
        elif relation.on_delete in (models.PROTECT, models.RESTRICT):
            relations.append(relation)
    return relations


def referrers(objs, *, limit=REFERRERS_SHOWN, many_to_many_only=False):
    """[(model, first `limit` rows, how many)] of the rows pointing at any of `objs`."""
    objs = list(objs)
    if not objs:
        return []
    found = []
    for relation in blocking_relations(type(objs[0])):
        if many_to_many_only and not relation.many_to_many:
            continue
        rows = relation.related_model._base_manager.filter(
            **{f"{relation.field.name}__in": objs}
        ).distinct()
        count = rows.count()
        if count:
            found.append((relation.related_model, list(rows.order_by("pk")[:limit]), count))
    return found


def describe(found):
    """The referrers as the API names them: type, slugs (first few) and count."""
    return [
        {
            "type": f"{model._meta.app_label}.{model._meta.model_name}",
            "count": count,
            "slugs": [getattr(row, "slug", None) or str(row) for row in rows],
        }
        for model, rows, count in found
    ]


class StillReferenced(models.ProtectedError):
    """A delete refused because other facts point at the row."""

    def __init__(self, obj, found):
        self.obj = obj
        self.references = describe(found)
        total = sum(entry["count"] for entry in self.references)
        kinds = "; ".join(f"{entry['type']}: {named(entry)}" for entry in self.references)
        label = f"{obj._meta.verbose_name} '{getattr(obj, 'slug', obj)}'"
        message = ngettext(
            "Cannot delete %(label)s: %(count)s other record still refer to it (%(kinds)s). "
            "Remove or re-point those references first.",
            "Cannot delete %(label)s: %(count)s other records still refer to it (%(kinds)s). "
            "Remove or re-point those references first.",
            total,
        ) % {"label": label, "count": total, "kinds": kinds}
        super().__init__(message, [row for _, rows, _ in found for row in rows])


def named(entry):
    """The slugs of one kind of referrer, and how many more there are."""
    slugs = ", ".join(entry["slugs"])
    hidden = entry["count"] - len(entry["slugs"])
    if hidden > 0:
        return gettext("%(slugs)s and %(count)s more") % {"slugs": slugs, "count": hidden}
    return slugs


def refuse_if_referenced(obj):
    """Raise StillReferenced if any fact points at `obj`."""
    found = referrers([obj])
    if found:
        raise StillReferenced(obj, found)


@receiver(pre_delete)
def guard_many_to_many_links(sender, instance, **kwargs):
    """The last line for every path: a row still linked by many-to-many is not deleted.
    (Protected foreign keys are refused by Django's collector before this runs.)"""
    if sender._meta.app_label not in {"catalog", "partners", "vehicles"}:
        return
    if not any(relation.many_to_many for relation in blocking_relations(sender)):
        return
    found = referrers([instance], many_to_many_only=True)
    if found:
        raise StillReferenced(instance, found)
