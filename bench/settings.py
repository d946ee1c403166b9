"""The project's own settings, plus the baseline views the benchmark compares against.

Throttling stays on (in the shared cache, Redis when REDIS_URL is set) with rates no
benchmark reaches, so its cost is measured without 429s.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-secret-key-not-for-production")

from catalog.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
SECURE_SSL_REDIRECT = False
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"anon": "1000000000/minute", "user": "1000000000/minute"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False}
