"""GET answers kept in each worker's memory until the catalog changes.

The database keeps a stamp (the table `catalog_answer_stamp`, one row) that every write
to a table an answer can show replaces with a new random value: triggers installed after
each `migrate` on every table of the apps in `settings.ANSWER_CACHE_APPS`, so each write
path counts alike (the API, the admin, spreadsheet imports, the loader, restores, bulk
statements, raw SQL). On PostgreSQL a statement marks its transaction and the stamp is
replaced once, as it commits (a deferred trigger): writers never wait on the stamp's row
while they hold other locks, and readers never see a stamp whose data they cannot see.
On SQLite, whose writers take turns, each row written replaces it at once.

A GET answered in JSON, CSV or GraphML (not the browsable HTML, which shows who is
signed in) is kept under the stamp, the day (answers about "current" facts change at
midnight), the language, the format chosen and the URL as sent, host and scheme too
(answers' links are absolute), and given again, the same bytes and headers, while the
stamp stays the same.
The stamp is read before anything else, so a kept answer is never older than its stamp.
Only reads outside a transaction take part: a request that has written and not
committed could otherwise keep what was never committed. The memory is bounded in bytes
(`settings.ANSWER_CACHE_BYTES`, least recently used out first; 0 turns the cache off).
"""

import threading

import psycopg
from cachetools import LRUCache
from django.apps import apps
from django.conf import settings
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.dispatch import receiver
from django.http import HttpResponse
from django.utils import timezone, translation
from psycopg import pq

from catalog.middleware import set_answer_etag

STAMP_TABLE = "catalog_answer_stamp"
PENDING_TABLE = "catalog_answer_stamp_pending"

# Rows no answer shows: writing them leaves kept answers alone.
NOT_SHOWN = {"catalog.apitoken"}

# A kept answer larger than this share of the memory is not kept.
LARGEST_SHARE = 8


def shown_tables():
    """The tables whose rows answers can show: every model of the catalog's apps (with
    their history and many-to-many tables) but those in NOT_SHOWN."""
    for label in settings.ANSWER_CACHE_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            meta = model._meta
            if meta.managed and not meta.proxy and meta.label_lower not in NOT_SHOWN:
                yield meta.db_table


def install_stamp_after_migrate(using, **kwargs):
    install_stamp(connections[using])


def install_stamp(using):
    """The stamp's table and the triggers that replace it, on every shown table that
    exists (after each migrate; idempotent, so a table a migration rebuilt gets them
    again)."""
    existing = set(using.introspection.table_names())
    tables = sorted(table for table in set(shown_tables()) if table in existing)
    with using.cursor() as cursor:
        for statement in STATEMENTS[using.vendor](tables):
            cursor.execute(statement)


def sqlite_statements(tables):
    yield (
        f"CREATE TABLE IF NOT EXISTS {STAMP_TABLE} "
        "(id integer PRIMARY KEY CHECK (id = 1), stamp text NOT NULL)"
    )
    new_stamp = "lower(hex(randomblob(16)))"
    yield f"INSERT INTO {STAMP_TABLE} (id, stamp) VALUES (1, {new_stamp}) ON CONFLICT DO NOTHING"  # noqa: S608
    for table in tables:
        for event in ("INSERT", "UPDATE", "DELETE"):
            yield (
                f'CREATE TRIGGER IF NOT EXISTS "answer_stamp_{event.lower()}_{table}" '  # noqa: S608
                f'AFTER {event} ON "{table}" '
                f"BEGIN UPDATE {STAMP_TABLE} SET stamp = {new_stamp}; END"
            )


def postgresql_statements(tables):
    yield (
        f"CREATE TABLE IF NOT EXISTS {STAMP_TABLE} "
        "(id integer PRIMARY KEY CHECK (id = 1), stamp text NOT NULL)"
    )
    yield (
        f"INSERT INTO {STAMP_TABLE} (id, stamp) VALUES (1, gen_random_uuid()::text) "  # noqa: S608
        "ON CONFLICT DO NOTHING"
    )
    # One row per writing transaction, removed as it commits (or with it, on rollback).
    yield f"CREATE TABLE IF NOT EXISTS {PENDING_TABLE} (xid bigint PRIMARY KEY)"
    yield f"""
        CREATE OR REPLACE FUNCTION {PENDING_TABLE}_mark() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO {PENDING_TABLE} (xid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
            RETURN NULL;
        END $$"""  # noqa: S608 (names are this module's constants)
    yield f"""
        CREATE OR REPLACE FUNCTION {STAMP_TABLE}_replace() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE {STAMP_TABLE} SET stamp = gen_random_uuid()::text;
            DELETE FROM {PENDING_TABLE} WHERE xid = NEW.xid;
            RETURN NULL;
        END $$"""  # noqa: S608
    # A constraint trigger cannot be replaced in place.
    yield f"DROP TRIGGER IF EXISTS {STAMP_TABLE} ON {PENDING_TABLE}"
    yield (
        f"CREATE CONSTRAINT TRIGGER {STAMP_TABLE} AFTER INSERT ON {PENDING_TABLE} "
        f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {STAMP_TABLE}_replace()"
    )
    for table in tables:
        yield (
            f"CREATE OR REPLACE TRIGGER {STAMP_TABLE} AFTER INSERT OR UPDATE OR DELETE OR "
            f'TRUNCATE ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION {PENDING_TABLE}_mark()'
        )


STATEMENTS = {"sqlite": sqlite_statements, "postgresql": postgresql_statements}


def read_stamp(using=None):
    """The stamp as committed, or None where there is none (the cache then keeps nothing).

    It is a request's first query, so it stands for the health check Django would run
    before it (CONN_HEALTH_CHECKS): one round trip, not two, for an answer given again.
    A connection that fails it is closed and the stamp read on a new one, as after a
    failed health check. `using` is the default database's connection itself, not the
    `django.db.connection` proxy, which looks the connection up again on every attribute
    read (a fifth of the stamp's cost)."""
    using = using or connections[DEFAULT_DB_ALIAS]
    checking = (
        using.connection is not None and using.health_check_enabled and not using.health_check_done
    )
    if not checking:
        return stamp_on(using)
    using.health_check_done = True
    try:
        return stamp_on(using)
    except DatabaseError:
        using.close()
        return stamp_on(using)


STAMP_QUERY = f"SELECT stamp FROM {STAMP_TABLE}"  # noqa: S608 (a constant)
STAMP_STATEMENT = STAMP_QUERY.encode()


def stamp_on(using):
    """The stamp, read on the driver's connection: Django's cursor (its wrappers, the
    checks it makes before and after) cost a third as much again as the round trip on
    the reference machine. Where queries are being logged or counted (DEBUG, a test
    counting them) or wrapped (connection.execute_wrapper), it is read through Django's
    cursor, so it shows as the request's first query."""
    if using.queries_logged or using.execute_wrappers:
        with using.cursor() as cursor:
            cursor.execute(STAMP_QUERY)
            row = cursor.fetchone()
    else:
        using.ensure_connection()
        with using.wrap_database_errors:
            if using.vendor == "postgresql":
                return stamp_through_libpq(using.connection.pgconn)
            row = using.connection.execute(STAMP_QUERY).fetchone()
    return row[0] if row else None


def stamp_through_libpq(pgconn):
    """The stamp read by libpq itself (psycopg.pq, psycopg's documented wrapper of it): the
    same statement and the same text, without making a cursor and loading a result through
    it, which cost half as much again as the round trip on the reference machine. A
    refusal or a dropped connection raises psycopg's OperationalError, as a cursor would."""
    result = pgconn.exec_(STAMP_STATEMENT)
    if result.status != pq.ExecStatus.TUPLES_OK:
        raise psycopg.OperationalError(
            (result.error_message or pgconn.error_message).decode(errors="replace").strip()
        )
    return result.get_value(0, 0).decode() if result.ntuples else None


class KeptAnswers:
    """The worker's kept answers: key -> (status, headers, content), bounded in bytes."""

    def __init__(self, size):
        self.size = size
        self.largest = size // LARGEST_SHARE
        self.answers = LRUCache(maxsize=max(size, 1), getsizeof=lambda answer: len(answer[2]))
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            return self.answers.get(key)

    def keep(self, key, response):
        content = response.content
        if len(content) > self.largest:
            return
        if not response.has_header("ETag") and not response.has_header("Cache-Control"):
            # The ETag the conditional-GET middleware would compute: once, not per answer.
            set_answer_etag(response)
        answer = (response.status_code, dict(response.items()), content)
        with self.lock:
            self.answers[key] = answer


kept = KeptAnswers(settings.ANSWER_CACHE_BYTES)


@receiver(setting_changed)
def resize(setting, **kwargs):
    global kept
    if setting == "ANSWER_CACHE_BYTES":
        kept = KeptAnswers(settings.ANSWER_CACHE_BYTES)


def key_for(request):
    """The key of a GET's answer, or None when it is not to be kept or given from memory:
    another method, the browsable HTML, the cache off, a read inside a transaction, or
    no stamp."""
    renderer = getattr(request, "accepted_renderer", None)
    using = connections[DEFAULT_DB_ALIAS]
    if (
        request.method != "GET"
        or kept.size <= 0
        or renderer is None
        or renderer.media_type == "text/html"
        or using.in_atomic_block
    ):
        return None
    stamp = read_stamp(using)
    if stamp is None:
        return None
    return (
        stamp,
        timezone.localdate(),
        translation.get_language(),
        request.accepted_media_type,
        *url_as_sent(request),
    )


def url_as_sent(request):
    """What the request's absolute URL is made of, as the client sent it: scheme, host
    headers, path and query (an answer's links are absolute, made from them). The same
    strings make the same URL; reading them costs a fraction of building it, whose host
    check Django's CommonMiddleware has made already."""
    meta = request.META
    return (
        request.scheme,
        meta.get("HTTP_X_FORWARDED_HOST") if settings.USE_X_FORWARDED_HOST else None,
        meta.get("HTTP_X_FORWARDED_PORT") if settings.USE_X_FORWARDED_PORT else None,
        meta.get("HTTP_HOST"),
        meta.get("SERVER_NAME"),
        meta.get("SERVER_PORT"),
        request.get_full_path(),
    )


def answer_from(kept_answer):
    """A response carrying a kept answer: its status, headers and bytes."""
    status, headers, content = kept_answer
    return HttpResponse(content, status=status, headers=headers)
