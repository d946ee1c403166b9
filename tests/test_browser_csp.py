"""Every HTML page carries a Content-Security-Policy that allows only the service's own
origin, and still works in a real browser under it: a blocked script or style would be a
console error, which fails the test (tests/browser.py)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POLICY_PARTS = [
    "default-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
]


def assert_own_origin_only(response):
    policy = response.headers["content-security-policy"]
    for part in POLICY_PARTS:
        assert part in policy
    # No other host is named anywhere in the policy.
    assert "http" not in policy


def test_swagger_ui_renders_under_the_policy(visit):
    response = visit.open("/api/docs/")
    assert_own_origin_only(response)
    visit.page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    assert visit.page.locator(".swagger-ui .opblock").count() > 20


def test_redoc_renders_under_the_policy(visit):
    response = visit.open("/api/redoc/")
    assert_own_origin_only(response)
    visit.page.wait_for_selector("h1", timeout=60_000)
    assert "smart-vehicle" in visit.page.locator("h1").first.inner_text()
    # ReDoc's bundle always asks for its attribution logo from its vendor's CDN; the policy
    # stops it in the browser (it never leaves the machine) and ReDoc hides the image.
    blocked = [
        message
        for message in visit.console_errors
        if "https://cdn.redoc.ly/redoc/logo-mini.svg" in message
        and "violates the following Content Security Policy directive" in message
    ]
    assert len(blocked) == len(visit.console_errors) <= 1
    visit.console_errors.clear()


def test_the_admin_sign_in_works_under_the_policy(visit, django_user_model):
    django_user_model.objects.create_superuser("chief", "chief@example.org", "pw-for-tests")
    response = visit.open("/admin/login/")
    assert_own_origin_only(response)
    visit.page.fill("#id_username", "chief")
    visit.page.fill("#id_password", "pw-for-tests")
    visit.page.click("input[type=submit]")
    visit.page.wait_for_selector("#site-name")
    assert visit.page.url.endswith("/admin/")
