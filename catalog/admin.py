"""Admin for provenance and API tokens, and the base every catalog admin builds on."""

import os
import re
import tempfile

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import UniqueConstraint
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from import_export.forms import ConfirmImportForm
from simple_history.admin import SimpleHistoryAdmin

from catalog.models import ApiToken, ChangeRecord, Source
from catalog.protection import referrers
from catalog.resources import FORMATS, SourceResource
from catalog.sites import (
    CheckedAutocompleteAdmin,
    CheckedAutocompleteSelect,
    CheckedAutocompleteSelectMultiple,
    is_key,
)

# A bare address typed into a form ("byd.com") is taken as https, Django 6's default.
URL_AS_HTTPS = {models.URLField: {"assume_scheme": "https"}}


def https_formfield(db_field, **kwargs):
    """formfield_callback for hand-written ModelForms: URLs default to https."""
    return db_field.formfield(**{**URL_AS_HTTPS.get(type(db_field), {}), **kwargs})


MONTH_FORMAT_HELP = _("Give a month as YYYY-MM, e.g. 2025-11.")
MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")


class MonthInput(forms.DateInput):
    """The browser's month picker (YYYY-MM); a stored month (its first day) shows as YYYY-MM."""

    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs={"placeholder": "YYYY-MM", **(attrs or {})}, format="%Y-%m")


class MonthField(forms.DateField):
    """A calendar month entered as YYYY-MM and stored as its first day, as the API does."""

    widget = MonthInput
    input_formats = ["%Y-%m"]
    default_error_messages = {"invalid": MONTH_FORMAT_HELP}

    def __init__(self, **kwargs):
        kwargs.pop("input_formats", None)
        kwargs.setdefault("help_text", "YYYY-MM")
        super().__init__(input_formats=self.input_formats, **kwargs)

    def to_python(self, value):
        # strptime would take "2025-9" and other digits; a month is four ASCII digits,
        # a dash and two, as everywhere in the catalog.
        if isinstance(value, str) and value.strip() and not MONTH.fullmatch(value.strip()):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class KnownChoicesMixin:
    """An autocomplete widget whose selected options are labelled from `known_choices`
    ({value: label}) when given, instead of one query per widget: the formset fills it
    for every row at once, so a page with many inline rows costs no more queries."""

    known_choices = None

    def optgroups(self, name, value, attr=None):
        if self.known_choices is None:
            return super().optgroups(name, value, attr)
        options = []
        if not self.is_required and not self.allow_multiple_selected:
            options.append(self.create_option(name, "", "", False, 0))
        selected = [str(item) for item in value if str(item) in self.known_choices]
        if not self.allow_multiple_selected:
            selected = selected[:1]
        for item in selected:
            options.append(
                self.create_option(name, item, self.known_choices[item], True, len(options))
            )
        return [(None, options, 0)]


class KnownChoicesSelect(KnownChoicesMixin, CheckedAutocompleteSelect):
    pass


class KnownChoicesSelectMultiple(KnownChoicesMixin, CheckedAutocompleteSelectMultiple):
    pass


def autocomplete_widget(form_field):
    widget = getattr(form_field.widget, "widget", form_field.widget)  # inside the "+" wrapper
    return widget if isinstance(widget, KnownChoicesMixin) else None


def label_autocomplete_choices(forms_):
    """Label the selected options of every autocomplete field of `forms_` with one query
    per field (see KnownChoicesMixin)."""
    if not forms_:
        return
    for name, field in forms_[0].fields.items():
        if autocomplete_widget(field) is None:
            continue
        values = set()
        for form in forms_:
            value = form[name].value()
            values.update(value if isinstance(value, list | tuple) else [value])
        values = {
            str(value)
            for value in values
            if value not in (None, "") and is_key(field.queryset.model._meta.pk, value)
        }
        known = {
            str(obj.pk): field.label_from_instance(obj)
            for obj in field.queryset.filter(pk__in=values)
        }
        for form in forms_:
            autocomplete_widget(form.fields[name]).known_choices = known


class KnownChoicesAdminMixin(CheckedAutocompleteAdmin):
    """Autocomplete fields whose selected options the formset can label in bulk."""

    autocomplete_select = KnownChoicesSelect
    autocomplete_select_multiple = KnownChoicesSelectMultiple


class SlugRuleForm(forms.ModelForm):
    """A form for a row whose slug the system makes (the model's `make_slug()`, as the API
    makes it): a slug left empty is made from the other fields; a form without a slug
    field always gets the made one (a delivery's slug says whose figure for which month)."""

    def clean(self):
        cleaned = super().clean()
        if not self.instance._state.adding:
            return cleaned
        if "slug" in self.fields and cleaned.get("slug"):
            return cleaned
        slug = self._meta.model.make_slug(cleaned)
        if not slug:
            if "slug" in self.fields and "slug" not in self.errors:
                self.add_error("slug", gettext("Give a slug, or the fields it is made from."))
            return cleaned
        if "slug" in self.fields:
            cleaned["slug"] = slug
        else:
            self.instance.slug = slug
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        # A made slug is not a form field, so the model's unique check does not see it;
        # checked here, after the model's own rules (which usually name the clash better).
        slug = self.instance.slug
        if (
            "slug" not in self.fields
            and slug
            and self.instance._state.adding
            and not self.errors
            and self._meta.model._default_manager.filter(slug=slug).exists()
        ):
            self.add_error(
                None,
                gettext("There is already a row %(slug)s: change that one instead.")
                % {"slug": slug},
            )


class CatalogAutocompleteJsonView(AutocompleteJsonView):
    """Autocomplete that tells a user lacking the view permission on the related model
    which permission is missing, instead of a bare 403 ("The results could not be
    loaded"). The message comes back as one disabled option."""

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except PermissionDenied:
            try:
                _, model_admin, _, _ = self.process_request(request)
            except PermissionDenied:
                raise
            if model_admin.has_view_permission(request):
                raise
            opts = model_admin.model._meta
            message = gettext(
                "You cannot look up %(plural)s: ask an administrator for the permission "
                "“Can view %(name)s”."
            ) % {"plural": opts.verbose_name_plural, "name": opts.verbose_name}
            return JsonResponse(
                {
                    "results": [{"id": "", "text": message, "disabled": True}],
                    "pagination": {"more": False},
                }
            )


# The site's own autocomplete view, with the message above.
admin.site.autocomplete_view = lambda request: CatalogAutocompleteJsonView.as_view(
    admin_site=admin.site
)(request)


class ManyToManyProtectedMixin:
    """The delete page (and the bulk delete action) lists the facts that still link to
    the row through a many-to-many relation, as Django lists protected foreign keys,
    and refuses the delete until they are unlinked."""

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        objs = list(objs)
        if objs:
            # Protected foreign keys are listed by Django's own delete page.
            for model, rows, count in referrers(objs, many_to_many_only=True):
                protected.extend(self.referrer_label(row) for row in rows)
                if count > len(rows):
                    protected.append(
                        gettext("%(plural)s: %(count)s more")
                        % {
                            "plural": capfirst(model._meta.verbose_name_plural),
                            "count": count - len(rows),
                        }
                    )
        return deleted, model_count, perms_needed, protected

    def referrer_label(self, obj):
        opts = obj._meta
        name = capfirst(opts.verbose_name)
        try:
            url = reverse(
                f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                args=[quote(obj.pk)],
            )
        except NoReverseMatch:
            return f"{name}: {obj}"
        return format_html('{}: <a href="{}">{}</a>', name, url, obj)


class SlugRuleAdminMixin:
    """Admins (and inlines) with `makes_slug`: a slug left empty is made by the model's
    rule (`make_slug()`), as the API makes it."""

    makes_slug = False

    def slug_form_kwargs(self, kwargs):
        base = kwargs.get("form", getattr(self, "form", forms.ModelForm))
        if self.makes_slug and not issubclass(base, SlugRuleForm):
            kwargs["form"] = type(f"{self.model.__name__}SlugForm", (SlugRuleForm, base), {})
        return kwargs

    def with_optional_slug(self, form):
        if self.makes_slug and "slug" in form.base_fields:
            form.base_fields["slug"].required = False
            form.base_fields["slug"].help_text = _(
                "Public identifier, used in URLs and writes. Leave empty to have it made "
                "as the API makes it."
            )
        return form


class HistoryAdmin(SimpleHistoryAdmin):
    """django-simple-history's change history pages, a malformed id in their URL (a row's
    or a version's) answered as a missing one is: a 404, not a failed query.

    A past version is shown, not reverted to: django-simple-history's revert saved the
    version's form for anyone who could view the history (SIMPLE_HISTORY_REVERT_DISABLED
    only hides its button), brought deleted rows back, and skipped what the change form
    checks (inline rows, related rules such as chips or the reason they are unknown).
    An earlier value is entered again on the row's change form, where every rule holds."""

    def save_model(self, request, obj, form, change):
        """A change form sent back with nothing changed writes nothing: no history row, no
        change record, `updated` (and so the API's ETag) kept, as for the API's no-op write.
        Where an inline row changed, the row is saved after all (save_related), before its
        inline rows as Django saves it, so its record names what changed with them."""
        if change and not form.has_changed():
            obj._save_when_inlines_change = True
            return
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        deferred = getattr(form.instance, "_save_when_inlines_change", False)
        if deferred and any(formset.has_changed() for formset in formsets):
            super().save_model(request, form.instance, form, change)
        super().save_related(request, form, formsets, change)

    def history_view(self, request, object_id, extra_context=None):
        if not is_key(self.opts.pk, unquote(object_id)):
            raise Http404
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        versions = self.model._meta.simple_history_manager_attribute
        version_key = getattr(self.model, versions).model._meta.pk
        if not (is_key(self.opts.pk, unquote(object_id)) and is_key(version_key, version_id)):
            raise Http404
        if request.method == "POST":
            self.message_user(
                request,
                gettext(
                    "Nothing was saved: a past version is shown here, not restored. Enter "
                    "the values to bring back on the row's change form, where every rule "
                    "is checked."
                ),
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())
        return super().history_form_view(request, object_id, version_id, extra_context)


class CatalogAdmin(SlugRuleAdminMixin, ManyToManyProtectedMixin, HistoryAdmin):
    """Defaults for every catalog entry: slug from the name, sources by autocomplete,
    timestamps read-only, and the change history (who changed what) one click away."""

    autocomplete_fields = ["sources"]
    readonly_fields = ["created", "updated"]
    formfield_overrides = URL_AS_HTTPS
    list_per_page = 50
    show_full_result_count = False
    save_on_top = True
    # Fields that hold a month (stored as its first day), entered and shown as YYYY-MM.
    month_fields = ()
    # Fields shown first on the form, in this order: what the row is called, then its slug.
    leading_fields = ("name", "name_zh", "slug")

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        # The search box looks where the API's `q` does: the model says where.
        self.search_fields = model.search_fields

    def get_prepopulated_fields(self, request, obj=None):
        names = {field.name for field in self.model._meta.fields}
        return {"slug": ["name"]} if "name" in names and obj is None else {}

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        leading = [name for name in self.leading_fields if name in fields]
        return leading + [name for name in fields if name not in leading]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.month_fields:
            return MonthField(
                required=not db_field.blank,
                label=capfirst(db_field.verbose_name),
                help_text="YYYY-MM",
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **self.slug_form_kwargs(kwargs))
        return self.with_optional_slug(form)


def constraint_fields(constraint):
    """The names of the fields a model constraint reads (its fields and its condition)."""
    names = set(getattr(constraint, "fields", ()))
    condition = getattr(constraint, "condition", None)
    if condition is not None:
        names |= condition.referenced_base_fields
    return names


class ModelRulesInlineFormSet(forms.BaseInlineFormSet):
    """Inline rows checked against every rule of their model, as a stand-alone form is.

    Django leaves out of an inline row's validation the constraints that read the
    relation to the page's object (it may not be saved yet), and compares the rows of
    one save only on unconditional unique constraints. Such a mistake used to reach the
    database as an IntegrityError. Here those constraints are checked once the relation
    is known: against stored rows, and between the rows of this save (a conditional
    unique constraint, like "one open membership per brand and alliance"), with the
    model's message on the row at fault.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        label_autocomplete_choices(self.forms)

    def add_fields(self, form, index):
        super().add_fields(form, index)
        # A row sent back that the page's object no longer has: Django's words for it
        # ("Select a valid choice") name no choice the person made.
        key = form.fields.get(self.model._meta.pk.name)
        if key is not None:
            key.error_messages["invalid_choice"] = gettext(
                "This row is no longer stored here: someone deleted or moved it meanwhile. "
                "Reload the page to see the rows as they are."
            )

    def clean(self):
        super().clean()
        fk_name = self.fk.name
        constraints = [
            constraint
            for constraint in self.model._meta.constraints
            if fk_name in constraint_fields(constraint)
        ]
        if not constraints:
            return
        rows = [
            form
            for form in self.forms
            if form.is_valid()
            and form not in self.deleted_forms
            and not (form.instance._state.adding and not form.has_changed())
        ]
        parent_stored = not self.instance._state.adding
        # Rows of this formset are judged by their values in this save, not as stored.
        own = [form.instance.pk for form in self.initial_forms if form.instance.pk]
        for constraint in constraints:
            if isinstance(constraint, UniqueConstraint):
                self.check_unique(constraint, rows, own, parent_stored)
            elif parent_stored:
                for form in rows:
                    try:
                        constraint.validate(
                            self.model, form.instance, using=self.instance._state.db
                        )
                    except ValidationError as error:
                        form.add_error(None, error)

    def check_unique(self, constraint, rows, own, parent_stored):
        seen = {}
        for form in list(rows):
            instance = form.instance
            values = {
                name: getattr(instance, self.model._meta.get_field(name).attname)
                for name in constraint.fields
            }
            # NULLs are distinct in a unique index; the parent's own key may be unset yet.
            if any(value is None for name, value in values.items() if name != self.fk.name):
                continue
            if constraint.condition is not None and not constraint.condition.check(
                instance._get_field_expression_map(meta=self.model._meta)
            ):
                continue
            key = tuple(value for name, value in values.items() if name != self.fk.name)
            clash = key in seen
            if not clash and parent_stored:
                stored = self.model._default_manager.filter(**values)
                if constraint.condition is not None:
                    stored = stored.filter(constraint.condition)
                clash = stored.exclude(pk__in=own).exists()
            if clash:
                form.add_error(None, self.unique_message(constraint, instance))
            else:
                seen[key] = form

    def unique_message(self, constraint, instance):
        if constraint.violation_error_message != constraint.default_violation_error_message:
            return constraint.get_violation_error_message()
        return instance.unique_error_message(self.model, constraint.fields)


class CatalogInline(SlugRuleAdminMixin, KnownChoicesAdminMixin, admin.TabularInline):
    """An inline whose rows are checked by every model rule and cost a constant number
    of queries however many there are: relations are joined, to-many relations are
    fetched once, and the autocomplete fields of all rows are labelled at once."""

    formset = ModelRulesInlineFormSet
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **self.slug_form_kwargs(kwargs))
        self.with_optional_slug(formset.form)
        return formset

    def get_queryset(self, request):
        """The rows joined and fetched as above; for a POST, locked for its transaction
        (catalog.sites.undone_on_conflict), as the page's own row is: a row someone
        deleted meanwhile is then found gone, not written back by the save."""
        model = self.model
        related = [field.name for field in model._meta.fields if field.is_relation]
        many = [field.name for field in model._meta.many_to_many]
        queryset = super().get_queryset(request).select_related(*related).prefetch_related(*many)
        if request.method == "POST" and transaction.get_connection().in_atomic_block:
            queryset = queryset.select_for_update(of=("self",))
        return queryset


class SourcedInline(CatalogInline):
    """An inline whose rows cite sources and link to their own page."""

    show_change_link = True
    autocomplete_fields = ["sources"]


# How the upload kept between the preview and the confirmation is named in the temporary
# directory (tempfile.NamedTemporaryFile's names, which import-export's storage uses).
UPLOAD_NAME = re.compile(r"tmp[a-z0-9_]{8}")


class CheckedConfirmImportForm(ConfirmImportForm):
    """import-export's confirmation step, whose hidden fields the browser sends back,
    checked: the upload must be one the server keeps for it, the format and the resource
    among the admin's (a tampered or replayed form would fail the import)."""

    def __init__(self, *args, formats=0, resources=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.counts = {"format": formats, "resource": resources}

    def clean_import_file_name(self):
        name = super().clean_import_file_name()
        path = os.path.join(tempfile.gettempdir(), name)
        if not (UPLOAD_NAME.fullmatch(name) and os.path.isfile(path)):
            raise ValidationError(
                gettext("The uploaded file is no longer kept (it was imported already).")
            )
        return name

    def clean_format(self):
        return self.index("format")

    def clean_resource(self):
        return self.index("resource") if self.cleaned_data["resource"] else ""

    def index(self, name):
        value = self.cleaned_data[name]
        if value not in {str(index) for index in range(self.counts[name])}:
            raise ValidationError(
                gettext("Unknown %(name)s %(value)r.") % {"name": name, "value": value[:20]}
            )
        return value


# The session's note of the files previewed for import: {kept file: [model, format]}.
PREVIEWED_FILES = "catalog_previewed_imports"
PREVIEWS_KEPT = 20


class ImportExportAdmin(ImportExportMixin):
    """Import from and export to CSV, XLSX and JSON with a preview (catalog.resources).

    An import both adds rows and changes stored ones (a row with a stored slug): it takes
    both permissions (import-export asks for one, IMPORT_EXPORT_IMPORT_PERMISSION_CODE,
    and a user who could only add overwrote stored figures)."""

    import_formats = FORMATS
    export_formats = FORMATS
    confirm_form_class = CheckedConfirmImportForm

    def has_import_permission(self, request):
        return super().has_import_permission(request) and self.has_change_permission(request)

    def get_confirm_form_initial(self, request, import_form):
        """The preview's confirmation, and a note in the session of the file previewed:
        on which page and as which format, so a confirmation is carried out only as it
        was previewed (a hidden `format` altered read a CSV as JSON, a 500; one sent to
        another model's page threw the upload away)."""
        initial = super().get_confirm_form_initial(request, import_form)
        if initial:
            previewed = request.session.get(PREVIEWED_FILES, {})
            kept = os.path.basename(initial["import_file_name"])
            previewed[kept] = [self.opts.label_lower, str(initial["format"])]
            # The latest few: a preview never confirmed is forgotten in time.
            request.session[PREVIEWED_FILES] = dict(list(previewed.items())[-PREVIEWS_KEPT:])
        return initial

    def page_url(self, view):
        opts = self.opts
        return reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_{view}")

    def get_confirm_form_kwargs(self, request, import_form=None):
        return {
            **super().get_confirm_form_kwargs(request, import_form),
            "formats": len(self.get_import_formats()),
            "resources": len(self.get_import_resource_classes(request)),
        }

    def process_import(self, request, **kwargs):
        """The confirmed import; a confirmation that cannot be carried out (see
        CheckedConfirmImportForm) is named over the import page, nothing imported."""
        if request.method == "POST" and self.has_import_permission(request):
            confirm_form = self.create_confirm_form(request)
            if not confirm_form.is_valid():
                problems = [
                    str(error) for errors in confirm_form.errors.values() for error in errors
                ]
                self.message_user(
                    request,
                    gettext("Nothing was imported: %(problems)s Upload the file again.")
                    % {"problems": " ".join(problems)},
                    messages.ERROR,
                )
                return HttpResponseRedirect(self.page_url("import"))
            previewed = request.session.get(PREVIEWED_FILES, {})
            name = os.path.basename(confirm_form.cleaned_data["import_file_name"])
            if previewed.get(name) != [self.opts.label_lower, confirm_form.cleaned_data["format"]]:
                self.message_user(
                    request,
                    gettext(
                        "Nothing was imported: this confirmation is not of a file previewed "
                        "on this page in this format. Upload the file again."
                    ),
                    messages.ERROR,
                )
                return HttpResponseRedirect(self.page_url("import"))
        return super().process_import(request, **kwargs)

    def export_action(self, request):
        """The rows the list shows, filtered by the list's query string; a filter the
        list does not know is named in a message over the list, as nothing is exported."""
        try:
            return super().export_action(request)
        except IncorrectLookupParameters as error:
            self.message_user(
                request,
                gettext("Nothing was exported: the list has no such filter (%(error)s).")
                % {"error": error},
                messages.ERROR,
            )
            return HttpResponseRedirect(self.page_url("changelist"))


@admin.register(Source)
class SourceAdmin(ImportExportAdmin, ManyToManyProtectedMixin, HistoryAdmin):
    resource_classes = [SourceResource]
    list_display = ["title", "publisher", "published_on", "reliability", "url"]
    list_filter = ["reliability", "publisher"]
    search_fields = [*Source.search_fields, "note"]
    date_hierarchy = "published_on"
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["created", "updated"]
    formfield_overrides = URL_AS_HTTPS
    list_per_page = 50


class TokenStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("usable", _("Usable")), ("expired", _("Expired")), ("revoked", _("Revoked"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "usable":
            return queryset.usable()
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


class ApiTokenAddForm(forms.ModelForm):
    """Who the token is for, what it is for, and until when; the token itself is generated.
    The rules for a new token are the model's (ApiToken.clean)."""

    class Meta:
        model = ApiToken
        fields = ["user", "name", "expires_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Staff issue tokens here and revoke them; only the hash is kept.

    The raw token exists only in the success message shown after adding. A token's
    owner and digest never change: to hand out a new credential, issue a new token
    and revoke the old one.
    """

    list_display = [
        "prefix",
        "name",
        "user",
        "created",
        "expires_at",
        "revoked_at",
        "last_used_at",
        "usable",
    ]
    list_filter = [TokenStateFilter, ("user", admin.RelatedOnlyFieldListFilter), "created"]
    search_fields = ["prefix", "name", "user__username", "user__email"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    actions = ["revoke_tokens"]
    list_per_page = 50

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "name", "expires_at"]
        return [
            "user",
            "name",
            "prefix",
            "digest",
            "created",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "usable",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["user", "prefix", "digest", "created", "revoked_at", "last_used_at", "usable"]

    @admin.display(boolean=True, description=_("usable"))
    def usable(self, token):
        return token.accepts_requests

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        token, raw = ApiToken.issue(user=obj.user, name=obj.name, expires_at=obj.expires_at)
        # The admin goes on with `obj` (log entry, redirect): make it the issued row.
        obj.pk = token.pk
        obj.refresh_from_db()
        obj._state.adding = False
        self.message_user(
            request,
            gettext(
                "Token for %(user)s: %(token)s (copy it now: only its hash is stored, so it "
                "cannot be shown again)"
            )
            % {"user": token.user, "token": raw},
            messages.SUCCESS,
        )

    @admin.action(description=_("Revoke selected tokens"), permissions=["change"])
    def revoke_tokens(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True).select_related("user"):
            token.revoke()
            self.log_change(request, token, "Revoked.")
            revoked += 1
        self.message_user(
            request,
            ngettext("Revoked %(count)s token.", "Revoked %(count)s tokens.", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )


@admin.register(ChangeRecord)
class ChangeRecordAdmin(admin.ModelAdmin):
    """The change log, read-only: who changed what, when, and through which channel."""

    list_display = [
        "at",
        "action",
        "content_type",
        "object_repr",
        "actor_name",
        "channel",
        "changed",
        "note",
    ]
    list_filter = ["action", "channel", "content_type", ("at", admin.DateFieldListFilter)]
    search_fields = ChangeRecord.search_fields
    date_hierarchy = "at"
    list_select_related = ["content_type"]
    list_per_page = 100

    @admin.display(description=_("changed fields"))
    def changed(self, record):
        return ", ".join(record.changed_fields)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
