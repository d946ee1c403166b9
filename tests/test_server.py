"""The service as deployed: gunicorn with the committed gunicorn.conf.py, DEBUG off, the
embedded SQLite database. Whatever the server refuses is refused in the API's JSON error
shape; a few stalled uploads do not stop it answering; concurrent writers all land.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.test_security import BASE_DIR, production_env

# The server runs on a SQLite file of its own, whatever database the suite runs on.
pytestmark = pytest.mark.any_database

GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn, 2 workers, on a fresh migrated SQLite file, with a superuser's token."""
    folder = tmp_path_factory.mktemp("served")
    port = free_port()
    env = production_env(
        DATABASE_URL=f"sqlite:///{folder / 'catalog.sqlite3'}",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_ACCESS_LOG="",
    )
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=BASE_DIR, env=env, check=True)  # noqa: S603
    subprocess.run(  # noqa: S603
        [
            *manage,
            "shell",
            "-c",
            "from django.contrib.auth.models import User; "
            "User.objects.create_superuser('admin', 'admin@example.org', 'pw-for-tests')",
        ],
        cwd=BASE_DIR,
        env=env,
        check=True,
    )
    issued = subprocess.run(  # noqa: S603
        [*manage, "api_token", "create", "admin", "--name", "writers"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    token = issued.stdout.strip().splitlines()[-1]
    log = open(folder / "gunicorn.log", "w")  # noqa: SIM115 (closed at teardown)
    process = subprocess.Popen(  # noqa: S603
        [GUNICORN, "catalog.wsgi"], cwd=BASE_DIR, env=env, stdout=log, stderr=log
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("gunicorn did not start")
    yield {"port": port, "token": token, "log": folder / "gunicorn.log"}
    process.terminate()
    process.wait(timeout=30)
    log.close()


def raw_request(port, data, timeout=10):
    """Send bytes as they are; return (status, headers text, body bytes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, head.decode("latin-1"), body


def get(port, path, headers=None, timeout=10):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, response.getheader("Content-Type"), body


def test_a_request_line_over_the_limit_is_a_json_414(server):
    path = "/api/v1/brands/?q=" + "a" * 9000
    status, head, body = raw_request(
        server["port"], f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    )
    assert status == 414
    assert "Content-Type: application/json" in head
    document = json.loads(body)
    assert (document["status"], document["code"], document["errors"]) == (414, "uri_too_long", {})


def test_too_many_headers_is_a_json_error(server):
    headers = "".join(f"X-Filler-{n}: {n}\r\n" for n in range(150))
    status, _, body = raw_request(
        server["port"], f"GET /api/v1/ HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode()
    )
    assert status == 431
    assert json.loads(body)["code"] == "request_header_fields_too_large"


def test_a_header_over_the_limit_is_a_json_error(server):
    status, _, body = raw_request(
        server["port"],
        f"GET /api/v1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: {'b' * 9000}\r\n\r\n".encode(),
    )
    assert status in {400, 431}
    assert json.loads(body)["status"] == status


def test_a_host_the_service_does_not_serve_is_a_json_400(server):
    status, content_type, body = get(server["port"], "/api/v1/brands/", {"Host": "evil.example"})
    assert (status, content_type) == (400, "application/json")
    assert json.loads(body) == {
        "status": 400,
        "code": "bad_host",
        "detail": "This service does not answer for that Host header.",
        "errors": {},
    }


def test_more_than_a_thousand_query_parameters_is_a_json_400(server):
    query = "&".join(f"p{n}=1" for n in range(1001))
    status, content_type, body = get(server["port"], f"/api/v1/sources/?{query}")
    assert (status, content_type) == (400, "application/json")
    assert json.loads(body)["code"] == "too_many_fields"
    # The client's mistake is one warning line in the log, not an error with a traceback.
    log = server["log"].read_text()
    assert "Traceback" not in log


def test_stalled_uploads_do_not_delay_a_normal_get(server):
    """Four clients announce a body and never send it; a reader is still answered."""
    stalled = []
    for _ in range(4):
        sock = socket.create_connection(("127.0.0.1", server["port"]), timeout=60)
        sock.sendall(
            b"POST /api/v1/sources/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b'Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"ti'
        )
        stalled.append(sock)
    try:
        time.sleep(0.5)
        status, _, body = get(server["port"], "/api/v1/sources/", timeout=10)
        assert status == 200
        assert json.loads(body)["count"] >= 0
    finally:
        for sock in stalled:
            sock.close()


def test_eight_concurrent_writers_on_sqlite_all_land(server):
    """SQLite (the embedded default) with 2 workers: no write fails as 'database is locked'."""

    def write(n):
        connection = http.client.HTTPConnection("127.0.0.1", server["port"], timeout=60)
        body = json.dumps(
            {
                "title": f"Concurrent source {n}",
                "publisher": "Writers' test",
                "link": f"https://example.org/concurrent/{n}",
            }
        )
        connection.request(
            "POST",
            "/api/v1/sources/",
            body=body,
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {server['token']}",
            },
        )
        response = connection.getresponse()
        answer = response.read()
        connection.close()
        return response.status, answer

    barrier = threading.Barrier(8)

    def write_together(n):
        barrier.wait()
        return [write(n * 10 + k) for k in range(5)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [item for batch in pool.map(write_together, range(8)) for item in batch]
    assert [status for status, _ in results] == [201] * 40, [a for s, a in results if s != 201][:3]
    status, _, body = get(server["port"], "/api/v1/sources/?publisher=Writers'%20test&limit=1")
    assert (status, json.loads(body)["count"]) == (200, 40)


def send(port, method, path, body, token):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(
        method,
        path,
        body=json.dumps(body),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    response = connection.getresponse()
    answer = json.loads(response.read())
    connection.close()
    return response.status, answer


def test_a_change_through_one_worker_is_read_through_every_worker_at_once(server):
    """Each worker keeps the answers it gave (catalog.answers); a write through either
    one is seen by the very next read through either one, never the kept answer."""
    reads_follow_writes(server["port"], server["token"])


def reads_follow_writes(port, token):
    """A source written, read by both workers, changed twice: every read after each
    change (four at a time, so both workers answer) gives the new title."""
    source = {"title": "Kept answers", "publisher": "Readers' test", "link": "https://e.org/k"}
    status, created = send(port, "POST", "/api/v1/sources/", source, token)
    assert status == 201, created
    detail = f"/api/v1/sources/{created['slug']}/"

    def titles_read_together():
        """Sixteen reads, four at a time, so that both workers answer."""
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(lambda _: get(port, detail), range(16)))
        assert {status for status, _, _ in answers} == {200}
        return {json.loads(body)["title"] for _, _, body in answers}

    current = "Kept answers"
    for title in ("A second title", "A third title"):
        assert titles_read_together() == {current}  # and now kept by both workers
        status, changed = send(port, "PATCH", detail, {"title": title}, token)
        assert (status, changed["title"]) == (200, title)
        assert titles_read_together() == {title}
        current = title


def test_a_worker_starts_with_its_views_loaded_and_its_start_up_objects_frozen(tmp_path):
    """What a WSGI server imports (catalog.wsgi) loads the URLs and views before the first
    request, and leaves the objects made at start-up out of full garbage collections."""
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'catalog.sqlite3'}")
    started = subprocess.run(
        [
            sys.executable,
            "-c",
            "import gc, sys; import catalog.wsgi; "
            "print(gc.get_freeze_count(), 'vehicles.views' in sys.modules)",
        ],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    frozen, views_loaded = started.stdout.split()
    assert int(frozen) > 50_000
    assert views_loaded == "True"
