"""Where a request's time goes: pyinstrument over repeated requests, by file:function.

    .venv/bin/python bench/profile.py "/api/v1/deliveries/?limit=100" [--runs 5] [--html out.html]

Runs against the benchmark database (bench/large_bench.py builds it) in process, each
answer made from the database (no answer kept; `--kept` profiles answers given again
from memory instead), and prints the functions with the largest share of the time spent in them and below them
(project code and the libraries it calls), then the largest self times.
"""

import argparse
import os
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench"
)
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from pyinstrument import Profiler  # noqa: E402

PROJECT = ("catalog/", "vehicles/", "partners/", "insights/")
LIBRARY = {
    "django/db/backends/utils.py:execute",
    "django/db/models/query.py:prefetch_related_objects",
    "django/db/models/query.py:count",
    "rest_framework/serializers.py:data",
    "rest_framework/generics.py:filter_queryset",
    "rest_framework/generics.py:paginate_queryset",
    "rest_framework/renderers.py:render",
    "django/urls/base.py:reverse",
    "django_filters/filterset.py:__init__",
    "django_filters/filterset.py:form",
    "django_filters/filterset.py:qs",
    "copy.py:deepcopy",
    "django/forms/forms.py:full_clean",
    "rest_framework/throttling.py:allow_request",
    "django/db/models/base.py:full_clean",
}


def label(frame):
    path = frame.file_path or "?"
    for marker in ("site-packages/", str(ROOT) + "/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{path}:{frame.function}"


def shares(session):
    """({label: inclusive seconds}, {label: self seconds}, total seconds)."""
    inclusive, own = defaultdict(float), defaultdict(float)
    root = session.root_frame()

    def walk(frame, seen):
        name = label(frame)
        if name not in seen:  # recursion counts once
            inclusive[name] += frame.time
        own[name] += frame.total_self_time
        for child in frame.children:
            walk(child, seen | {name})

    walk(root, frozenset())
    return inclusive, own, root.time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--top", type=int, default=18)
    parser.add_argument("--html")
    parser.add_argument("--kept", action="store_true", help="answers given again from memory")
    args = parser.parse_args()
    if not args.kept:
        override_settings(ANSWER_CACHE_BYTES=0).enable()
    client = Client(HTTP_HOST="127.0.0.1")
    client.get(args.url)  # warm: imports, connections, caches
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(args.runs):
        response = client.get(args.url)
    profiler.stop()
    inclusive, own, total = shares(profiler.last_session)
    print(f"{args.url}: {response.status_code}, {total / args.runs * 1000:.1f} ms per request")
    project = [
        (name, seconds)
        for name, seconds in inclusive.items()
        if name.startswith(PROJECT) or name in LIBRARY
    ]
    print("  inclusive share: project code and the library calls that matter (file:function)")
    for name, seconds in sorted(project, key=lambda item: -item[1])[: args.top]:
        print(f"  {seconds / total * 100:5.1f}%  {name}")
    print("  self share")
    leaves = [(name, s) for name, s in own.items() if "[self]" not in name]
    for name, seconds in sorted(leaves, key=lambda item: -item[1])[:8]:
        print(f"  {seconds / total * 100:5.1f}%  {name}")
    if args.html:
        Path(args.html).write_text(profiler.output_html())


if __name__ == "__main__":
    main()
