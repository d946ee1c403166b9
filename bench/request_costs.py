"""What each middleware and each stage of a DRF view costs a request, in process.

    .venv/bin/python bench/request_costs.py [URL] [--requests 20000]
    .venv/bin/python bench/request_costs.py [URL] --leave-out [--rounds 25]

Calls Django's WSGI handler directly (no server, no network) with the benchmark's
settings, a timer around every middleware and around the stages of DRF's APIView, and
prints microseconds per request: each middleware's own time (its time less that of
everything inside it) and the view's stages. The throttle counts in Redis when
REDIS_URL is set, else in local memory. Figures only: nothing is asserted.

--leave-out builds one handler per middleware with that middleware left out (the
session middleware with the two that need it), times them in interleaved rounds
against the whole list and against none, and prints what leaving each out saves. These
marginal costs are two to three times the timed own-times: code left out also stops
crowding the processor's caches for the code that remains.
"""

import argparse
import gc
import io
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

VIEW_STAGES = [
    "initialize_request",
    "perform_authentication",
    "check_permissions",
    "check_throttles",
    "perform_content_negotiation",
    "finalize_response",
]
spent = {}


def timed(name, function):
    clock = time.perf_counter_ns

    def call(*args, **kwargs):
        started = clock()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0) + clock() - started

    return call


def instrument():
    """Timers around each middleware class's __call__ and the view's stages."""
    for path in settings.MIDDLEWARE:
        middleware = import_string(path)
        if isinstance(middleware, type):
            middleware.__call__ = timed(path, middleware.__call__)
    for stage in VIEW_STAGES:
        setattr(APIView, stage, timed(stage, getattr(APIView, stage)))
    Response.rendered_content = property(timed("render", Response.rendered_content.fget))


def environ(path):
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_ACCEPT": "*/*",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }


# Middleware that cannot run without the one before them in this list.
NEEDS = {
    "django.contrib.sessions.middleware.SessionMiddleware": (
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "catalog.middleware.MessageMiddleware",
    )
}


def leave_out(url, rounds, per_round=1000):
    """Median microseconds a request with the whole list, with none, and with each
    middleware (and those that need it) left out, timed in interleaved rounds."""
    from django.test.utils import override_settings

    whole = list(settings.MIDDLEWARE)
    variants = {"the whole list": whole, "no middleware": []}
    for path in whole:
        if any(path in needed for needed in NEEDS.values()):
            continue
        dropped = {path, *NEEDS.get(path, ())}
        name = " + ".join(sorted(m.rsplit(".", 1)[1] for m in dropped))
        variants[name] = [m for m in whole if m not in dropped]
    handlers = {}
    for name, middleware in variants.items():
        with override_settings(MIDDLEWARE=middleware):
            handlers[name] = WSGIHandler()

    def start_response(status, headers, exc_info=None):
        pass

    for handler in handlers.values():
        for _ in range(300):
            handler(environ(url), start_response).close()
    gc.freeze()
    times = {name: [] for name in handlers}
    for _ in range(rounds):
        for name, handler in handlers.items():
            started = time.perf_counter_ns()
            for _ in range(per_round):
                handler(environ(url), start_response).close()
            times[name].append((time.perf_counter_ns() - started) / per_round / 1000)
    medians = {name: statistics.median(spent) for name, spent in times.items()}
    whole_us = medians.pop("the whole list")
    print(f"{url}: {whole_us:.1f} us a request with every middleware, median of {rounds} rounds")
    print("left out (us saved a request):")
    print(f"  {'every middleware':60s} {whole_us - medians.pop('no middleware'):7.1f}")
    for name, us in medians.items():
        print(f"  {name:60s} {whole_us - us:7.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url", nargs="?", default="/bench/hello/project/")
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--leave-out", action="store_true")
    parser.add_argument("--rounds", type=int, default=25)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # no collected static files: whitenoise warns
    if args.leave_out:
        return leave_out(args.url, args.rounds)
    instrument()
    handler = WSGIHandler()
    handler._get_response = timed("view", handler._get_response)
    handler.load_middleware()  # the chain again, around the timed view

    def start_response(status, headers, exc_info=None):
        pass

    for _ in range(500):
        handler(environ(args.url), start_response).close()
    spent.clear()
    gc.freeze()
    started = time.perf_counter_ns()
    for _ in range(args.requests):
        handler(environ(args.url), start_response).close()
    per_request = (time.perf_counter_ns() - started) / args.requests / 1000

    def us(name):
        return spent.get(name, 0) / args.requests / 1000

    throttle = (
        "Redis" if settings.CACHES["throttle"]["BACKEND"].endswith("RedisCache") else "memory"
    )
    print(f"{args.url}: {per_request:.1f} us a request (throttle counted in {throttle})")
    print("middleware, outermost first (own time, us):")
    # A middleware written as a function is not timed: its time counts in the one outside.
    layers = [*(path for path in settings.MIDDLEWARE if path in spent), "view"]
    for outer, inner in zip(layers, [*layers[1:], None], strict=True):
        print(f"  {outer:60s} {us(outer) - (us(inner) if inner else 0):7.1f}")
    print("the view's stages (us):")
    for stage in [*VIEW_STAGES, "render"]:
        print(f"  {stage:60s} {us(stage):7.1f}")


if __name__ == "__main__":
    main()
