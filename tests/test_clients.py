"""Partner apps generate their clients from openapi.yaml and use them with no hand fixes.

From the committed document the suite generates a Python client (openapi-python-client)
and a TypeScript one (openapi-typescript types for openapi-fetch), type-checks a partner's
session written against each (mypy --strict, tsc --strict), and runs both sessions against
a live server holding the test world. The linters the field uses (Redocly's recommended
rules, Spectral's spectral:oas) must report nothing.

Needs the npm tooling: `npm ci` in tests/clients (the tests say so when it is missing).
"""

import os
import re
import shutil
import subprocess
import sys

import pytest
from django.conf import settings

from catalog.models import ApiToken
from tests.conftest import user_with

pytestmark = [pytest.mark.clients, pytest.mark.django_db(transaction=True)]

CLIENTS = settings.BASE_DIR / "tests" / "clients"
DOCUMENT = settings.BASE_DIR / "openapi.yaml"
BIN = settings.BASE_DIR / ".venv" / "bin"
NPX_BIN = CLIENTS / "node_modules" / ".bin"


def run(*command, cwd=CLIENTS, env=None, timeout=300):
    """Run a tool; returns what it printed (both streams); a failure shows it."""
    done = subprocess.run(  # noqa: S603 (the suite's own pinned tools, fixed arguments)
        [str(part) for part in command],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{' '.join(map(str, command))}\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def tool(name):
    """A command from the pinned npm tooling in tests/clients."""
    path = NPX_BIN / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run `npm ci` in tests/clients")
    return path


def python_tool(name):
    """A command installed in the project's virtualenv (else on PATH)."""
    path = BIN / name
    return path if path.exists() else shutil.which(name)


@pytest.fixture(scope="module")
def python_client(tmp_path_factory):
    """catalog_client, generated from the committed document into a scratch folder."""
    folder = tmp_path_factory.mktemp("python-client")
    run(
        python_tool("openapi-python-client"),
        "generate",
        "--path",
        DOCUMENT,
        "--meta",
        "none",
        "--config",
        CLIENTS / "openapi-python-client.yaml",
        "--output-path",
        folder / "catalog_client",
        # The generator formats its output with ruff, which lives in the virtualenv.
        env={"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    shutil.copy(CLIENTS / "python_session.py", folder)
    return folder


@pytest.fixture(scope="module")
def typescript_client():
    """The document's types (openapi-typescript) and the session compiled by tsc --strict."""
    generated = CLIENTS / "generated"
    shutil.rmtree(generated, ignore_errors=True)
    run(tool("openapi-typescript"), DOCUMENT, "--output", generated / "schema.d.ts")
    run(tool("tsc"), "--project", CLIENTS / "tsconfig.json")
    return generated / "dist" / "typescript_session.js"


@pytest.fixture
def partner(world, live_server):
    """The live server's address and a token allowed to add, change and delete brands."""
    user = user_with(
        "vehicles.add_brand", "vehicles.change_brand", "vehicles.delete_brand", username="partner"
    )
    _, raw = ApiToken.issue(user=user, name="partner app")
    return live_server.url, raw


def test_the_document_passes_redocly_and_spectral_with_no_warning():
    redocly = run(
        tool("redocly"),
        "lint",
        "--config",
        CLIENTS / "redocly.yaml",
        DOCUMENT,
        env={"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"},
    )
    assert "Your API description is valid" in redocly
    assert re.search(r"\d+ (warning|error)s?\b", redocly) is None, redocly
    spectral = run(
        tool("spectral"),
        "lint",
        "--ruleset",
        CLIENTS / ".spectral.yaml",
        "--fail-severity=hint",
        DOCUMENT,
    )
    assert "No results with a severity of 'hint' or higher found!" in spectral


def test_a_python_partner_app_needs_nothing_but_the_generated_client(python_client, partner):
    session = python_client / "python_session.py"
    source = session.read_text()
    for escape in ("cast(", "# type: ignore", "import httpx", "Any"):
        assert escape not in source, escape
    # The session is checked strictly; the generated package is read for its types.
    run(
        python_tool("mypy"),
        "--strict",
        "--follow-imports=silent",
        "--no-incremental",
        "--cache-dir=/dev/null",
        session,
        cwd=python_client,
    )
    output = run(sys.executable, session, *partner, cwd=python_client)
    assert output.strip() == "python session: ok"


def test_a_typescript_partner_app_needs_nothing_but_the_generated_types(typescript_client, partner):
    source = (CLIENTS / "typescript_session.ts").read_text()
    for escape in (" as ", "<any>", "@ts-", "fetch("):
        assert escape not in source, escape
    output = run("node", typescript_client, *partner)
    assert output.strip() == "typescript session: ok"
