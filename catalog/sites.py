"""The admin site (the default site: catalog.apps.CatalogAdminConfig), and the rule every
model admin on it follows, the project's and its libraries' (auth, axes) alike: input no
row can match (an id that cannot be a key, a NUL character, a year past the calendar) is
answered as such (a message, or the admin's page for a list it cannot filter) instead of
failing the query built from it; a change the database refuses after the admin's own
checks passed (another change to the same rows saved in between) is undone whole and
answered with a message; and the row a POST changes or deletes is locked first, so a
change cannot write back a row someone deleted meanwhile."""

import functools

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views import main as changelist
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, OperationalError, connection, transaction
from django.db.models import ProtectedError, RestrictedError
from django.http import HttpResponseRedirect
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _


def is_key(field, value):
    """Whether `value`, as a URL or a form gives it, can be a value of the key `field`.
    A number field refuses 'x' or '1e5' as its query would, and a number past the
    database's integers (SQLite cannot even send one); no text key holds NUL (PostgreSQL
    refuses one in a query)."""
    if isinstance(value, str) and "\x00" in value:
        return False
    try:
        key = field.to_python(value)
    except ValidationError:
        return False
    if isinstance(key, int):
        low, high = connection.ops.integer_field_range(field.get_internal_type())
        return (low is None or low <= key) and (high is None or key <= high)
    return True


def key_of(form_field):
    """The model field a model choice field's values are keys of."""
    opts = form_field.queryset.model._meta
    return opts.get_field(form_field.to_field_name) if form_field.to_field_name else opts.pk


class KeyCheckedChoiceField(forms.ModelChoiceField):
    """A value that cannot be a key of the model (is_key) is an invalid choice, found
    before any query (Django queried with it, and an id past 64 bits was a 500)."""

    def to_python(self, value):
        if value not in self.empty_values and not is_key(key_of(self), value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class KeyCheckedMultipleChoiceField(forms.ModelMultipleChoiceField):
    """As KeyCheckedChoiceField, for each value of a to-many field."""

    def _check_values(self, value):
        key = key_of(self)
        for item in value:
            if not is_key(key, item):
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": str(item)[:40]},
                )
        return super()._check_values(value)


class KeyCheckingAutocomplete:
    """Django's autocomplete widget, which reads the rows of the values a form was sent
    back with to show them selected: a value that cannot be a key of the related model
    is no row's and is left out (the form itself names it as an invalid choice)."""

    def optgroups(self, name, value, attr=None):
        related = self.field.remote_field
        opts = related.model._meta
        key = opts.get_field(getattr(related, "field_name", opts.pk.name))
        return super().optgroups(name, [item for item in value if is_key(key, item)], attr)


class CheckedAutocompleteSelect(KeyCheckingAutocomplete, AutocompleteSelect):
    pass


class CheckedAutocompleteSelectMultiple(KeyCheckingAutocomplete, AutocompleteSelectMultiple):
    pass


class CheckedAutocompleteAdmin:
    """Autocomplete fields (`autocomplete_fields`) drawn with these widgets, as Django
    draws them with its own where no widget is given."""

    autocomplete_select = CheckedAutocompleteSelect
    autocomplete_select_multiple = CheckedAutocompleteSelectMultiple

    def with_autocomplete(self, widget_class, db_field, request, kwargs):
        if db_field.name in self.get_autocomplete_fields(request) and "widget" not in kwargs:
            kwargs["widget"] = widget_class(db_field, self.admin_site, using=kwargs.get("using"))
        return kwargs

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs = self.with_autocomplete(self.autocomplete_select, db_field, request, kwargs)
        kwargs.setdefault("form_class", KeyCheckedChoiceField)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs = self.with_autocomplete(
            self.autocomplete_select_multiple, db_field, request, kwargs
        )
        kwargs.setdefault("form_class", KeyCheckedMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


# What the database raises for a write the admin's checks let through: a unique or
# check constraint, or a protected reference, met by another change saved in between.
CONFLICTS = (IntegrityError, ProtectedError, RestrictedError)


def undone_on_conflict(view):
    """An admin view whose POST is one transaction: if the database refuses it as in
    conflict with another change (CONFLICTS), every write of it is undone and the page is
    shown again with a message saying so, rather than a server error."""

    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        try:
            with transaction.atomic():
                return view(request, *args, **kwargs)
        except CONFLICTS:
            messages.error(
                request,
                gettext(
                    "Nothing was saved: another change to the same records was saved at the "
                    "same moment, and this one conflicts with it. Look at the page again, "
                    "then repeat the change if it still applies."
                ),
            )
            return HttpResponseRedirect(request.get_full_path())

    return guarded


# The parameters of a list's address that are not lookups: the admin's own (showing all,
# ordering, paging, search, popups, facets, the error flag).
LIST_CONTROLS = frozenset(
    (
        changelist.ALL_VAR,
        changelist.ORDER_VAR,
        changelist.PAGE_VAR,
        changelist.SEARCH_VAR,
        changelist.IS_POPUP_VAR,
        changelist.TO_FIELD_VAR,
        changelist.IS_FACETS_VAR,
        changelist.ERROR_FLAG,
    )
)
# What a lookup in a list's address can make its query fail with once the query is
# compiled or run, after Django has checked the filter as it was built: a year past the
# calendar (`created__year=99999`, ValueError; `__iso_year`, ValueError; 10**20,
# OverflowError), a range of one value (checked before: check_ranges), a regular expression
# the database cannot read (`slug__regex=(`: DataError from PostgreSQL, OperationalError
# from SQLite's regexp function).
LOOKUP_QUERY_ERRORS = (
    ValueError,
    TypeError,
    IndexError,
    OverflowError,
    DataError,
    OperationalError,
)


def has_lookups(request):
    return any(name not in LIST_CONTROLS for name in request.GET)


def check_ranges(request):
    """A range lookup is given its two ends, separated by a comma: with any other number
    Django's query fails (one value) or names a character of it as a bad value."""
    for name, values in request.GET.lists():
        if name.endswith("__range") and any(value.count(",") != 1 for value in values):
            raise IncorrectLookupParameters(
                gettext("%(name)s is a range: give its two ends separated by a comma")
                % {"name": name}
            )


def lookup_failure(error):
    """What to tell of a lookup's query failing, where the error's own words say little."""
    if isinstance(error, OperationalError):  # SQLite's own functions (regexp, dates)
        return gettext("the database could not apply a value, such as a regular expression")
    return error


class InputCheckingAdmin(CheckedAutocompleteAdmin):
    """An action on rows ticked in the list runs only on ids the list can have given:
    a malformed one is named in a message and nothing is changed, as when none is
    ticked (Django would fail building `pk__in` from it). A list filtered by a value
    holding NUL (PostgreSQL refuses it in a query), a range not of two ends, or any
    lookup whose query fails once compiled or run (a year past the calendar, a regular
    expression the database cannot read) is answered as Django answers a filter it
    cannot apply (the list unfiltered, at ?e=1),
    and for any such filter a message over the list says why. Autocomplete fields use
    the widgets above (CheckedAutocompleteAdmin). A form whose save the database refuses
    as in conflict with another change is checked again once: it then names the conflict
    as any form error, the entries kept (undone_on_conflict answers a second refusal)."""

    def get_object(self, request, object_id, from_field=None):
        """Django's; for a POST, the row is then locked for the rest of the POST's
        transaction and read again under the lock. A change saved while another person
        deleted the row would otherwise write it back (Django saves a row its update did
        not find as a new one); now it waits, and finds the row gone."""
        obj = super().get_object(request, object_id, from_field)
        if obj is None or request.method != "POST":
            return obj
        if not transaction.get_connection().in_atomic_block:
            return obj
        if not self.model._base_manager.select_for_update().filter(pk=obj.pk).exists():
            return None
        return super().get_object(request, object_id, from_field)

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)
        except CONFLICTS:
            if request.method != "POST":
                raise
            # Django's changeform_view is a transaction of its own: nothing of it is left.
            return super().changeform_view(request, *args, **kwargs)

    def get_changelist_instance(self, request):
        try:
            if any("\x00" in value for _, values in request.GET.lists() for value in values):
                raise IncorrectLookupParameters("a filter value holds a NUL character")
            if not has_lookups(request):
                return super().get_changelist_instance(request)
            check_ranges(request)
            try:
                # A savepoint: a query PostgreSQL refused leaves a POST's transaction usable.
                with transaction.atomic():
                    return super().get_changelist_instance(request)
            except LOOKUP_QUERY_ERRORS as error:
                raise IncorrectLookupParameters(lookup_failure(error)) from error
        except IncorrectLookupParameters as error:
            # Django shows the list unfiltered (?e=1); the message says why.
            self.message_user(
                request,
                gettext("The list cannot be filtered as asked (%(error)s): shown unfiltered.")
                % {"error": str(error)[:300]},
                messages.WARNING,
            )
            raise IncorrectLookupParameters(error) from error

    def response_action(self, request, queryset):
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        malformed = [value for value in selected if not is_key(self.opts.pk, value)]
        if not malformed:
            return super().response_action(request, queryset)
        self.message_user(
            request,
            ngettext(
                "%(values)s is not the id of any %(name)s: tick the rows in the list. "
                "No items have been changed.",
                "%(values)s are not ids of any %(name)s: tick the rows in the list. "
                "No items have been changed.",
                len(malformed),
            )
            % {
                "values": ", ".join(repr(value[:40]) for value in malformed[:5]),
                "name": self.opts.verbose_name,
            },
            messages.ERROR,
        )
        return None  # the list again, with the message, as Django does with none ticked


class CatalogAdminSite(admin.AdminSite):
    site_header = _("Smart-vehicle ecosystem catalog")
    site_title = _("Catalog admin")
    index_title = _("Data entry")

    def register(self, model_or_iterable, admin_class=None, **options):
        """Register as Django does, each admin class given InputCheckingAdmin first."""
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, InputCheckingAdmin):
            admin_class = type(
                admin_class.__name__,
                (InputCheckingAdmin, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)

    def admin_view(self, view, cacheable=False):
        """Django's, each POST one transaction, undone whole on a conflict."""
        return super().admin_view(undone_on_conflict(view), cacheable)
