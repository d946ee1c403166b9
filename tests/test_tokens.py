"""Staff issue API tokens in the admin or with `manage.py api_token`, see them once,
and revoke them; the database keeps only a hash, and a revoked or expired token is
refused with 401."""

import datetime
import re
from io import StringIO

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from catalog.models import ApiToken, token_digest
from tests.conftest import user_with

CHANGELIST = reverse("admin:catalog_apitoken_changelist")
ADD = reverse("admin:catalog_apitoken_add")
NEW_BRAND = {"name": "Onvo", "group": "seres"}


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def importer(db):
    """The user a partner app's token acts as: allowed to add brands."""
    return user_with("vehicles.add_brand", username="partner-app")


def add_brand(client, raw):
    return client.post(
        "/api/v1/brands/",
        NEW_BRAND,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )


def assert_refused(response):
    assert response.status_code == 401
    assert response.json() == {
        "status": 401,
        "code": "authentication_failed",
        "detail": "Invalid, expired or revoked token.",
        "errors": {},
    }


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def issue_in_admin(staff_client, user, **fields):
    response = staff_client.post(
        ADD,
        {"user": user.pk, "name": "partner sync", "expires_at_0": "", "expires_at_1": "", **fields},
        follow=True,
    )
    return response


def raw_token_in(messages):
    shown = [re.search(r"Token for \S+: (\S+) \(copy it now", message) for message in messages]
    found = [match.group(1) for match in shown if match]
    assert len(found) == 1, messages
    return found[0]


# -- the admin ------------------------------------------------------------------------


def test_staff_add_a_token_in_the_admin_and_see_it_once(world, staff_client, client, importer):
    response = issue_in_admin(staff_client, importer)

    assert response.status_code == 200
    raw = raw_token_in(messages_of(response))
    token = ApiToken.objects.get(name="partner sync")
    assert (token.user, token.expires_at, token.revoked_at) == (importer, None, None)
    # Only the hash and the first characters are stored, nowhere the token itself.
    assert token.digest == token_digest(raw)
    assert token.prefix == raw[: ApiToken.PREFIX_LENGTH]
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert raw not in [str(value) for value in stored.values()]
    # Shown once: neither the list nor the token's own page shows it again.
    assert raw not in staff_client.get(CHANGELIST).content.decode()
    change_page = staff_client.get(reverse("admin:catalog_apitoken_change", args=[token.pk]))
    assert raw not in change_page.content.decode()
    assert token.digest in change_page.content.decode()

    assert add_brand(client, raw).status_code == 201


def test_staff_give_a_token_an_expiry_in_the_future_only(world, staff_client, importer):
    response = issue_in_admin(
        staff_client, importer, expires_at_0="2020-01-01", expires_at_1="00:00:00"
    )
    assert response.context["adminform"].form.errors == {
        "expires_at": ["Give a moment in the future, or leave empty for no expiry."]
    }

    next_year = timezone.localtime() + datetime.timedelta(days=365)
    issue_in_admin(
        staff_client,
        importer,
        expires_at_0=next_year.strftime("%Y-%m-%d"),
        expires_at_1=next_year.strftime("%H:%M:%S"),
    )
    token = ApiToken.objects.get(name="partner sync")
    assert token.expires_at == next_year.replace(microsecond=0)


def test_an_inactive_user_gets_no_token(world, staff_client, importer):
    importer.is_active = False
    importer.save()
    response = issue_in_admin(staff_client, importer)
    assert response.context["adminform"].form.errors == {
        "user": ["This user is inactive: a token for them would be refused."]
    }
    assert not ApiToken.objects.filter(name="partner sync").exists()


def test_the_revoke_action_makes_the_api_refuse_the_token(world, staff_client, client, importer):
    token, raw = ApiToken.issue(user=importer, name="partner sync")
    assert add_brand(client, raw).status_code == 201

    response = staff_client.post(
        CHANGELIST, {"action": "revoke_tokens", "_selected_action": [token.pk]}, follow=True
    )

    assert "Revoked 1 token." in messages_of(response)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert LogEntry.objects.get(object_id=str(token.pk)).action_flag == CHANGE
    assert_refused(add_brand(client, raw))


def test_a_token_cannot_be_edited_to_change_its_owner_or_digest(world, staff_client, importer):
    token, _ = ApiToken.issue(user=importer, name="partner sync")
    other = user_with(username="someone-else")
    url = reverse("admin:catalog_apitoken_change", args=[token.pk])

    response = staff_client.post(
        url,
        {
            "user": other.pk,
            "name": "renamed",
            "digest": "0" * 64,
            "prefix": "00000000",
            "expires_at_0": "",
            "expires_at_1": "",
        },
    )

    assert response.status_code == 302
    changed = ApiToken.objects.get(pk=token.pk)
    assert (changed.name, changed.user, changed.digest, changed.prefix) == (
        "renamed",
        importer,
        token.digest,
        token.prefix,
    )


def test_the_token_list_shows_state_and_filters_and_searches(world, staff_client, importer):
    usable, _ = ApiToken.issue(user=importer, name="partner sync")
    revoked, _ = ApiToken.issue(user=importer, name="old laptop")
    revoked.revoke()
    expired, _ = ApiToken.issue(user=importer, name="trial")
    ApiToken.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - datetime.timedelta(days=1)
    )

    def listed(**query):
        response = staff_client.get(CHANGELIST, query)
        assert response.status_code == 200
        return sorted(token.name for token in response.context["cl"].result_list)

    assert listed() == ["nightly import", "old laptop", "partner sync", "trial"]
    assert listed(state="usable") == ["nightly import", "partner sync"]
    assert listed(state="revoked") == ["old laptop"]
    assert listed(state="expired") == ["trial"]
    assert listed(q="partner-app") == ["old laptop", "partner sync", "trial"]
    assert listed(q=usable.prefix) == ["partner sync"]
    page = staff_client.get(CHANGELIST).content.decode()
    for column in ("Prefix", "Expires at", "Revoked at", "Last used at", "Usable"):
        assert column in page


def test_every_token_admin_page_opens(world, staff_client):
    token = world.token
    assert staff_client.get(CHANGELIST).status_code == 200
    assert staff_client.get(ADD).status_code == 200
    for view in ("change", "history", "delete"):
        url = reverse(f"admin:catalog_apitoken_{view}", args=[token.pk])
        assert staff_client.get(url).status_code == 200, view


def test_the_user_is_chosen_by_autocomplete(world, staff_client, importer):
    response = staff_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "catalog",
            "model_name": "apitoken",
            "field_name": "user",
            "term": "partner",
        },
    )
    assert [item["text"] for item in response.json()["results"]] == ["partner-app"]


# -- manage.py api_token --------------------------------------------------------------


def api_token(*args):
    """Run the command; its output as a list of lines."""
    out = StringIO()
    call_command("api_token", *args, stdout=out)
    return out.getvalue().splitlines()


def test_create_prints_the_token_once_and_stores_its_hash(world, client, importer):
    lines = api_token("create", "partner-app", "--name", "partner sync")

    token = ApiToken.objects.get(name="partner sync")
    raw = lines[-1]
    assert lines[:-1] == [
        f"Created token {token.prefix} (id {token.pk}) 'partner sync' for partner-app, "
        "expires never.",
        "The token, shown only this once (only its hash is stored):",
    ]
    assert (token.digest, token.user, token.expires_at) == (token_digest(raw), importer, None)
    assert add_brand(client, raw).status_code == 201


def test_create_with_an_expiry(world, importer):
    api_token("create", "partner-app", "--name", "trial", "--expires-in-days", "30")
    token = ApiToken.objects.get(name="trial")
    expected = timezone.now() + datetime.timedelta(days=30)
    assert abs(token.expires_at - expected) < datetime.timedelta(minutes=1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "ghost", "--name", "x"], "No user 'ghost'."),
        (["create", "partner-app"], "the following arguments are required: --name"),
        (["create", "partner-app", "--name", "x", "--expires-in-days", "0"], "at least 1"),
        (["revoke", "zzzzzzzz"], "No token with prefix or id 'zzzzzzzz'"),
        (["revoke", "999999"], "No token with prefix or id '999999'"),
        (["list", "--user", "ghost"], "No user 'ghost'."),
        (["rotate"], "invalid choice: 'rotate'"),
    ],
)
def test_the_command_says_clearly_what_is_wrong(world, importer, args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        api_token(*args)


def test_create_refuses_an_inactive_user(world, importer):
    importer.is_active = False
    importer.save()
    with pytest.raises(CommandError, match="is inactive"):
        api_token("create", "partner-app", "--name", "x")


@pytest.mark.parametrize("by", ["prefix", "id"])
def test_revoke_by_prefix_or_id_makes_the_api_refuse_the_token(world, client, importer, by):
    token, raw = ApiToken.issue(user=importer, name="partner sync")
    key = token.prefix if by == "prefix" else str(token.pk)

    assert api_token("revoke", key) == [f"Revoked token {token}."]

    assert_refused(add_brand(client, raw))
    token.refresh_from_db()
    revoked_at = token.revoked_at
    assert revoked_at is not None
    # Revoking again changes nothing and says so.
    assert api_token("revoke", key)[0].startswith(f"Token {token} was already revoked at ")
    token.refresh_from_db()
    assert token.revoked_at == revoked_at


def test_list_shows_every_token_but_never_the_token(world, importer):
    token, raw = ApiToken.issue(user=importer, name="partner sync")
    expired, _ = ApiToken.issue(user=importer, name="trial")
    ApiToken.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - datetime.timedelta(days=1)
    )

    lines = api_token("list")

    assert lines[0].split() == [
        "id",
        "prefix",
        "name",
        "user",
        "created",
        "expires_at",
        "revoked_at",
        "last_used_at",
        "state",
    ]
    assert len(lines) == 4  # the world's token and the two above
    assert any(line.startswith(f"{token.pk} ") and token.prefix in line for line in lines)
    assert lines[-1].endswith("expired")
    text = "\n".join(lines)
    assert raw not in text
    assert token.digest not in text
    [only] = api_token("list", "--user", "importer")[1:]
    assert " nightly import " in only


def test_list_without_tokens(db):
    assert api_token("list") == ["No tokens."]


# -- what the API does with such tokens -----------------------------------------------


def test_an_expired_token_is_refused(world, client, importer):
    token, raw = ApiToken.issue(user=importer, name="partner sync")
    assert add_brand(client, raw).status_code == 201
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert_refused(add_brand(client, raw))


def test_a_token_of_a_deactivated_user_is_refused(world, client, importer):
    _, raw = ApiToken.issue(user=importer, name="partner sync")
    importer.is_active = False
    importer.save()
    assert_refused(add_brand(client, raw))


def test_a_token_is_marked_used(world, client, importer):
    token, raw = ApiToken.issue(user=importer, name="partner sync")
    add_brand(client, raw)
    token.refresh_from_db()
    assert token.last_used_at is not None
