"""The sourced seed data (fixtures/) in a test's database, loaded once per test process.

The first test in a process that asks for it runs the loader; later ones restore a dump
of what that load wrote (loaddata: one insert per row, no validation, a fraction of the
time). Tests of the loader itself call load_catalog() directly."""

import json
from collections import Counter

import pytest
from django.core.management import call_command


@pytest.fixture(scope="session")
def seed_dump(tmp_path_factory):
    """Where this test process keeps the seeded catalog once loaded."""
    return tmp_path_factory.mktemp("seed") / "catalog.json"


def load_seed(dump):
    """Load the seed data into an empty catalog; returns what the load reported
    ({section: Counter(created=...)})."""
    from vehicles.seed import load_catalog

    stats_file = dump.with_suffix(".stats.json")
    if dump.exists():
        call_command("loaddata", dump, verbosity=0)
        stats = json.loads(stats_file.read_text(encoding="utf-8"))
        return {section: Counter(counts) for section, counts in stats.items()}
    stats = load_catalog()
    call_command(
        "dumpdata",
        "catalog",
        "partners",
        "vehicles",
        natural_foreign=True,
        output=dump,
        verbosity=0,
    )
    stats_file.write_text(json.dumps(stats), encoding="utf-8")
    return stats


@pytest.fixture
def seeded(db, seed_dump):
    """The seed data in the test's transaction; what its load reported."""
    return load_seed(seed_dump)


@pytest.fixture
def seeded_catalog(transactional_db, seed_dump):
    """The seed data committed where the live server can read it (its tests flush the
    database after each test, so each one loads it again)."""
    load_seed(seed_dump)
