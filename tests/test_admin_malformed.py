"""An admin URL or form sent with an id that cannot be one (a hand-edited address, a
tampered form) is answered as no row's: the page says so and nothing changes, on every
model admin, the catalog's and its libraries' (users, groups, sign-in records) alike."""

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.db import models
from django.urls import reverse

from catalog.admin import HistoryAdmin
from tests.test_admin import admin_url
from vehicles.models import Brand

MALFORMED = ["x", "1e5", "%s", "1\x00", "99999999999999999999", "-99999999999999999999"]
# Every admin with actions (the change log is read-only: its list has none).
ACTION_ADMINS = sorted(
    (model._meta.app_label, model._meta.model_name)
    for model in admin.site._registry
    if model._meta.label != "catalog.ChangeRecord"
)
HISTORY_ADMINS = sorted(
    (model._meta.app_label, model._meta.model_name)
    for model, model_admin in admin.site._registry.items()
    if isinstance(model_admin, HistoryAdmin)
)


def registered(app_label, model_name):
    return next(
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if (model._meta.app_label, model._meta.model_name) == (app_label, model_name)
    )


def messages_of(response):
    """The messages the page shows (and so no longer keeps for the next one)."""
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize(("app_label", "model_name"), ACTION_ADMINS)
def test_an_action_on_a_malformed_id_changes_nothing_and_names_it(
    world, staff_client, app_label, model_name
):
    model, _ = registered(app_label, model_name)
    rows = model._default_manager.count()
    changelist = admin_url(app_label, model_name, "changelist")
    for value in MALFORMED:
        for confirmed in ({}, {"post": "yes"}):
            response = staff_client.post(
                changelist,
                {"action": "delete_selected", ACTION_CHECKBOX_NAME: [value], **confirmed},
                follow=True,
            )
            assert response.redirect_chain == [(changelist, 302)]
            assert messages_of(response) == [
                f"{value!r} is not the id of any {model._meta.verbose_name}: tick the rows "
                "in the list. No items have been changed."
            ]
    assert model._default_manager.count() == rows


def test_an_action_names_every_malformed_id_among_good_ones(world, staff_client):
    changelist = admin_url("vehicles", "brand", "changelist")
    response = staff_client.post(
        changelist,
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [str(world.aito.pk), "x", "y"]},
        follow=True,
    )
    assert messages_of(response) == [
        "'x', 'y' are not ids of any brand: tick the rows in the list. No items have been changed."
    ]
    # Well-formed ids alone reach the action as before: its confirmation page.
    confirm = staff_client.post(
        changelist, {"action": "delete_selected", ACTION_CHECKBOX_NAME: [str(world.aito.pk)]}
    )
    assert confirm.status_code == 200
    assert confirm.context["queryset"].get() == world.aito


@pytest.mark.parametrize(("app_label", "model_name"), HISTORY_ADMINS)
def test_a_history_page_with_a_malformed_id_is_not_found(
    world, staff_client, app_label, model_name
):
    model, _ = registered(app_label, model_name)
    row = model._default_manager.first()
    version = row.history.first() if row is not None else None
    for value in MALFORMED:
        assert (
            staff_client.get(admin_url(app_label, model_name, "history", value)).status_code == 404
        )
        if row is None:
            continue
        pages = [
            reverse(f"admin:{app_label}_{model_name}_simple_history", args=[row.pk, value]),
            reverse(f"admin:{app_label}_{model_name}_simple_history", args=[value, version.pk]),
        ]
        for page in pages:
            assert staff_client.get(page).status_code == 404
            assert staff_client.post(page, {"name": "changed"}).status_code == 404
    if row is not None:
        # A well-formed version of the row still opens.
        good = reverse(f"admin:{app_label}_{model_name}_simple_history", args=[row.pk, version.pk])
        assert staff_client.get(good).status_code == 200


AUTOCOMPLETE_ADMINS = sorted(
    (model._meta.app_label, model._meta.model_name)
    for model, model_admin in admin.site._registry.items()
    if model_admin.autocomplete_fields and model._meta.app_label != "auth"
)


@pytest.mark.parametrize(("app_label", "model_name"), AUTOCOMPLETE_ADMINS)
def test_a_form_sent_back_with_malformed_related_ids_names_each_field(
    world, staff_client, app_label, model_name
):
    model, model_admin = registered(app_label, model_name)
    fields = list(model_admin.autocomplete_fields)
    rows = model._default_manager.count()
    for value in MALFORMED:
        # As the add form's initial values (a link may carry them), then as sent back.
        if "\x00" not in value:
            initial = staff_client.get(admin_url(app_label, model_name, "add"), {fields[0]: value})
            assert initial.status_code == 200, value
        response = staff_client.post(
            admin_url(app_label, model_name, "add"), dict.fromkeys(fields, value)
        )
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors
        assert set(fields) <= set(errors), (value, errors)
    assert model._default_manager.count() == rows


def test_an_export_with_a_filter_the_list_has_not_exports_nothing_and_says_so(world, staff_client):
    export = admin_url("vehicles", "vehiclemodel", "export")
    for query in ({"format": "x"}, {"colour": "red"}):
        response = staff_client.get(export, query, follow=True)
        assert response.redirect_chain == [
            (admin_url("vehicles", "vehiclemodel", "changelist"), 302)
        ]
        (message,) = messages_of(response)
        assert message.startswith("Nothing was exported: the list has no such filter (")
        assert f"'{next(iter(query))}'" in message
    # A filter the list has still narrows the rows exported.
    assert staff_client.get(export, {"powertrain__exact": "bev"}).status_code == 200


FILTERED_ADMINS = sorted(
    (model._meta.app_label, model._meta.model_name)
    for model, model_admin in admin.site._registry.items()
    if model_admin.list_filter
)
DATED_ADMINS = sorted(
    (model._meta.app_label, model._meta.model_name)
    for model, model_admin in admin.site._registry.items()
    if model_admin.date_hierarchy
)


def filter_parameters(response):
    return sorted(
        {
            name
            for spec in response.context["cl"].filter_specs
            for name in spec.expected_parameters()
        }
    )


@pytest.mark.parametrize(("app_label", "model_name"), FILTERED_ADMINS)
def test_a_list_filtered_by_a_value_holding_nul_is_one_the_admin_cannot_filter(
    world, staff_client, app_label, model_name
):
    changelist = admin_url(app_label, model_name, "changelist")
    for name in filter_parameters(staff_client.get(changelist)):
        response = staff_client.get(changelist, {name: "a\x00b"}, follow=True)
        assert response.redirect_chain == [(f"{changelist}?e=1", 302)], name
        assert messages_of(response) == [
            "The list cannot be filtered as asked (a filter value holds a NUL character): "
            "shown unfiltered."
        ]


@pytest.mark.parametrize(("app_label", "model_name"), DATED_ADMINS)
def test_a_list_dated_past_the_calendar_is_one_the_admin_cannot_filter(
    world, staff_client, app_label, model_name
):
    _, model_admin = registered(app_label, model_name)
    field = model_admin.date_hierarchy
    changelist = admin_url(app_label, model_name, "changelist")
    for year, month, day in [("99999999999999999999", "1", "1"), ("9999", "12", "31")]:
        response = staff_client.get(
            changelist,
            {f"{field}__year": year, f"{field}__month": month, f"{field}__day": day},
            follow=True,
        )
        assert response.redirect_chain == [(f"{changelist}?e=1", 302)]
        (message,) = messages_of(response)
        assert message.startswith("The list cannot be filtered as asked (")
    assert staff_client.get(changelist, {f"{field}__year": "2025"}).status_code == 200


# A single value of each kind of field, which a range lookup wants two of.
ONE_VALUE = [
    (models.DateTimeField, "2024-01-01 00:00"),
    (models.DateField, "2024-01-01"),
    (models.IntegerField, "1"),  # the auto ids too
    (models.CharField, "a"),
]


def failing_lookups(model):
    """Lookups on the model's own fields that Django accepts as it builds the filter but
    whose query fails as it is compiled or run, each with words the message must hold.
    (Django refuses lookups on a user's password itself, with a 400.)"""
    for field in model._meta.concrete_fields:
        if field.is_relation or field.choices or field.name == "password":
            continue
        for kind, one in ONE_VALUE:
            if isinstance(field, kind):
                for value in (one, f"{one},{one},{one}"):
                    yield (
                        {f"{field.name}__range": value},
                        f"{field.name}__range is a range: give its two ends separated by a comma",
                    )
                break
        if isinstance(field, models.DateField):  # DateTimeField too
            for lookup in ("year", "iso_year", "year__gt"):
                yield {f"{field.name}__{lookup}": "99999"}, "99999"
        # SQLite runs a regular expression on rows alone: a list with none never fails.
        if isinstance(field, models.CharField) and model._default_manager.exists():
            yield {f"{field.name}__regex": "("}, ""


@pytest.mark.parametrize(("app_label", "model_name"), ACTION_ADMINS)
def test_a_list_filtered_by_a_lookup_its_query_cannot_run_is_shown_unfiltered(
    world, staff_client, app_label, model_name
):
    """Django lets a list's address filter by any lookup on a field of the row's own, and
    checks the lookup as it builds it; some fail only once the query runs (a year past
    the calendar, a range of one value, a regular expression the database cannot read).
    Each is answered as a filter the list cannot apply, the message saying why."""
    model, _ = registered(app_label, model_name)
    changelist = admin_url(app_label, model_name, "changelist")
    for query, why in failing_lookups(model):
        response = staff_client.get(changelist, query, follow=True)
        assert response.redirect_chain == [(f"{changelist}?e=1", 302)], query
        (message,) = messages_of(response)
        assert message.startswith("The list cannot be filtered as asked ("), query
        assert why in message, (query, message)
    assert staff_client.get(changelist).status_code == 200


def test_a_list_filtered_by_a_regular_expression_still_filters(world, staff_client):
    changelist = admin_url("vehicles", "brand", "changelist")
    response = staff_client.get(changelist, {"slug__regex": "^ai(to)?$"})
    assert [brand.slug for brand in response.context["cl"].result_list] == ["aito"]


def test_a_list_asked_for_a_filter_it_has_not_says_so_over_the_whole_list(world, staff_client):
    changelist = admin_url("vehicles", "brand", "changelist")
    response = staff_client.get(changelist, {"colour": "red"}, follow=True)
    assert response.redirect_chain == [(f"{changelist}?e=1", 302)]
    (message,) = messages_of(response)
    assert message.startswith(
        "The list cannot be filtered as asked (Cannot resolve keyword 'colour' into field."
    )
    assert message.endswith("): shown unfiltered.")
    assert len(response.context["cl"].result_list) == Brand.objects.count()
