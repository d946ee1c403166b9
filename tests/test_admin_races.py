"""Two members of staff saving at the same moment: the admin's checks pass for both, and
the database refuses the second write (a unique figure, a protected link). The second
one is told so, with nothing of it saved, instead of a server error."""

import contextlib
from unittest import mock

import pytest
from django import forms
from django.contrib.admin import ModelAdmin
from django.contrib.messages import get_messages
from django.urls import reverse

from catalog.admin import ManyToManyProtectedMixin, SlugRuleForm
from catalog.models import CheckedModel, Source
from tests.conftest import deleted_meanwhile
from tests.test_admin import form_data
from tests.test_admin_inlines import change_url, inline_errors, page_data
from vehicles.models import AllianceMembership, Delivery

CONFLICT = (
    "Nothing was saved: another change to the same records was saved at the same moment, "
    "and this one conflicts with it. Look at the page again, then repeat the change if it "
    "still applies."
)

GONE = (
    "This row is no longer stored here: someone deleted or moved it meanwhile. "
    "Reload the page to see the rows as they are."
)


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


@contextlib.contextmanager
def checks_see_nothing():
    """The admin's checks of a new row's keys (the model's constraints, the made slug's
    uniqueness) find no clash, whatever the database holds."""
    with (
        mock.patch.object(CheckedModel, "validate_constraints", return_value=None),
        mock.patch.object(SlugRuleForm, "_post_clean", forms.ModelForm._post_clean),
    ):
        yield


def checks_miss_first_time():
    """checks_see_nothing() on the form's first pass only: as if the other change was saved
    just after this form was checked and just before it was written."""
    original = ModelAdmin._changeform_view
    passes = []

    def changeform(self, *args, **kwargs):
        passes.append(1)
        if len(passes) > 1:
            return original(self, *args, **kwargs)
        with checks_see_nothing():
            return original(self, *args, **kwargs)

    return mock.patch.object(ModelAdmin, "_changeform_view", changeform)


def enter_hima_figure_again(staff_client, world, units, checks):
    """A clerk enters HIMA's November 2025 figure, already stored, with `checks` in force;
    the answer, and whether the number of figures stayed as it was."""
    url = reverse("admin:vehicles_delivery_add")
    data = form_data(staff_client.get(url))
    data.update(alliance=world.hima.pk, month="2025-11", units=units)
    figures = Delivery.objects.count()
    with checks:
        response = staff_client.post(url, data)
    return response, Delivery.objects.count() == figures


def test_a_figure_entered_twice_at_once_is_named_on_the_form_kept_as_typed(world, staff_client):
    response, unchanged = enter_hima_figure_again(
        staff_client, world, 123456, checks_miss_first_time()
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "__all__": ["This alliance already has a total for this month."]
    }
    assert 'name="units" value="123456"' in response.content.decode()
    assert unchanged


def test_a_conflict_the_second_check_misses_too_undoes_everything(world, staff_client):
    response, unchanged = enter_hima_figure_again(staff_client, world, 7, checks_see_nothing())
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:vehicles_delivery_add")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [CONFLICT]
    assert unchanged


def test_a_source_cited_while_it_was_being_deleted_stays(world, staff_client):
    url = reverse("admin:catalog_source_delete", args=[world.src.pk])

    def nothing_protected(self, objs, request):
        return [], {}, set(), []

    with mock.patch.object(ManyToManyProtectedMixin, "get_deleted_objects", nothing_protected):
        response = staff_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert response["Location"] == url
    assert [str(m) for m in get_messages(response.wsgi_request)] == [CONFLICT]
    assert Source.objects.filter(pk=world.src.pk).exists()
    page = staff_client.get(url)
    assert "Cannot delete source" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_row_deleted_while_it_was_being_changed_stays_deleted(admin_client, on_postgres):
    """One person deletes a source while another saves a change to it: the change waits
    for the deletion, then finds the row gone and says so; it does not write it back."""
    source = Source.objects.create(
        slug="short-lived",
        title="Short-lived",
        publisher="Example Press",
        url="https://example.org/x",
    )
    url = reverse("admin:catalog_source_change", args=[source.pk])
    data = form_data(admin_client.get(url))
    data["title"] = "Changed meanwhile"
    with deleted_meanwhile(source):
        response = admin_client.post(url, data)
    assert response.status_code == 302
    assert "Perhaps it was deleted?" in " ".join(
        str(m) for m in get_messages(response.wsgi_request)
    )
    assert not Source.objects.filter(pk=source.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_row_deleted_while_its_inline_was_being_changed_stays_deleted(
    world, admin_client, on_postgres
):
    """One person deletes AITO's HIMA membership on its own page while another saves a
    change to it on HIMA's page: the save waits, finds the row gone and says so; the
    membership is not written back."""
    membership = world.aito_hima
    url = change_url(world.hima)
    data = page_data(admin_client.get(url))
    row = next(
        key
        for key, value in data.items()
        if key.startswith("memberships-") and key.endswith("-id") and value == str(membership.pk)
    )
    data[row.replace("-id", "-note")] = "Changed meanwhile"
    with deleted_meanwhile(membership):
        response = admin_client.post(url, data)
    assert response.status_code == 200
    shown, _ = inline_errors(response, row.split("-")[0])
    assert shown == [(0, [GONE])]
    assert not AllianceMembership.objects.filter(pk=membership.pk).exists()
