"""The API at a million delivery rows, against hand-written baselines, in one run.

    make bench-large            (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/bench)

1. Builds the large catalog once, if the database does not hold it yet: migrate, the
   sourced seed data, then `build_large_catalog` (about 2,000 brands, 20,000 vehicle
   models, 10,000 partnerships and 1,000,000 monthly deliveries, through bulk inserts).
2. Latency in process (Django's test client, no network): for every list at limit 10,
   100 and 1,000, a deep page, details, insights and CSV exports, the p50 and p90 over
   repeated requests, the SQL queries per request, and the ratio of the p50 to the p50 of
   a baseline (bench.baselines) reading the same rows and fields with .values() and
   writing them with orjson (for the delivery series, one raw SQL GROUP BY). A request
   and its baseline are timed in turn, round after round, so both meet the same load.
   These answers are made from the database every time (no answer kept); a few are then
   timed as given again from the worker's memory (catalog.answers), as a reader asking
   again while the catalog is unchanged gets them.
3. Throughput with wrk against gunicorn (one sync worker each): a DRF hello-world view
   with no middleware, authentication or throttling, the same view with the project's
   defaults, and API requests, answers kept and made every time, each as a ratio to the
   bare hello-world.
4. A worker's memory (RSS) over 10,000 requests that include insights.

It prints figures and asserts nothing timed: the machine may be shared, so the load
average is printed too, and ratios (measured in one run) are what to compare.
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench"
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

import django  # noqa: E402

BIG = "syn-brand-0001"
LISTS = [
    "brands",
    "vehicle-models",
    "partnerships",
    "alliance-memberships",
    "deliveries",
    "companies",
    "chips",
    "sources",
]
DETAILS = [
    ("brands", BIG),
    ("vehicle-models", f"{BIG}-model-01"),
    ("deliveries", f"{BIG}-2024-01"),
]
SERIES = [
    "group_by=alliance&period=month",
    "group_by=brand&period=year&month__gte=2024-01",
    "group_by=group&period=quarter&month__gte=2025-01",
    "group_by=brand&period=quarter",
]
INSIGHTS = ["dependencies/", "exposure/?country=US"]


def ensure_database():
    """Create the database and the large catalog in it, unless they are there already."""
    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    django.setup()
    from django.core.management import call_command

    from vehicles.models import Brand

    call_command("migrate", verbosity=0)
    if not Brand.objects.filter(slug=BIG).exists():
        print("Building the large catalog (a few minutes, once)...", flush=True)
        call_command("load_catalog", verbosity=0)
        call_command("build_large_catalog")


def table_sizes():
    from partners.models import Company
    from vehicles.models import Brand, Delivery, Partnership, VehicleModel

    return {
        model._meta.verbose_name_plural: model.objects.count()
        for model in (Company, Brand, VehicleModel, Partnership, Delivery)
    }


def first_answer(client, url):
    """(queries, status, bytes) of one request, which also warms up."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()  # a request resets the log: count from an empty one
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    query_count = len(queries)  # read now: the next request resets the log
    body = b"".join(response) if response.streaming else response.content
    return query_count, response.status_code, len(body)


def timed(client, url):
    start = time.perf_counter()
    answer = client.get(url)
    if answer.streaming:
        b"".join(answer)
    return (time.perf_counter() - start) * 1000


def percentiles(timings):
    timings = sorted(timings)
    p50 = statistics.median(timings)
    p90 = timings[min(len(timings) - 1, round(0.9 * (len(timings) - 1)))]
    return p50, p90


def measure(client, urls, *, runs, budget):
    """[(p50 ms, p90 ms, queries, status, bytes)] for each of `urls`: one warm-up each,
    then up to `runs` rounds in which each is timed once, in turn, so that the requests
    compared in a ratio meet the same conditions on a shared machine."""
    firsts = [first_answer(client, url) for url in urls]
    rounds, deadline = [], time.perf_counter() + budget * len(urls)
    while len(rounds) < runs and (len(rounds) < 3 or time.perf_counter() < deadline):
        rounds.append([timed(client, url) for url in urls])
        if time.perf_counter() > deadline and rounds[-1][0] > budget * 1000 / 3:
            break
    return [
        (*percentiles([round_[index] for round_ in rounds]), *firsts[index])
        for index in range(len(urls))
    ]


def walk_to(client, url, *, pages):
    """The URL of the page `pages` pages into a cursor walk that starts at `url`."""
    for _ in range(pages - 1):
        url = client.get(url).json()["next"].replace("http://127.0.0.1", "")
    return url


def latency(runs, budget, only=()):
    """Every request kind, or those whose label contains one of `only`: each answer made
    from the database (no answer kept, ANSWER_CACHE_BYTES=0), then a few given again from
    the worker's memory (catalog.answers)."""
    from django.test import Client
    from django.test.utils import override_settings

    import catalog.wsgi  # noqa: F401 (as a worker starts: views loaded, start-up objects frozen)

    client = Client(HTTP_HOST="127.0.0.1")
    rows = []

    def wanted(label):
        return not only or any(part in label for part in only)

    def row(label, url, baseline=None):
        if not wanted(label):
            return
        measured = measure(client, [url, baseline] if baseline else [url], runs=runs, budget=budget)
        p50, p90, queries, status, size = measured[0]
        ratio = f"{p50 / measured[1][0]:.2f}" if baseline else ""
        rows.append((label, status, queries, p50, p90, ratio, size))
        print(
            f"{label:70} {status:4} {queries:4} {p50:9.1f} {p90:9.1f} {ratio:>6} {size:>10}",
            flush=True,
        )

    print(
        f"{'request':70} {'code':>4} {'qry':>4} {'p50 ms':>9} {'p90 ms':>9} {'ratio':>6} {'bytes':>10}"
    )
    with override_settings(ANSWER_CACHE_BYTES=0):
        made(row, client, wanted)
    print("\nanswers given again while the catalog is unchanged (kept in memory):")
    kept = [
        (f"/api/v1/{prefix}/{slug}/", f"/bench/values/{prefix}/{slug}/")
        for prefix, slug in DETAILS[:1]
    ]
    kept += [
        (f"/api/v1/{prefix}/?limit=100", f"/bench/values/{prefix}/?limit=100")
        for prefix in ("brands", "deliveries")
    ]
    kept += [
        (f"/api/v1/insights/deliveries/?{query}", f"/bench/sql/deliveries/?{query}")
        for query in SERIES[:2]
    ]
    for url, baseline in kept:
        if wanted(f"{url} (kept)"):
            client.get(url)  # made and kept: the queries counted are those of the kept answer
            row(f"{url} (kept)", url, baseline)
    return rows


def made(row, client, wanted):
    for prefix in LISTS:
        for limit in (10, 100, 1000):
            row(
                f"/api/v1/{prefix}/?limit={limit}",
                f"/api/v1/{prefix}/?limit={limit}",
                f"/bench/values/{prefix}/?limit={limit}",
            )
    for prefix, offset in (("deliveries", 500_000), ("vehicle-models", 15_000)):
        url = f"/api/v1/{prefix}/?limit=100&offset={offset}"
        row(url, url, f"/bench/values/{prefix}/?limit=100&offset={offset}")
    for prefix in ("deliveries", "vehicle-models"):
        first = f"/api/v1/{prefix}/?limit=100&cursor=first"
        if wanted(first) and client.get(first).status_code == 200:
            row(first, first)
            deep = walk_to(client, first, pages=int(os.environ.get("BENCH_WALK_PAGES", "200")))
            row(f"/api/v1/{prefix}/?limit=100&cursor=<page 200 of a walk>", deep)
    for prefix, slug in DETAILS:
        url = f"/api/v1/{prefix}/{slug}/"
        row(url, url, f"/bench/values/{prefix}/{slug}/")
    for query in SERIES:
        row(
            f"/api/v1/insights/deliveries/?{query}",
            f"/api/v1/insights/deliveries/?{query}",
            f"/bench/sql/deliveries/?{query}",
        )
    for query in INSIGHTS:
        row(f"/api/v1/insights/{query}", f"/api/v1/insights/{query}")
    for prefix in ("deliveries", "vehicle-models"):
        url = f"/api/v1/{prefix}/?limit=1000&format=csv"
        row(url, url, f"/bench/values/{prefix}/?limit=1000")
        export = f"/api/v1/{prefix}/export/?brand={BIG}"
        if wanted(export) and client.get(export).status_code == 200:
            row(export, export)


# --- throughput and memory under gunicorn ----------------------------------------------


def start_gunicorn(settings, port, **environment):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings,
        "PYTHONPATH": str(ROOT),
        **environment,
    }
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "catalog.wsgi",
            "--config",
            "python:bench.gunicorn_conf",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/hello/bare/", timeout=2)
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"gunicorn with {settings} did not start")


def stop(process):
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


def wrk(url, seconds):
    """Requests per second from wrk (one thread, four connections)."""
    output = subprocess.run(  # noqa: S603
        [shutil.which("wrk"), "-t1", "-c4", f"-d{seconds}s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("Requests/sec"))
    errors = [line.strip() for line in output.splitlines() if "Non-2xx" in line]
    return float(line.split()[1]), errors


def worker_pids(master):
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0


ROUND_SECONDS = 2


def throughput(seconds):
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk): throughput skipped")
        return []
    bare = start_gunicorn("bench.settings_bare", 8791)
    project = start_gunicorn("bench.settings", 8792)
    # The same, with no answer kept: every answer made from the database.
    making = start_gunicorn("bench.settings", 8794, ANSWER_CACHE_BYTES="0")
    results = []
    try:
        wrk("http://127.0.0.1:8791/bench/hello/bare/", 2)  # warm up
        targets = [
            ("DRF hello-world, no middleware/auth/throttle", 8791, "/bench/hello/bare/"),
            ("DRF hello-world, project defaults", 8792, "/bench/hello/project/"),
            ("brand detail (answers kept, the default)", 8792, f"/api/v1/brands/{BIG}/"),
            (
                "brand detail, made every time (ANSWER_CACHE_BYTES=0)",
                8794,
                f"/api/v1/brands/{BIG}/",
            ),
            ("brand detail, values()+orjson baseline", 8792, f"/bench/values/brands/{BIG}/"),
            ("brands ?limit=10 (kept)", 8792, "/api/v1/brands/?limit=10"),
            ("brands ?limit=10, made every time", 8794, "/api/v1/brands/?limit=10"),
            ("deliveries ?limit=10 (kept)", 8792, "/api/v1/deliveries/?limit=10"),
            ("deliveries ?limit=10, made every time", 8794, "/api/v1/deliveries/?limit=10"),
        ]
        # Short runs in turn, round after round, each target's rate set against the bare
        # view's in the same round: a shared machine's speed drifts over a minute.
        rounds = max(1, seconds // ROUND_SECONDS)
        rates = {label: [] for label, _, _ in targets}
        errors = {label: set() for label, _, _ in targets}
        for _ in range(rounds):
            for label, port, path in targets:
                rate, failures = wrk(f"http://127.0.0.1:{port}{path}", ROUND_SECONDS)
                rates[label].append(rate)
                errors[label].update(failures)
        floor = rates[targets[0][0]]
        print(
            f"\n{'throughput (wrk -t1 -c4, one sync worker)':60} {'req/s':>9} {'x bare':>7}"
            f"   ({rounds} rounds of {ROUND_SECONDS} s; medians)"
        )
        for label, _, _ in targets:
            rate = statistics.median(rates[label])
            ratio = statistics.median(r / f for r, f in zip(rates[label], floor, strict=True))
            results.append((label, rate, ratio))
            print(f"{label:60} {rate:9.1f} {ratio:7.2f} {' '.join(errors[label])}", flush=True)
    finally:
        stop(bare)
        stop(project)
        stop(making)
    return results


def memory(requests):
    """RSS of one worker after 1,000 and after `requests` mixed requests (1% insights)."""
    project = start_gunicorn("bench.settings", 8793)
    try:
        pid = worker_pids(project)[0]
        urls = [
            f"/api/v1/brands/{BIG}/",
            "/api/v1/deliveries/?limit=100",
            "/api/v1/vehicle-models/?limit=100",
            "/api/v1/brands/?limit=100&q=synthetic",
        ]
        insight = "/api/v1/insights/deliveries/?group_by=brand&period=year&month__gte=2024-01"
        readings = []
        for n in range(requests):
            path = insight if n % 100 == 99 else urls[n % len(urls)]
            with urllib.request.urlopen(f"http://127.0.0.1:8793{path}", timeout=120) as answer:
                answer.read()
            if n + 1 in (1000, requests):
                readings.append((n + 1, rss_mb(pid)))
        first, last = readings[0][1], readings[-1][1]
        print(
            f"\nworker RSS: {first:.0f} MB after {readings[0][0]} requests, {last:.0f} MB after "
            f"{readings[-1][0]} ({(last / first - 1) * 100:+.1f}%)"
        )
        return readings
    finally:
        stop(project)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "15")))
    parser.add_argument("--budget", type=float, default=8.0, help="seconds per request kind")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--memory-requests", type=int, default=10_000)
    parser.add_argument("--skip", nargs="*", default=[], choices=["latency", "wrk", "memory"])
    parser.add_argument(
        "--only", nargs="*", default=[], help="time only the requests whose URL contains one"
    )
    args = parser.parse_args()
    ensure_database()
    from django.db import connection

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{connection.vendor} {connection.settings_dict['NAME']}: {table_sizes()}\n")
    if "latency" not in args.skip:
        latency(args.runs, args.budget, args.only)
    if "wrk" not in args.skip:
        throughput(args.wrk_seconds)
    if "memory" not in args.skip:
        memory(args.memory_requests)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
