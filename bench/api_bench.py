"""Prints latency and SQL query counts for the main endpoints over the seeded catalog.

    make bench

Runs against a throwaway SQLite database (or DATABASE_URL), loads the seed data, then
times each request with Django's test client (no network), reporting the median and
95th percentile over repeated runs and the number of SQL queries per request. Figures
are printed, not asserted: query counts are pinned by the test suite instead.
"""

import os
import statistics
import time
import warnings

from scratch import setup_django

setup_django()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

ENDPOINTS = [
    "/api/v1/brands/?limit=100",
    "/api/v1/vehicle-models/?limit=100",
    "/api/v1/vehicle-models/?chip_designer_country=US&alliance=hima",
    "/api/v1/partnerships/?active_on=2025-06-30",
    "/api/v1/deliveries/?alliance=hima&brand__isnull=true&format=csv",
    "/api/v1/sources/?limit=1000",
    "/api/v1/brands/aito/stack/",
    "/api/v1/insights/deliveries/?alliance=hima&period=quarter",
    "/api/v1/insights/dependencies/",
    "/api/v1/insights/exposure/?country=US",
    "/api/v1/insights/graph/",
]
RUNS = int(os.environ.get("BENCH_RUNS", "20"))


def main():
    call_command("migrate", verbosity=0)
    call_command("load_catalog", verbosity=0)
    client = Client(HTTP_HOST="127.0.0.1")
    warnings.filterwarnings("ignore", message="No directory at")
    print(f"{'endpoint':66} {'queries':>7} {'median ms':>10} {'p95 ms':>8} {'bytes':>9}")
    for url in ENDPOINTS:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        query_count = len(queries)
        assert response.status_code == 200, (url, response.status_code)
        timings = []
        for _ in range(RUNS):
            start = time.perf_counter()
            client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
        timings.sort()
        p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
        print(
            f"{url:66} {query_count:7d} {statistics.median(timings):10.1f} {p95:8.1f} "
            f"{len(response.content):9d}"
        )


if __name__ == "__main__":
    main()
