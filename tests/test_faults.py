"""The service under faults: a live gunicorn on its own PostgreSQL database, with readers
and writers at work, while the database cuts every connection a few times and a worker
is killed. Afterwards every write a client saw acknowledged is stored exactly once, the
change log has one 'created' record for each stored source and nothing else, no row
changed that no client wrote, and the service still answers.

A write that failed (an error answer, or a connection that dropped) may be absent; if it
is stored, it is stored whole (its row, its history and its change record).
"""

import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from unittest import mock
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.contrib.auth.models import User
from django.db import OperationalError
from django.test import Client
from psycopg import sql

from catalog.models import ApiToken, ChangeRecord, Source
from tests.conftest import user_with
from tests.test_security import BASE_DIR, production_env
from tests.test_server import GUNICORN, free_port, reads_follow_writes

RUN_SECONDS = 20
WRITERS = 4
READERS = 3
REQUEST_TIMEOUT = 10
# When the faults strike, in seconds from the start of the load.
CUTS_AT = (3, 7, 12, 16)
KILLS_AT = (9.5,)
PUBLISHER = "Fault test"
# The tables the writes fill: the sources, their history and the change log (each
# checked row by row below). Every other table is left as it was, but for the time a
# token was last used.
WRITTEN = {"catalog_source", "catalog_historicalsource", "catalog_changerecord"}
# Columns that change with any write or use: a token's last use, the catalog's stamp
# (catalog.answers; its pending table must be empty again, as before).
BOOKKEEPING = {"catalog_apitoken": ["last_used_at"], "catalog_answer_stamp": ["stamp"]}


def admin_connect(url, dbname="postgres"):
    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname=dbname,
        autocommit=True,
        connect_timeout=5,
    )


def cut_connections(url, dbname):
    """Terminate every server process connected to `dbname`; return how many."""
    with admin_connect(url) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [dbname],
        ).fetchall()
    return sum(1 for (terminated,) in rows if terminated)


def worker_pids(master_pid):
    """gunicorn's workers: the master's children, read from /proc."""
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:
            children.append(int(entry))
    return sorted(children)


def table_fingerprints(conn):
    """Every other table in the database: its row count and a hash of all its rows."""
    tables = [
        name
        for (name,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        if name not in WRITTEN
    ]
    fingerprints = {}
    for table in tables:
        query = sql.SQL(
            "SELECT count(*), md5(coalesce(string_agg(r, '|' ORDER BY r), '')) "
            "FROM (SELECT (to_jsonb(t) - %s::text[])::text AS r FROM {} AS t) AS rows"
        ).format(sql.Identifier(table))
        fingerprints[table] = conn.execute(query, [BOOKKEEPING.get(table, [])]).fetchone()
    return fingerprints


def wait_until_answering(port, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if request(port, "GET", "/api/v1/")[0] == 200:
                return True
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.2)
    return False


def request(port, method, path, body=None, token=None):
    """One request on a fresh connection: (status, parsed JSON body or None)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request(
            method, path, body=json.dumps(body) if body is not None else None, headers=headers
        )
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    try:
        document = json.loads(raw) if raw else None
    except ValueError:
        document = None
    return response.status, document


LOST = "consuming input failed: server closed the connection unexpectedly"
UNAVAILABLE = {
    "status": 503,
    "code": "service_unavailable",
    "detail": "The database is briefly unavailable; nothing was confirmed. Retry in a "
    "moment (after a write, read the resource first: it may have been stored).",
    "errors": {},
}


def test_a_reader_whose_database_connection_drops_is_told_to_retry(db, client, monkeypatch):
    def cut(*args, **kwargs):
        raise OperationalError(LOST)

    monkeypatch.setattr("catalog.views.SourceViewSet.get_queryset", cut)
    response = client.get("/api/v1/sources/")
    assert (response.status_code, response["Retry-After"]) == (503, "1")
    assert response.json() == UNAVAILABLE


def test_a_write_cut_off_before_its_change_record_is_not_stored_at_all(db, client, monkeypatch):
    _, raw = ApiToken.issue(user=user_with("catalog.add_source"), name="tests")

    def cut(*args, **kwargs):
        raise OperationalError(LOST)

    # The row is inserted, then the connection drops while the change log is written.
    monkeypatch.setattr(ChangeRecord, "save", cut)
    response = client.post(
        "/api/v1/sources/",
        {"title": "CPCA weekly", "publisher": "CPCA", "link": "https://example.org/cpca"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert (response.status_code, response["Retry-After"]) == (503, "1")
    assert response.json() == UNAVAILABLE
    assert not Source.objects.exists()
    assert not Source.history.exists()


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """gunicorn (the committed configuration, 2 workers) on a new, migrated database of
    its own, with a superuser's API token. Dropped, with the server, at the end."""
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith(("postgres://", "postgresql://")):
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    dbname = f"fault_{secrets.token_hex(4)}"
    with admin_connect(base_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    parts = urlsplit(base_url)
    db_url = urlunsplit(parts._replace(path=f"/{dbname}"))
    folder = tmp_path_factory.mktemp("faults")
    port = free_port()
    env = production_env(
        DATABASE_URL=db_url,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_ACCESS_LOG="",
        WEB_CONCURRENCY="2",
        # The load, not the throttle, is what is under test.
        THROTTLE_ANON_RATE="100000/minute",
        THROTTLE_USER_RATE="100000/minute",
    )
    process = log = None
    try:
        manage = [sys.executable, "manage.py"]
        setup = {"cwd": BASE_DIR, "env": env, "check": True, "timeout": 180}
        subprocess.run([*manage, "migrate", "--noinput"], capture_output=True, **setup)  # noqa: S603
        subprocess.run(  # noqa: S603
            [
                *manage,
                "shell",
                "-c",
                "from django.contrib.auth.models import User; "
                "User.objects.create_superuser('admin', 'admin@example.org', 'pw-for-tests')",
            ],
            **setup,
        )
        issued = subprocess.run(  # noqa: S603
            [*manage, "api_token", "create", "admin", "--name", "fault test"],
            capture_output=True,
            text=True,
            **setup,
        )
        token = issued.stdout.strip().splitlines()[-1]
        log = open(folder / "gunicorn.log", "w")  # noqa: SIM115 (closed below)
        process = subprocess.Popen(  # noqa: S603
            [GUNICORN, "catalog.wsgi"], cwd=BASE_DIR, env=env, stdout=log, stderr=log
        )
        if not wait_until_answering(port, 30):
            pytest.fail("gunicorn did not start: " + (folder / "gunicorn.log").read_text()[-2000:])
        yield {
            "port": port,
            "token": token,
            "master": process.pid,
            "db_url": base_url,
            "dbname": dbname,
            "log": folder / "gunicorn.log",
        }
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if log is not None:
            log.close()
        with admin_connect(base_url) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
            )


class Load:
    """Writers and readers at work until `stop` is set; what each saw is recorded."""

    def __init__(self, port, token, run):
        self.port, self.token, self.run = port, token, run
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.attempted = {}  # link -> the body sent
        self.acknowledged = {}  # link -> the 201 answer
        self.failed = {}  # link -> status or exception name
        self.reads = {"ok": 0, "failed": []}

    def write(self, writer):
        n = 0
        while not self.stop.is_set():
            n += 1
            link = f"https://example.org/fault/{self.run}/{writer}/{n}"
            body = {
                "title": f"Fault {self.run} writer {writer} number {n}",
                "publisher": PUBLISHER,
                "link": link,
            }
            with self.lock:
                self.attempted[link] = body
            try:
                status, document = request(self.port, "POST", "/api/v1/sources/", body, self.token)
            except (OSError, http.client.HTTPException) as error:
                outcome = type(error).__name__
            else:
                outcome = status
            with self.lock:
                if outcome == 201:
                    self.acknowledged[link] = document
                else:
                    self.failed[link] = (outcome, document)

    def read(self, reader):
        paths = [
            "/api/v1/sources/?limit=20&ordering=-published_on",
            f"/api/v1/sources/?publisher={PUBLISHER.replace(' ', '%20')}&limit=5",
            "/api/v1/changes/?limit=20",
        ]
        n = reader
        while not self.stop.is_set():
            n += 1
            path = paths[n % len(paths)]
            try:
                status, _ = request(self.port, "GET", path, token=self.token)
            except (OSError, http.client.HTTPException) as error:
                status = type(error).__name__
            with self.lock:
                if status == 200:
                    self.reads["ok"] += 1
                else:
                    self.reads["failed"].append((path, status))


@pytest.mark.postgres
@pytest.mark.fault
def test_acknowledged_writes_survive_cut_connections_and_a_killed_worker(service):
    port, token, dbname = service["port"], service["token"], service["dbname"]
    with admin_connect(service["db_url"], dbname) as conn:
        before = table_fingerprints(conn)
        sources_before = {row[0] for row in conn.execute("SELECT id FROM catalog_source")}
        changes_before = conn.execute("SELECT max(id) FROM catalog_changerecord").fetchone()[0]

    load = Load(port, token, secrets.token_hex(3))
    threads = [threading.Thread(target=load.write, args=(w,), daemon=True) for w in range(WRITERS)]
    threads += [threading.Thread(target=load.read, args=(r,), daemon=True) for r in range(READERS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()

    faults = sorted([(at, "cut") for at in CUTS_AT] + [(at, "kill") for at in KILLS_AT])
    cut, killed = [], []
    for at, fault in faults:
        time.sleep(max(0, started + at - time.monotonic()))
        if fault == "cut":
            cut.append(cut_connections(service["db_url"], dbname))
        else:
            workers = worker_pids(service["master"])
            assert workers, "gunicorn has no worker to kill"
            os.kill(workers[0], signal.SIGKILL)
            killed.append(workers[0])
    time.sleep(max(0, started + RUN_SECONDS - time.monotonic()))
    load.stop.set()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT + 5)
    duration = time.monotonic() - started
    assert not any(thread.is_alive() for thread in threads), "a client did not stop"

    # The service still answers, reads and writes, with a worker in the killed one's place.
    assert wait_until_answering(port, 30)
    last = {"title": f"Fault {load.run} after the faults", "publisher": PUBLISHER}
    last["link"] = f"https://example.org/fault/{load.run}/after"
    status, document = request(port, "POST", "/api/v1/sources/", last, token)
    assert status == 201, document
    load.attempted[last["link"]] = last
    load.acknowledged[last["link"]] = document
    assert killed[0] not in worker_pids(service["master"])
    assert len(worker_pids(service["master"])) == 2

    with admin_connect(service["db_url"], dbname) as conn:
        after = table_fingerprints(conn)
        stored = conn.execute(
            "SELECT id, slug, title, publisher, url FROM catalog_source WHERE id <> ALL(%s)",
            [list(sources_before)],
        ).fetchall()
        changes = conn.execute(
            "SELECT r.object_id, r.object_slug, r.action, r.channel, r.actor_name, "
            "ct.app_label, ct.model FROM catalog_changerecord r "
            "JOIN django_content_type ct ON ct.id = r.content_type_id "
            "WHERE r.id > %s",
            [changes_before or 0],
        ).fetchall()
        history = conn.execute(
            "SELECT id, history_type FROM catalog_historicalsource WHERE id <> ALL(%s)",
            [list(sources_before)],
        ).fetchall()

    summary = (
        f"{len(load.attempted)} writes attempted, {len(load.acknowledged)} acknowledged, "
        f"{len(stored)} stored, {len(load.failed)} failed "
        f"({len({url for *_, url in stored} & set(load.failed))} of them stored whole) "
        f"({sorted({str(outcome) for outcome, _ in load.failed.values()})}); "
        f"{load.reads['ok']} reads answered, {len(load.reads['failed'])} failed "
        f"({sorted({str(status) for _, status in load.reads['failed']})}); "
        f"{sum(cut)} connections cut in {len(cut)} rounds {cut}, "
        f"{len(killed)} worker(s) killed; {duration:.1f} s"
    )
    print(summary)  # the run's figures, shown with -s or on failure

    # Every stored source is one a client sent, whole and unaltered.
    by_link = {url: (id_, slug, title, publisher) for id_, slug, title, publisher, url in stored}
    assert len(by_link) == len(stored)
    for link, (_, _, title, publisher) in by_link.items():
        assert link in load.attempted, f"a source no client wrote: {link}"
        sent = load.attempted[link]
        assert (title, publisher) == (sent["title"], sent["publisher"])
    # Every acknowledged write is stored, once, as the answer said.
    for link, answer in load.acknowledged.items():
        assert link in by_link, f"acknowledged but not stored: {link}"
        assert by_link[link][1] == answer["slug"]
    # What is stored but was not acknowledged is a write whose answer was lost.
    assert set(by_link) - set(load.acknowledged) <= set(load.failed)
    # A failed write is never an answer other than a server's or network's failure.
    for link, (outcome, document) in load.failed.items():
        assert outcome in {503} or isinstance(outcome, str), (link, outcome, document)
        if outcome == 503:
            assert document["code"] == "service_unavailable", document

    # The change log: one 'created' per stored source, by the token's owner, through the
    # API, and no other change.
    assert sorted(changes) == sorted(
        (id_, slug, "created", "api", "admin", "catalog", "source")
        for id_, slug, _, _ in by_link.values()
    )
    assert sorted(history) == sorted((id_, "+") for id_, _, _, _ in by_link.values())
    # The API tells the same story.
    status, listed = request(port, "GET", "/api/v1/sources/?limit=1", token=token)
    assert (status, listed["count"]) == (200, len(stored))
    status, logged = request(
        port, "GET", "/api/v1/changes/?object_type=catalog.source&action=created&limit=1"
    )
    assert (status, logged["count"]) == (200, len(stored))
    # Nothing else changed anywhere in the database.
    assert after == before
    # The faults happened: connections were cut and a worker died mid-load.
    assert sum(cut) > 0
    assert killed
    assert len(load.acknowledged) > 10
    # Readers were answered throughout, apart from requests caught in a fault.
    assert load.reads["ok"] > 10
    for path, status in load.reads["failed"]:
        assert status == 503 or isinstance(status, str), (path, status)


@pytest.mark.postgres
def test_a_change_through_one_worker_is_read_through_every_worker_at_once(service):
    """On PostgreSQL the stamp is replaced as the writer commits (catalog.answers): the
    next read through either worker gives the new answer."""
    reads_follow_writes(service["port"], service["token"])


@pytest.fixture
def database_cut(db):
    """Call it, and from then on every query fails as when the database drops the
    connection; mended before the test database is rolled back."""

    def cut(self, *args, **kwargs):
        raise OperationalError(LOST)

    patch = mock.patch("django.db.backends.utils.CursorWrapper.execute", cut)
    yield patch.start
    patch.stop()


@pytest.mark.parametrize(
    "path",
    ["/", "/brands/aito/", "/admin/", "/admin/vehicles/brand/", "/admin/vehicles/brand/add/"],
)
def test_a_person_on_a_page_when_the_database_drops_is_told_to_retry(world, database_cut, path):
    """The admin and the explorer say so in a page, not with a server error."""
    browser = Client(raise_request_exception=False)
    browser.force_login(User.objects.create_superuser("chief", password="pw-for-tests"))
    database_cut()
    response = browser.get(path, HTTP_ACCEPT="text/html")
    assert (response.status_code, response["Retry-After"]) == (503, "1")
    assert response["Content-Type"].startswith("text/html")
    assert "<h1>Briefly unavailable</h1>" in response.content.decode()


def test_a_chinese_reader_is_told_in_chinese(world, database_cut):
    database_cut()
    response = Client(raise_request_exception=False).get(
        "/", HTTP_ACCEPT="text/html", HTTP_ACCEPT_LANGUAGE="zh-Hans"
    )
    assert response.status_code == 503
    assert "<h1>暂时无法访问</h1>" in response.content.decode()


def test_a_json_client_outside_the_api_views_gets_the_apis_503(world, database_cut):
    """Where the failure comes before any API view (the session, a middleware), the
    answer is still the documented error."""
    browser = Client(raise_request_exception=False)
    browser.force_login(User.objects.create_superuser("chief", password="pw-for-tests"))
    database_cut()
    response = browser.get("/api/v1/sources/")
    assert (response.status_code, response["Retry-After"]) == (503, "1")
    assert response.json() == UNAVAILABLE
