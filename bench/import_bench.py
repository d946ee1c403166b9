"""Times a spreadsheet import of 10,000 monthly delivery figures, as the admin runs it.

    make bench-import

Runs against a throwaway SQLite database (or DATABASE_URL): creates 40 brands, writes a
CSV of 10,000 brand figures (40 brands x 250 months, relations by slug, months
YYYY-MM, a cited source), then runs the admin's import resource twice as the admin
does: the preview (a dry run in a rolled-back transaction) and the import itself (one
transaction, every row validated by the model and entered in the change log). It then
imports the same file again, which must change nothing. Times and the number of
queries each run sent are printed, not asserted.
"""

import datetime
import os
import time
import warnings

from scratch import setup_django

setup_django()

import tablib  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from simple_history.models import HistoricalRecords  # noqa: E402

from catalog.models import ChangeRecord, Source  # noqa: E402
from partners.models import Company  # noqa: E402
from vehicles.models import Brand, Delivery  # noqa: E402
from vehicles.resources import DeliveryResource  # noqa: E402

BRANDS = 40
# 250 months for the 10,000 rows; fewer (IMPORT_BENCH_MONTHS=25) for a quick look.
MONTHS = int(os.environ.get("IMPORT_BENCH_MONTHS", "250"))


class AdminRequest:
    """What the change log reads of the admin's request: the path and the user."""

    path = "/admin/vehicles/delivery/process_import/"

    def __init__(self, user):
        self.user = user


def months(count):
    year, month = 2004, 1
    for _ in range(count):
        yield datetime.date(year, month, 1)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def build_file():
    source = Source.objects.create(
        slug="bench-source", title="Bench", publisher="Bench", url="https://example.org/b"
    )
    group = Company.objects.create(slug="bench-group", name="Bench Group", country="CN")
    brands = [
        Brand.objects.create(slug=f"brand-{i:02d}", name=f"Brand {i:02d}", group=group)
        for i in range(BRANDS)
    ]
    data = tablib.Dataset(headers=["brand", "month", "units", "precision", "sources"])
    for brand in brands:
        for month in months(MONTHS):
            data.append([brand.slug, f"{month:%Y-%m}", 1000 + month.month, "exact", source.slug])
    return data


class QueryCount:
    """Counts the statements sent to the database (a bulk insert counts once)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def run(data, user, dry_run):
    """One import of the file as the admin runs it: seconds, result, queries sent."""
    HistoricalRecords.context.request = AdminRequest(user)
    queries = QueryCount()
    started = time.perf_counter()
    with connection.execute_wrapper(queries):
        result = DeliveryResource().import_data(
            tablib.import_set(data.export("csv"), format="csv"),
            dry_run=dry_run,
            use_transactions=True,
            raise_errors=False,
            file_name="bench-10000.csv",
            user=user,
        )
    return time.perf_counter() - started, result, queries.count


def main():
    warnings.simplefilter("ignore")
    call_command("migrate", verbosity=0)
    user = User.objects.create_user(username="bench-clerk", is_staff=True)
    data = build_file()
    print(f"import of {len(data)} delivery rows ({os.environ['DATABASE_URL'].split(':')[0]})")
    print(f"  rows: {len(data)}; load: {os.getloadavg()[0]:.2f} (1 min)")
    total = 0
    for label, dry_run in (
        ("preview (dry run)", True),
        ("import", False),
        ("same file again", False),
    ):
        seconds, result, queries = run(data, user, dry_run)
        total += queries
        totals = {kind: count for kind, count in result.totals.items() if count}
        print(f"  {label:<18} {seconds:7.1f} s  {queries:6d} queries  {totals}")
    print(f"  queries in all: {total}")
    print(
        f"  stored: {Delivery.objects.count()} deliveries, "
        f"{ChangeRecord.objects.filter(channel='import').count()} change records (import)"
    )


if __name__ == "__main__":
    main()
