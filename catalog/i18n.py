"""Translation helpers: messages made before their language is known, and the names
Django derives from class and field names ("vehicle model", "launched on").

The admin speaks English or Simplified Chinese (the staff member's choice) and the API's
messages follow Accept-Language; the texts are in locale/. The data itself never
changes with the language: names, slugs, codes and field names stay as stored.
"""

from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def _interpolate(message, params):
    return str(message) % params


_interpolate_lazy = lazy(_interpolate, str)


def interpolate_lazy(message, **params):
    """`message % params`, worked out each time it is shown, in the language active then:
    for a translatable message with %(name)s placeholders that is made at import, such as
    a model rule's (a constraint's violation_error_message)."""
    return _interpolate_lazy(message, params)


def alternatives(names):
    """'brand or carmaker': names (of fields, as the API spells them) offered as a choice,
    in the active language."""
    *first, last = names
    if not first:
        return last
    return gettext("%(names)s or %(last)s") % {"names": ", ".join(first), "last": last}


def english(text):
    """`text` (plain or marked for translation) as written in the code, in English."""
    with translation.override(None):
        return str(text)


# Django derives a model's or a field's name from its class or field name where none is
# declared. Declaring one on every field would restate each field in a migration (some
# 380 AlterField operations that change nothing in the database), so the names shown
# are set at start-up from this table instead (translate_derived_names); Django keeps
# what was declared apart for migrations (Options.original_attrs, Field._verbose_name).
# makemessages reads the table like any other code; a test checks it lists every
# derived name of a project model.
DERIVED_NAMES = {
    # Models, singular and plural.
    "alliance": _("alliance"),
    "alliances": _("alliances"),
    "alliance membership": _("alliance membership"),
    "alliance memberships": _("alliance memberships"),
    "API tokens": _("API tokens"),
    "brand": _("brand"),
    "brands": _("brands"),
    "change record": _("change record"),
    "change records": _("change records"),
    "chip": _("chip"),
    "chips": _("chips"),
    "chip fittings": _("chip fittings"),
    "company": _("company"),
    "company role": _("company role"),
    "company roles": _("company roles"),
    "delivery": _("delivery"),
    "delivery gap": _("delivery gap"),
    "delivery gaps": _("delivery gaps"),
    "delivery total": _("delivery total"),
    "delivery totals": _("delivery totals"),
    "driver-assist stacks": _("driver-assist stacks"),
    "operating system": _("operating system"),
    "operating systems": _("operating systems"),
    "partnership": _("partnership"),
    "partnerships": _("partnerships"),
    "shareholding": _("shareholding"),
    "shareholdings": _("shareholdings"),
    "source": _("source"),
    "sources": _("sources"),
    "vehicle model": _("vehicle model"),
    "vehicle models": _("vehicle models"),
    # Fields.
    "accessed on": _("accessed on"),
    "acquired on": _("acquired on"),
    "action": _("action"),
    "actor": _("actor"),
    "actor name": _("actor name"),
    "announced on": _("announced on"),
    "at": _("at"),
    "automated parking": _("automated parking"),
    "base": _("base"),
    "body type": _("body type"),
    "carmaker": _("carmaker"),
    "category": _("category"),
    "changed fields": _("changed fields"),
    "channel": _("channel"),
    "compute chips": _("compute chips"),
    "computed": _("computed"),
    "content type": _("content type"),
    "country": _("country"),
    "created": _("created"),
    "description": _("description"),
    "designer": _("designer"),
    "digest": _("digest"),
    "discontinued on": _("discontinued on"),
    "disposed on": _("disposed on"),
    "ended on": _("ended on"),
    "expires at": _("expires at"),
    "first month": _("first month"),
    "founded on": _("founded on"),
    "foundry": _("foundry"),
    "group": _("group"),
    "headquarters": _("headquarters"),
    "holder": _("holder"),
    "joined on": _("joined on"),
    "kind": _("kind"),
    "last month": _("last month"),
    "last used at": _("last used at"),
    "launched on": _("launched on"),
    "leader": _("leader"),
    "left on": _("left on"),
    "level": _("level"),
    "month": _("month"),
    "name": _("name"),
    "note": _("note"),
    "object id": _("object id"),
    "object repr": _("object repr"),
    "object slug": _("object slug"),
    "ownership note": _("ownership note"),
    "parent": _("parent"),
    "partner": _("partner"),
    "positioning": _("positioning"),
    "powertrain": _("powertrain"),
    "precision": _("precision"),
    "prefix": _("prefix"),
    "published on": _("published on"),
    "publisher": _("publisher"),
    "quantity": _("quantity"),
    "reason": _("reason"),
    "reliability": _("reliability"),
    "revoked at": _("revoked at"),
    "role": _("role"),
    "scope": _("scope"),
    "sensor approach": _("sensor approach"),
    "share percent": _("share percent"),
    "slug": _("slug"),
    "started on": _("started on"),
    "state owned": _("state owned"),
    "title": _("title"),
    "units": _("units"),
    "updated": _("updated"),
    "user": _("user"),
    "vendor": _("vendor"),
    "version": _("version"),
    "website": _("website"),
}


def shown_models(app_config):
    """The models of an app whose names staff read: its own, not their history tables
    (django-simple-history's copies, which no page lists)."""
    return [model for model in app_config.get_models() if not hasattr(model, "instance_type")]


def derived_names(model):
    """{where: English name} for each name of `model` that Django derived (none declared)."""
    opts = model._meta
    found = {}
    if "verbose_name" not in opts.original_attrs:
        found["verbose_name"] = opts.verbose_name
    if "verbose_name_plural" not in opts.original_attrs:
        found["verbose_name_plural"] = f"{english(opts.verbose_name)}s"
    for field in [*opts.fields, *opts.many_to_many]:
        if field._verbose_name is None:
            found[field] = field.verbose_name
    return found


def translate_derived_names(app_config):
    """Give each derived name of the app's models its translatable form from the table."""
    for model in shown_models(app_config):
        opts = model._meta
        for where, name in derived_names(model).items():
            translated = DERIVED_NAMES.get(english(name))
            if translated is None:
                continue
            if isinstance(where, str):
                setattr(opts, where, translated)
            else:
                where.verbose_name = translated
