"""A client that sends too many requests is told to wait (429 with Retry-After), and the
count is the same whichever worker serves it, because the workers share the cache."""

import json
import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache.backends.redis import RedisCache
from django.test import RequestFactory, override_settings
from rest_framework.views import APIView

from catalog import throttling as throttling_module
from catalog.models import ApiToken
from catalog.throttling import AnonRateThrottle, Leases, SharedCounterMixin, UserRateThrottle
from tests.conftest import user_with

BASE_DIR = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/0"
# 15 seconds into a one-minute window, so a full minute's wait would be 45 seconds.
WINDOW_START = 60 * 29_000_000
NOW = WINDOW_START + 15


class StoppedClock:
    """Time as the throttles read it, moved on by hand: `clock.now += seconds`."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    clock = StoppedClock(NOW)
    with mock.patch.object(SharedCounterMixin, "timer", clock):
        yield clock


@contextmanager
def throttled_api(**rest_framework):
    """The API as production runs it: the project's throttles on, here at low rates.

    tests/settings.py turns throttling off, and DRF fixes each view's throttle classes
    when the view is defined, so they are put back on APIView itself.
    """
    rates = {"anon": "3/minute", "user": "5/minute"}
    with (
        override_settings(
            CACHES={
                **settings.CACHES,
                "throttle": {
                    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                    "LOCATION": f"throttle-test-{uuid.uuid4()}",
                },
            },
            REST_FRAMEWORK={
                **settings.REST_FRAMEWORK,
                "DEFAULT_THROTTLE_RATES": rates,
                **rest_framework,
            },
        ),
        mock.patch.object(APIView, "throttle_classes", [AnonRateThrottle, UserRateThrottle]),
    ):
        yield


@pytest.fixture
def throttling(clock):
    with throttled_api():
        yield clock


def read_brands(client, **headers):
    return client.get("/api/v1/brands/", **headers)


def assert_throttled(response, wait):
    assert response.status_code == 429
    assert response["Retry-After"] == str(wait)
    assert response.json() == {
        "status": 429,
        "code": "throttled",
        "detail": f"Request was throttled. Expected available in {wait} seconds.",
        "errors": {},
    }


def test_an_anonymous_client_over_the_rate_is_told_to_wait(world, client, throttling):
    for _ in range(3):
        assert read_brands(client).status_code == 200

    assert_throttled(read_brands(client), wait=45)
    throttling.now += 30
    assert_throttled(read_brands(client), wait=15)
    # A new window: the client may read again.
    throttling.now += 15
    assert read_brands(client).status_code == 200


def test_a_token_user_has_its_own_higher_rate(world, client, throttling):
    _, raw = ApiToken.issue(user=user_with(username="researcher"), name="laptop")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    for _ in range(3):
        read_brands(client)
    assert read_brands(client).status_code == 429  # anonymous, same address

    for _ in range(5):
        assert read_brands(client, **auth).status_code == 200
    assert_throttled(read_brands(client, **auth), wait=45)


def test_an_anonymous_client_is_held_to_the_anonymous_rate_alone(world, client, clock):
    """Counted once, by address, against THROTTLE_ANON_RATE, whatever the users' rate."""
    with throttled_api(DEFAULT_THROTTLE_RATES={"anon": "5/minute", "user": "2/minute"}):
        assert [read_brands(client).status_code for _ in range(6)] == [200] * 5 + [429]


def test_a_forged_forwarded_for_header_does_not_reset_the_count(world, client, throttling):
    for number in range(3):
        assert read_brands(client, HTTP_X_FORWARDED_FOR=f"10.0.0.{number}").status_code == 200
    assert read_brands(client, HTTP_X_FORWARDED_FOR="10.0.0.99").status_code == 429


def test_behind_a_trusted_proxy_clients_are_counted_by_forwarded_address(world, client, clock):
    with throttled_api(NUM_PROXIES=1):
        for _ in range(3):
            assert read_brands(client, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 200
        assert read_brands(client, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
        # The proxy appends the address it saw; what the client wrote before it is ignored.
        forged = "198.51.100.1, 203.0.113.7"
        assert read_brands(client, HTTP_X_FORWARDED_FOR=forged).status_code == 429
        assert read_brands(client, HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 200


def test_an_unreachable_throttle_cache_lets_requests_through(world, client, throttling, caplog):
    """Redis down: the service keeps answering, and says so once per interval, without a
    traceback per request."""
    broken = RedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})
    with (
        mock.patch.object(SharedCounterMixin, "cache", broken),
        mock.patch.dict(throttling_module._last_warning, {"at": None}),
    ):
        for _ in range(5):
            assert read_brands(client).status_code == 200
    warnings = [r for r in caplog.records if "Throttle cache unavailable" in r.getMessage()]
    assert len(warnings) == 1
    assert (warnings[0].levelname, warnings[0].exc_info) == ("WARNING", None)
    assert "once per 60 s" in warnings[0].getMessage()


def test_wrong_tokens_count_against_the_address(world, client, throttling):
    """Guessing tokens is throttled like any anonymous traffic from that address."""
    wrong = {"HTTP_AUTHORIZATION": "Bearer not-a-real-token"}
    for _ in range(3):
        assert read_brands(client, **wrong).status_code == 401
    assert_throttled(read_brands(client, **wrong), wait=45)
    # The same address reading anonymously has used up its rate too.
    assert read_brands(client).status_code == 429


def test_rates_and_classes_come_from_the_environment():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "catalog.settings",
        "DJANGO_DEBUG": "1",
        "THROTTLE_ANON_RATE": "7/minute",
        "THROTTLE_USER_RATE": "70/hour",
        "THROTTLE_NUM_PROXIES": "2",
        "REDIS_URL": "redis://cache.internal:6379/1",
    }
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "r = s.REST_FRAMEWORK; "
        "print(json.dumps([r['DEFAULT_THROTTLE_CLASSES'], r['DEFAULT_THROTTLE_RATES'], "
        "r['NUM_PROXIES'], s.CACHES['throttle']['BACKEND'], s.CACHES['throttle']['LOCATION']]))"
    )
    result = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(result.stdout) == [
        ["catalog.throttling.AnonRateThrottle", "catalog.throttling.UserRateThrottle"],
        {"anon": "7/minute", "user": "70/hour"},
        2,
        "django.core.cache.backends.redis.RedisCache",
        "redis://cache.internal:6379/1",
    ]


# -- shared by workers through Redis ---------------------------------------------------


@pytest.fixture
def redis_workers():
    """Two cache clients with their own connections to the real Redis, as two workers
    (or two machines) have; skipped when no Redis listens on 127.0.0.1:6379."""
    raw = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        raw.ping()
    except redis.exceptions.RedisError:
        pytest.skip("needs Redis at 127.0.0.1:6379")
    prefix = f"catalog-throttle-test-{uuid.uuid4()}"
    workers = [RedisCache(REDIS_URL, {"KEY_PREFIX": prefix}) for _ in range(2)]
    yield SimpleNamespace(workers=workers, counters=lambda: list(raw.scan_iter(f"{prefix}:*")))
    for key in raw.scan_iter(f"{prefix}:*"):
        raw.delete(key)
    raw.close()


def test_workers_share_the_count_through_redis(world, client, throttling, redis_workers):
    first, second = redis_workers.workers

    def served_by(worker):
        with mock.patch.object(SharedCounterMixin, "cache", worker):
            return read_brands(client)

    assert [served_by(worker).status_code for worker in (first, second, first)] == [200] * 3
    assert redis_workers.counters()  # the count is in Redis, not in either process
    # Each worker alone has seen fewer than three requests; together they have seen three.
    assert_throttled(served_by(second), wait=45)
    assert_throttled(served_by(first), wait=45)


# -- counts taken in leases ---------------------------------------------------------------

LEASED_RATE = {"anon": "400/minute", "user": "5/minute"}  # leases of 4 counts
CLIENT = "203.0.113.7"
COUNTER = f"throttle_anon_{CLIENT}_{NOW // 60}"


def anonymous_request():
    request = RequestFactory().get("/api/v1/brands/", REMOTE_ADDR=CLIENT)
    request.user = AnonymousUser()
    return request


def served(worker):
    """Whether a worker, (its cache client, the leases its process holds), lets the
    client's next request through."""
    cache, leases = worker
    with (
        mock.patch.object(SharedCounterMixin, "cache", cache),
        mock.patch.object(throttling_module, "LEASES", leases),
    ):
        return AnonRateThrottle().allow_request(anonymous_request(), None)


def test_a_worker_takes_counts_in_leases_and_gives_the_client_its_whole_rate(world, clock):
    with throttled_api(DEFAULT_THROTTLE_RATES=LEASED_RATE):
        worker = (throttling_module.SharedCounterMixin.cache, Leases())
        assert [served(worker) for _ in range(5)] == [True] * 5
        # Two leases of four counts: two trips to the cache for five requests.
        assert worker[0].get(COUNTER) == 8
        answers = [served(worker) for _ in range(400)]
        assert answers.count(True) == 395  # 400 in all, then refused
        assert answers[-5:] == [False] * 5


def test_workers_taking_leases_never_let_a_client_past_its_rate(world, clock, redis_workers):
    """Two workers take four counts at a time from Redis; served in turn, the client gets
    at most its rate, and at most three counts (those the other worker holds) fewer."""
    with throttled_api(DEFAULT_THROTTLE_RATES=LEASED_RATE):
        workers = [(cache, Leases()) for cache in redis_workers.workers]
        answers = [served(workers[turn % 2]) for turn in range(420)]
        let_through = answers.index(False)
        assert 397 <= let_through <= 400
        assert not any(answers[let_through:])
        assert workers[0][0].get(COUNTER) <= 420 + 4
