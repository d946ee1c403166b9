"""In production (DEBUG off) the service passes Django's deployment checks, sends the
security headers, sends http to https, refuses to start without a secret key, and
the repository holds no secret.

These run the real settings module in a fresh process, as gunicorn would, because
tests/settings.py relaxes some of it (plain http, a fixed test key).
"""

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "catalog.example.org"


def production_env(**overrides):
    """The environment of a production worker: only what the README says to set."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "THROTTLE_")) and name != "REDIS_URL"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="catalog.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=HOST,
    )
    env.update(overrides)
    return {name: value for name, value in env.items() if value is not None}


def run(args, env):
    return subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_deployment_checks_report_nothing():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "WARNING" not in result.stderr


# Requests made inside a production process; no database is touched.
PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client

client = Client(headers={"host": settings.ALLOWED_HOSTS[0]})
def seen(response):
    return {"status": response.status_code, "headers": dict(response.headers)}

print(json.dumps({
    "debug": settings.DEBUG,
    "cookies_secure": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],
    "https": seen(client.get("/api/v1/", secure=True)),
    "http": seen(client.get("/api/v1/brands/?q=x")),
    "proxied": seen(client.get("/api/v1/", headers={"x-forwarded-proto": "https"})),
}))
"""


@pytest.fixture(scope="module")
def production_responses():
    result = run(["-c", PROBE], production_env(DJANGO_SECURE_PROXY_SSL_HEADER="1"))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@pytest.mark.parametrize("page", ["https", "proxied"])
def test_production_responses_carry_the_security_headers(production_responses, page):
    response = production_responses[page]
    assert response["status"] == 200
    assert {name: response["headers"].get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS


def test_production_sends_http_to_https(production_responses):
    assert production_responses["http"]["status"] == 301
    assert production_responses["http"]["headers"]["Location"] == (
        f"https://{HOST}/api/v1/brands/?q=x"
    )


def test_production_runs_without_debug_and_with_secure_cookies(production_responses):
    assert production_responses["debug"] is False
    assert production_responses["cookies_secure"] == [True, True]


@pytest.mark.parametrize("debug", [None, "0", "false"])
@pytest.mark.parametrize("key", [None, ""])
def test_without_a_secret_key_the_service_refuses_to_start(debug, key):
    result = run(["manage.py", "check"], production_env(DJANGO_SECRET_KEY=key, DJANGO_DEBUG=debug))
    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured: DJANGO_SECRET_KEY is not set." in (
        result.stderr
    )


def test_in_development_it_starts_without_a_secret_key():
    result = run(["manage.py", "check"], production_env(DJANGO_SECRET_KEY=None, DJANGO_DEBUG="1"))
    assert result.returncode == 0, result.stderr


# -- nothing secret in the repository ----------------------------------------------------

SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "Django generated key": re.compile(r"django-insecure-[^\s'\"]{20}"),
    "password in a URL": re.compile(r"[a-z+]+://[^/\s:@]+:(?!password@)[^/\s:@]+@"),
    "literal secret key": re.compile(
        r"SECRET_KEY\s*=\s*['\"](?!insecure-development-key)[^'\"]{8,}['\"]"
    ),
}
SECRET_FILES = re.compile(r"(^|/)(\.env(\..*)?|.*\.(pem|key|p12|sqlite3)|id_[a-z0-9]+)$")


def tracked_files():
    if shutil.which("git") is None or not (BASE_DIR / ".git").exists():
        pytest.skip("needs a git checkout")
    listed = subprocess.run(
        ["git", "ls-files", "-z"],  # noqa: S607 (git from PATH, as a developer runs it)
        cwd=BASE_DIR,
        capture_output=True,
        check=True,
    )
    return [name for name in listed.stdout.decode().split("\0") if name]


def test_the_repository_holds_no_secrets():
    names = tracked_files()
    assert [name for name in names if SECRET_FILES.search(name)] == []
    found = []
    for name in names:
        path = BASE_DIR / name
        if not path.is_file() or path.stat().st_size > 5_000_000:
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        found += [
            f"{name}: {what}" for what, pattern in SECRET_PATTERNS.items() if pattern.search(text)
        ]
    assert found == []
