"""What each middleware and each stage of a DRF view costs a request, in process.

    .venv/bin/python bench/request_costs.py [URL] [--requests 20000]

Calls Django's WSGI handler directly (no server, no network) with the benchmark's
settings, a timer around every middleware and around the stages of DRF's APIView, and
prints microseconds per request: each middleware's own time (its time less that of
everything inside it) and the view's stages. The throttle counts in Redis when
REDIS_URL is set, else in local memory. Figures only: nothing is asserted.
"""

import argparse
import gc
import io
import os
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url", nargs="?", default="/bench/hello/project/")
    parser.add_argument("--requests", type=int, default=20000)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # no collected static files: whitenoise warns
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
