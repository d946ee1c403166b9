"""Request rate limits whose counters every worker shares through the "throttle" cache.

DRF's SimpleRateThrottle keeps a list of timestamps per client and writes it back
whole: two workers that read the list at the same moment each add their request and
the last write wins, so bursts spread over several workers are under-counted, and at
3000/minute every request moves a 3000-entry list to and from Redis. Here each client
has one integer per time window, raised with the cache's atomic add()/incr(), so every
request is counted whichever worker serves it. The window is fixed (a client may send
up to twice its rate across a window boundary), which is the usual trade for an
atomic, constant-size counter. On Redis the counter is set and raised in one round
trip (count_in_redis); other caches use add() then incr(). An anonymous request is
counted once, against the anonymous rate (DRF's user throttle would count it a second
time, by address, against the users' rate).

A worker takes counts from the shared counter in blocks (a lease of a hundredth of the
rate, at most 50) and hands them out from memory: one round trip to the cache per block,
not per request (a round trip to Redis cost 300 us on the reference machine, more than
the whole of a hello-world request). No client ever gets more than its rate: the counts
are taken before they are used. Counts a worker has taken but not used when the client
stops count too, so a client whose requests are spread over several workers may be
refused up to 1% of its rate early per other worker. At rates under 200 a window the
lease is one count, and every request is counted where it is served.

Rates are read from settings on every request rather than once at import, so
`override_settings(REST_FRAMEWORK=...)` changes them in tests.
"""

import logging
import threading
import time
import weakref

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.utils.connection import ConnectionProxy
from rest_framework import throttling
from rest_framework.exceptions import Throttled
from rest_framework.settings import api_settings

logger = logging.getLogger(__name__)

THROTTLE_CACHE_ALIAS = "throttle"


# The window's counter created (with its expiry) if absent, then raised: one command, run
# by Redis as a whole, so one round trip and no other client in between.
COUNT_SCRIPT = """
redis.call('SET', KEYS[1], 0, 'EX', ARGV[1], 'NX')
return redis.call('INCRBY', KEYS[1], ARGV[2])
"""
# The script registered on a client per cache connection (Django's cache makes a new client
# object for every call, which cost more than the round trip itself).
_count_scripts = weakref.WeakKeyDictionary()


def count_in_redis(backend, key, timeout, by=1):
    """Raise the counter `key` by `by` and return its new value, in one round trip to Redis.

    The counter is stored as the plain integer Django's Redis cache writes for ints, so
    cache.get() reads it back as a number."""
    full_key = backend.make_and_validate_key(key)
    script = _count_scripts.get(backend._cache)
    if script is None:
        client = backend._cache.get_client(full_key, write=True)
        script = _count_scripts[backend._cache] = client.register_script(COUNT_SCRIPT)
    return script(keys=[full_key], args=[timeout, by])


# While the throttle cache is unreachable, one warning per this many seconds.
WARNING_INTERVAL_SECONDS = 60
_last_warning = {"at": None}


def warn_cache_unavailable(error):
    """Log that the throttle cache is unreachable, at most once per interval per worker."""
    now = time.monotonic()
    last = _last_warning["at"]
    if last is None or now - last >= WARNING_INTERVAL_SECONDS:
        _last_warning["at"] = now
        logger.warning(
            "Throttle cache unavailable (%s: %s); requests are let through unthrottled "
            "until it answers (this is logged once per %d s).",
            type(error).__name__,
            str(error)[:200],
            WARNING_INTERVAL_SECONDS,
        )


def count_failed_authentication(request):
    """A request with a wrong token counts against its address's anonymous rate, so
    guessing tokens is slowed like any other anonymous traffic; over the rate, 429."""
    throttle = AnonRateThrottle()
    # The plain Django request: DRF's would try to authenticate again to find the user.
    if not throttle.allow_request(request._request, None):
        raise Throttled(wait=throttle.wait())


# A lease is this share of the rate, within these bounds.
LEASE_SHARE = 100
LEASE_MAX = 50
# Above this many leases held, those of windows already over are dropped.
LEASES_KEPT = 10_000


def lease_size(num_requests):
    """How many counts a worker takes at once for a rate of `num_requests` a window."""
    return max(1, min(LEASE_MAX, num_requests // LEASE_SHARE))


class Leases:
    """The counts this process has taken from the shared counters and not yet used:
    {counter key: [next count, last count, end of the counter's window]}."""

    def __init__(self):
        self.lock = threading.Lock()  # a gthread worker's threads share them
        self.held = {}

    def next_count(self, key):
        """The next count held for `key`, or None when none is left (under the lock)."""
        held = self.held.get(key)
        if held is None or held[0] > held[1]:
            return None
        held[0] += 1
        return held[0] - 1

    def hold(self, key, first, last, window_ends_at, now):
        """Hold the counts `first`..`last` of `key` (under the lock)."""
        if len(self.held) >= LEASES_KEPT:
            self.held = {k: held for k, held in self.held.items() if held[2] > now}
        self.held[key] = [first, last, window_ends_at]


LEASES = Leases()


def client_address(request):
    """The client's address by DRF's rule (NUM_PROXIES): behind N trusted proxies the Nth
    address from the right of X-Forwarded-For, with none the socket's address. Read from
    the WSGI environ: DRF's get_ident makes `request.headers` (every header of the
    request parsed) for it."""
    remote_addr = request.META.get("REMOTE_ADDR")
    num_proxies = api_settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if num_proxies is not None:
        if num_proxies == 0 or forwarded is None:
            return remote_addr
        addresses = forwarded.split(",")
        return addresses[-min(num_proxies, len(addresses))].strip()
    return "".join(forwarded.split()) if forwarded else remote_addr


class SharedCounterMixin:
    """Fixed-window request counting in the shared throttle cache."""

    # Resolved on every use, so a worker (or a test) that swaps CACHES gets the new one.
    cache = ConnectionProxy(caches, THROTTLE_CACHE_ALIAS)
    timer = time.time

    def get_rate(self):
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError:
            raise ImproperlyConfigured(
                f"REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'] has no rate for scope {self.scope!r}."
            ) from None

    def get_ident(self, request):
        return client_address(request)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        ident_key = self.get_cache_key(request, view)
        if ident_key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends_at = (window + 1) * self.duration
        try:
            count = self.count_request(f"{ident_key}_{window}")
        except Exception as error:
            # An unreachable cache must not take the whole API down with it, nor fill the
            # log with a traceback per request.
            warn_cache_unavailable(error)
            return True
        return count <= self.num_requests

    def count_request(self, key):
        """This request's count in the window: the next of the counts this worker holds,
        else the first of a new lease taken from the shared counter."""
        size = lease_size(self.num_requests)
        if size == 1:
            return self.raise_counter(key, 1)
        leases = LEASES
        with leases.lock:
            count = leases.next_count(key)
            if count is None:
                last = self.raise_counter(key, size)
                count = last - size + 1
                leases.hold(key, count + 1, last, self.window_ends_at, self.now)
            return count

    def raise_counter(self, key, by):
        """Add `by` to the window's shared counter and return its new value."""
        # The key outlives its window (twice the duration), so incr() cannot meet an
        # expired key even when workers' clocks differ by a little.
        timeout = 2 * self.duration
        backend = self.cache
        if isinstance(backend, ConnectionProxy):
            backend = backend._connections[backend._alias]
        if isinstance(backend, RedisCache):
            return count_in_redis(backend, key, timeout, by)
        if self.cache.add(key, by, timeout):
            return by
        try:
            return self.cache.incr(key, by)
        except ValueError:  # evicted between add() and incr()
            self.cache.add(key, by, timeout)
            return by

    def wait(self):
        """Seconds until the current window ends: the Retry-After header."""
        return max(1.0, self.window_ends_at - self.now)


class AnonRateThrottle(SharedCounterMixin, throttling.AnonRateThrottle):
    """Anonymous clients, by IP address (see NUM_PROXIES): THROTTLE_ANON_RATE."""


class UserRateThrottle(SharedCounterMixin, throttling.UserRateThrottle):
    """Authenticated users (session or token), by user: THROTTLE_USER_RATE. Anonymous
    requests are AnonRateThrottle's alone."""

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)
