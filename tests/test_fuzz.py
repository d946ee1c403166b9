"""Schemathesis drives every operation of the committed schema: valid and invalid data,
all default checks, and stateful sequences. No request may yield a 500 or a response
the schema does not describe."""

import os

import pytest
import schemathesis
from django.conf import settings
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis.stateful import run_state_machine_as_test
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode

from catalog.models import ApiToken, token_digest

pytestmark = pytest.mark.fuzz

COMMITTED = settings.BASE_DIR / "openapi.yaml"
# Examples per operation and stateful runs; raise them for a longer hunt
# (FUZZ_EXAMPLES=200 make fuzz).
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
STATEFUL_EXAMPLES = int(os.environ.get("FUZZ_STATEFUL_EXAMPLES", "30"))

# Which data the coverage phase (each parameter's edge values, in turn) sends: "positive"
# (values the schema allows, which reach the database) and "negative" (values it refuses,
# which the filters and serializers turn away first), or "none" to skip the phase. Its
# cases are the same on every database, so CI runs it in the SQLite pass only; what the
# databases take differently is sent to every parameter on both by
# tests/test_reliability.py (a NUL byte, the ends of a 64-bit integer, the first and last
# dates, wildcards and characters outside the Basic Multilingual Plane).
COVERAGE_MODES = os.environ.get("FUZZ_COVERAGE_MODES", "positive,negative").split(",")

config = SchemathesisConfig.from_path(settings.BASE_DIR / "schemathesis.toml")
if COVERAGE_MODES == ["none"]:
    config.projects.default.phases.coverage.enabled = False
else:
    config.projects.default.phases.coverage.generation.modes = [
        GenerationMode(mode) for mode in COVERAGE_MODES
    ]
schema = schemathesis.openapi.from_path(COMMITTED, config=config)
schema.app = get_wsgi_application()


# A fixed value, stored (hashed) anew in each test's database by the `auth` fixture, so
# Schemathesis may cache it across tests.
RAW_TOKEN = "fuzz-superuser-token-for-tests-only"


@schema.auth(refresh_interval=None)
class BearerToken:
    """A superuser's token, so every write is attempted for real (and the auth checks can
    swap it for a bad one)."""

    def get(self, case, context):
        return RAW_TOKEN

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Schemathesis calls the WSGI app directly, so Django's end-of-request handler would
    close the connection inside the test's transaction (PostgreSQL then fails every
    later query). Django's own test client disconnects it the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def auth(world, admin_user):
    ApiToken.objects.create(
        user=admin_user, name="fuzz", prefix=RAW_TOKEN[:8], digest=token_digest(RAW_TOKEN)
    )


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_conforms(case, auth):
    with transaction.atomic():
        case.call_and_validate()
        # Each example starts from the same catalog, so Hypothesis can replay it.
        transaction.set_rollback(True)


def test_stateful_sequences_conform(world, auth):
    """Create, then read, update and delete what was created, following the schema's links."""

    class Workflow(schema.as_state_machine()):
        """Each run of steps starts from the same catalog, so Hypothesis can replay it."""

        def setup(self):
            self.savepoint = transaction.atomic()
            self.savepoint.__enter__()

        def teardown(self):
            transaction.set_rollback(True)
            self.savepoint.__exit__(None, None, None)

    run_state_machine_as_test(
        Workflow,
        settings=hypothesis_settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        ),
    )
