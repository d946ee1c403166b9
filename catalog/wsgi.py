"""WSGI entry point (gunicorn catalog.wsgi).

A worker imports the URL configuration, and with it every view, serializer and filter,
as it starts rather than on its first request. Then every object made so far, which lives
as long as the worker, is moved out of the garbage collector's view (`gc.freeze()`): a
full collection no longer walks the 100,000 and more of them, which took tens of
milliseconds in the middle of a large answer (its p90; bench/RESULTS.md). Under
gunicorn's `preload_app` this runs once, before the workers fork, which also keeps the
pages they share from being copied when a collection would have touched them.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalog.settings")

application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 (imported for its side effect: the views loaded)
gc.freeze()
