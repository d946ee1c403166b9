"""A row's history shows its past versions; restoring one from there is not offered, for
anyone: it saved past what the change form checks, and for users who may only view."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from tests.test_admin_malformed import messages_of
from vehicles.models import Brand


@pytest.fixture
def viewer(client):
    user = User.objects.create_user("viewer", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_brand"))
    client.force_login(user)
    return client


def version_page(brand):
    version = brand.history.earliest("history_date")
    return reverse("admin:vehicles_brand_simple_history", args=[brand.pk, version.history_id])


@pytest.mark.parametrize("who", ["viewer", "admin_client"])
def test_a_past_version_is_shown_and_never_restored(world, request, who):
    client = request.getfixturevalue(who)
    brand = Brand.objects.get(slug="aito")
    before = Brand.objects.filter(pk=brand.pk).values().get()
    page = version_page(brand)
    shown = client.get(page)
    assert shown.status_code == 200
    assert b"Revert" not in shown.content
    response = client.post(
        page, {"name": brand.name, "headquarters": "Changed from the history"}, follow=True
    )
    assert response.redirect_chain == [(page, 302)]
    assert messages_of(response) == [
        "Nothing was saved: a past version is shown here, not restored. Enter the values "
        "to bring back on the row's change form, where every rule is checked."
    ]
    assert Brand.objects.filter(pk=brand.pk).values().get() == before


def test_a_deleted_row_is_not_brought_back_from_its_history(world, viewer):
    brand = Brand.objects.create(slug="gone", name="Gone", group=world.seres)
    page = version_page(brand)
    brand.delete()
    viewer.post(page, {"name": "Gone", "group": world.seres.pk})
    assert not Brand.objects.filter(slug="gone").exists()


def test_a_change_form_sent_back_unchanged_writes_nothing(world, admin_client):
    """Saved with nothing changed, a source got a history row, a change record with no
    fields and a new `updated` (so a new ETag in the API)."""
    from catalog.models import ChangeRecord, Source
    from tests.test_admin import admin_url, form_data

    source = Source.objects.get(pk=world.src.pk)
    url = admin_url("catalog", "source", "change", source.pk)
    versions, records = source.history.count(), ChangeRecord.objects.count()
    response = admin_client.post(url, {**form_data(admin_client.get(url)), "_save": "Save"})
    assert response.status_code == 302
    assert source.history.count() == versions
    assert ChangeRecord.objects.count() == records
    assert Source.objects.get(pk=source.pk).updated == source.updated
