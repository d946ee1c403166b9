"""Headless Chromium against the live test server, for tests marked `browser`.

Debian's Chromium (`/usr/bin/chromium`) driven by Playwright: Playwright's own browser
download cannot run here, and the service must work offline anyway. Every page a test opens
records each request it made and each console error it printed; a request to any host but
the live server's is refused before it leaves the machine and fails the test.

`SCREENSHOTS_DIR=screenshots` (as `make screenshots` sets it) makes `Visit.screenshot()`
save full-page PNGs there; without it, screenshots are skipped.
"""

import os
import pathlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.db import connections

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Visit:
    """A Playwright page on the live server, with what it asked for and what it complained of."""

    page: object
    origin: str
    requests: list = field(default_factory=list)
    foreign_requests: list = field(default_factory=list)
    console_errors: list = field(default_factory=list)

    def open(self, path):
        """Load `path` on the live server; returns the main document's response."""
        response = self.page.goto(self.origin + path)
        self.page.wait_for_load_state("networkidle")
        return response

    def screenshot(self, name):
        """Save a full-page PNG as $SCREENSHOTS_DIR/<name>.png when that is set."""
        folder = os.environ.get("SCREENSHOTS_DIR")
        if folder:
            path = pathlib.Path(folder)
            path.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=path / f"{name}.png", full_page=True)

    def assert_clean(self):
        """No console error, and nothing asked of another host."""
        assert self.console_errors == []
        assert self.foreign_requests == []


@pytest.fixture
def chromium(live_server):
    """A headless Chromium for one test.

    Playwright's synchronous API leaves its event loop marked as running in this thread for
    as long as it is started, and Django refuses ORM calls there (SynchronousOnlyOperation).
    So the browser lives only inside the test, after the live server and its database are
    set up and before they are torn down, and only browser tests lift the check.
    """
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"{CHROMIUM} not found: install Debian's chromium and chromium-driver (see .ci/run)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # Database connections the test opened while Playwright's loop ran are kept where
        # only this context sees them: closed here, or PostgreSQL refuses to drop the test
        # database at the end ("is being accessed by other users").
        connections.close_all()


@pytest.fixture
def visit(chromium, live_server, monkeypatch):
    """A fresh browser context on the live server; fails the test on foreign requests or
    console errors."""
    # The test's own ORM calls are plain synchronous ones, whatever Playwright's loop says.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    origin = live_server.url
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    result = Visit(page=page, origin=origin)
    own_host = urlsplit(origin).netloc

    def route(route):
        url = route.request.url
        if urlsplit(url).netloc == own_host or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            result.foreign_requests.append(url)
            route.abort()

    context.route("**/*", route)
    page.on("request", lambda request: result.requests.append(request.url))
    page.on(
        "console",
        lambda message: message.type == "error" and result.console_errors.append(message.text),
    )
    page.on("pageerror", lambda error: result.console_errors.append(str(error)))
    yield result
    context.close()
    result.assert_clean()


def log_in(visit, user):
    """Give the browser a logged-in session for `user` (as the admin's login would)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    visit.page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": visit.origin}]
    )
