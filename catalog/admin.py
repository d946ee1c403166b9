"""Admin for provenance and API tokens, and the base every catalog admin builds on."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import UniqueConstraint
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin

from catalog.history import record_related_changes
from catalog.models import ApiToken, ChangeRecord, Source

admin.site.site_header = "Smart-vehicle ecosystem catalog"
admin.site.site_title = "Catalog admin"
admin.site.index_title = "Data entry"

# A bare address typed into a form ("byd.com") is taken as https, Django 6's default.
URL_AS_HTTPS = {models.URLField: {"assume_scheme": "https"}}


def https_formfield(db_field, **kwargs):
    """formfield_callback for hand-written ModelForms: URLs default to https."""
    return db_field.formfield(**{**URL_AS_HTTPS.get(type(db_field), {}), **kwargs})


# How many referring rows a delete page names per kind of fact.
REFERRERS_SHOWN = 10


def many_to_many_referrers(objs, limit=REFERRERS_SHOWN):
    """Rows that point at any of `objs` through a plain many-to-many link (the facts that
    cite a source, the stacks that compute on a chip): [(model, rows, how many)].

    Deleting would silently drop those links; a delete is refused while they exist.
    Links with their own model (a vehicle model's chip fittings) protect by foreign key.
    """
    found = []
    model = type(objs[0])
    for relation in model._meta.related_objects:
        if not relation.many_to_many or not relation.through._meta.auto_created:
            continue
        referrers = relation.related_model._default_manager.filter(
            **{f"{relation.field.name}__in": objs}
        ).distinct()
        count = referrers.count()
        if count:
            found.append((relation.related_model, list(referrers[:limit]), count))
    return found


class ManyToManyProtectedMixin:
    """The delete page (and the bulk delete action) lists the facts that still link to
    the row through a many-to-many relation, as Django lists protected foreign keys,
    and refuses the delete until they are unlinked."""

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        objs = list(objs)
        if objs:
            for model, rows, count in many_to_many_referrers(objs):
                protected.extend(self.referrer_label(row) for row in rows)
                if count > len(rows):
                    protected.append(
                        f"{capfirst(model._meta.verbose_name_plural)}: {count - len(rows)} more"
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


class CatalogAdmin(ManyToManyProtectedMixin, SimpleHistoryAdmin):
    """Defaults for every catalog entry: slug from the name, sources by autocomplete,
    timestamps read-only, and the change history (who changed what) one click away."""

    autocomplete_fields = ["sources"]
    readonly_fields = ["created", "updated"]
    formfield_overrides = URL_AS_HTTPS
    list_per_page = 50
    show_full_result_count = False
    save_on_top = True
    search_fields = ["slug", "name", "name_zh"]

    def get_prepopulated_fields(self, request, obj=None):
        names = {field.name for field in self.model._meta.fields}
        return {"slug": ["name"]} if "name" in names and obj is None else {}

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        columns = {field.name for field in self.model._meta.concrete_fields}
        record_related_changes(
            form.instance, {name for name in form.changed_data if name not in columns}
        )


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


class SourcedInline(admin.TabularInline):
    """An inline whose rows cite sources and link to their own page."""

    formset = ModelRulesInlineFormSet
    extra = 0
    show_change_link = True
    autocomplete_fields = ["sources"]


@admin.register(Source)
class SourceAdmin(ManyToManyProtectedMixin, SimpleHistoryAdmin):
    list_display = ["title", "publisher", "published_on", "reliability", "url"]
    list_filter = ["reliability", "publisher"]
    search_fields = ["slug", "title", "publisher", "url", "note"]
    date_hierarchy = "published_on"
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["created", "updated"]
    formfield_overrides = URL_AS_HTTPS
    list_per_page = 50


class TokenStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("usable", "Usable"), ("expired", "Expired"), ("revoked", "Revoked")]

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

    @admin.display(boolean=True, description="usable")
    def usable(self, token):
        return token.is_usable and token.user.is_active

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
            f"Token for {token.user}: {raw} (copy it now: only its hash is stored, "
            "so it cannot be shown again)",
            messages.SUCCESS,
        )

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke_tokens(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True).select_related("user"):
            token.revoke()
            self.log_change(request, token, "Revoked.")
            revoked += 1
        noun = "token" if revoked == 1 else "tokens"
        self.message_user(request, f"Revoked {revoked} {noun}.", messages.SUCCESS)


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
    ]
    list_filter = ["action", "channel", "content_type", ("at", admin.DateFieldListFilter)]
    search_fields = ["object_slug", "object_repr", "actor_name"]
    date_hierarchy = "at"
    list_select_related = ["content_type"]
    list_per_page = 100

    @admin.display(description="changed fields")
    def changed(self, record):
        return ", ".join(record.changed_fields)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
