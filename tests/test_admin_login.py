"""A guessed password does not get far: after five failed admin sign-ins for one user
name from one address, that pair is refused for a quarter of an hour, with a page that
says so; other users and other addresses are not affected."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

LOGIN = reverse("admin:login")


@pytest.fixture
def clerk(db):
    return User.objects.create_user(username="clerk", password="right-password", is_staff=True)


def sign_in(client, username, password, address="192.0.2.10"):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def fail(client, times, username="clerk", address="192.0.2.10"):
    """Sign in with a wrong password `times` times; the fifth failure is the lockout."""
    for attempt in range(1, times + 1):
        response = sign_in(client, username, "wrong", address)
        if attempt < 5:
            assert response.status_code == 200
            assert (
                "Please enter the correct username and password for a staff account."
                in response.content.decode()
            )
        else:
            assert response.status_code == 429


def test_five_failures_lock_the_user_out_from_that_address_even_with_the_right_password(
    client, clerk
):
    fail(client, 5)
    response = sign_in(client, "clerk", "right-password")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Smart-vehicle ecosystem catalog" in page  # the admin's own header
    assert "Sign-in failed 5 times for this user name from your address." in page
    assert "Further attempts are refused for 15 minutes." in page
    assert f'<a href="{LOGIN}">Back to the sign-in page</a>' in page
    assert "_auth_user_id" not in client.session


def test_four_failures_then_the_right_password_signs_in_and_starts_the_count_again(client, clerk):
    fail(client, 4)
    assert sign_in(client, "clerk", "right-password").status_code == 302
    client.logout()
    fail(client, 4)
    assert sign_in(client, "clerk", "right-password").status_code == 302


def test_the_lock_is_per_user_and_address(client, clerk):
    User.objects.create_user(username="editor", password="editor-password", is_staff=True)
    fail(client, 5)
    assert sign_in(client, "editor", "editor-password").status_code == 302
    client.logout()
    assert sign_in(client, "clerk", "right-password", address="198.51.100.7").status_code == 302


def test_the_lock_ends_after_the_cool_off(client, clerk):
    fail(client, 5)
    assert sign_in(client, "clerk", "right-password").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    assert sign_in(client, "clerk", "right-password").status_code == 302


def test_a_forged_forwarded_address_does_not_escape_the_lock(client, clerk):
    fail(client, 5)
    response = client.post(
        LOGIN,
        {"username": "clerk", "password": "right-password"},
        REMOTE_ADDR="192.0.2.10",
        HTTP_X_FORWARDED_FOR="203.0.113.99",
    )
    assert response.status_code == 429


def test_a_user_name_longer_than_any_is_a_failed_sign_in_and_counted(client, clerk):
    name = "x" * 5000  # Django's sign-in form passes a name of any length on
    for _ in range(4):
        response = sign_in(client, name, "wrong")
        assert response.status_code == 200
        assert "Please enter the correct username and password" in response.content.decode()
    assert sign_in(client, name, "wrong").status_code == 429
    (attempt,) = AccessAttempt.objects.all()
    assert (attempt.username, attempt.failures_since_start) == ("x" * 255, 5)
    assert sign_in(client, "clerk", "right-password").status_code == 302  # others unaffected


@pytest.mark.parametrize(
    ("header", "recorded"),
    [
        ("HTTP_USER_AGENT", "user_agent"),
        ("HTTP_ACCEPT", "http_accept"),
    ],
)
def test_a_header_holding_nul_is_recorded_with_the_failure_written_out(
    client, clerk, header, recorded
):
    response = client.post(
        LOGIN,
        {"username": "clerk", "password": "wrong"},
        REMOTE_ADDR="192.0.2.10",
        **{header: "probe\x00" + "y" * 2000},
    )
    assert response.status_code == 200
    value = getattr(AccessAttempt.objects.get(username="clerk"), recorded)
    assert value.startswith("probe0x00yyy")
    assert len(value) == AccessAttempt._meta.get_field(recorded).max_length
