"""Nothing is lost or silently overwritten, and no input breaks the service."""

import json
import threading

import pytest
from django.db import connection, connections
from django.test import Client

from catalog.models import ApiToken
from tests.conftest import committed_document, user_with
from vehicles.models import Delivery


@pytest.fixture
def editor(db):
    _, raw = ApiToken.issue(
        user=user_with(
            "vehicles.add_brand",
            "vehicles.change_brand",
            "vehicles.delete_brand",
            "vehicles.add_delivery",
        ),
        name="tests",
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_get_returns_an_etag_and_if_none_match_answers_304(world, client):
    first = client.get("/api/v1/brands/aito/")
    etag = first["ETag"]
    assert etag.startswith('"')
    again = client.get("/api/v1/brands/aito/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""


def test_lists_get_etags_too(world, client):
    etag = client.get("/api/v1/brands/")["ETag"]
    assert client.get("/api/v1/brands/", HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_two_editors_lose_no_update(world, client, editor):
    """Both read AITO; the first to write wins, the second is told to re-read."""
    etag = client.get("/api/v1/brands/aito/")["ETag"]
    first = client.patch(
        "/api/v1/brands/aito/",
        {"headquarters": "Chongqing"},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
        **editor,
    )
    assert first.status_code == 200
    second = client.patch(
        "/api/v1/brands/aito/",
        {"positioning": "luxury"},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
        **editor,
    )
    assert second.status_code == 412
    assert second.json()["code"] == "precondition_failed"
    world.aito.refresh_from_db()
    assert (world.aito.headquarters, world.aito.positioning) == ("Chongqing", "")
    # Re-reading gives the new ETag, and the second editor's change then goes through.
    fresh = client.get("/api/v1/brands/aito/")["ETag"]
    assert fresh == first["ETag"]
    retry = client.patch(
        "/api/v1/brands/aito/",
        {"positioning": "luxury"},
        content_type="application/json",
        HTTP_IF_MATCH=fresh,
        **editor,
    )
    assert retry.status_code == 200
    world.aito.refresh_from_db()
    assert (world.aito.headquarters, world.aito.positioning) == ("Chongqing", "luxury")


def test_stale_delete_is_refused(world, client, editor):
    response = client.delete("/api/v1/brands/luxeed/", HTTP_IF_MATCH='"stale"', **editor)
    assert response.status_code == 412


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("[" * 5000 + "]" * 5000, 400),
        (json.dumps({"name": "x" * 10_000, "group": "seres"}), 400),
        (json.dumps({"name": "bad\u0000name", "group": "seres"}), 400),
        (json.dumps({"name": "Big", "group": "seres", "launched": 10**40}), 400),
        (json.dumps({"name": "Big", "group": "seres", "note": "x" * 3_000_000}), 413),
        ('{"name": ' * 100 + "1" + "}" * 100, 400),
        ("\xff\xfe", 400),
        # Not slugs: PostgreSQL refuses NUL bytes and lone surrogates outright, so they
        # must be turned away before any query.
        (json.dumps({"name": "Big", "group": "ser\u0000es"}), 400),
        (json.dumps({"name": "Big", "group": "\ud800"}), 400),
        (json.dumps({"name": "Big", "group": "seres", "sources": ["a\u0000"]}), 400),
        # Half a surrogate pair is no character: in any string, key or value, at any depth.
        (json.dumps({"name": "Big\ud800", "group": "seres"}), 400),
        (json.dumps({"name": "Big", "group": "seres", "description": "\udfff!"}), 400),
        (json.dumps({"name": "Big", "group": "seres", "\ud83d": 1}), 400),
        (json.dumps([{"name": "Big", "group": "seres", "description": "\ud83d"}]), 400),
        ('{"name": "Big\\ud800", "group": "seres", "description": "\\udc00\\ud800"}', 400),
    ],
)
def test_hostile_bodies_get_a_4xx_and_change_nothing(world, client, editor, body, status):
    before = list(world.aito.__class__.objects.values_list("slug", flat=True))
    response = client.post("/api/v1/brands/", body, content_type="application/json", **editor)
    assert response.status_code == status, response.content[:200]
    assert response.json()["status"] == status
    assert list(world.aito.__class__.objects.values_list("slug", flat=True)) == before


def test_a_character_escaped_as_a_whole_surrogate_pair_is_written(world, client, editor):
    body = json.dumps({"name": "Big 😀", "group": "seres"})  # ensure_ascii: "\ud83d\ude00"
    assert "\\ud83d\\ude00" in body
    response = client.post("/api/v1/brands/", body, content_type="application/json", **editor)
    assert response.status_code == 201, response.content[:200]
    assert world.aito.__class__.objects.get(slug=response.json()["slug"]).name == "Big 😀"


@pytest.mark.parametrize(
    "query",
    [
        "launched=" + "9" * 400,
        "name__ic=" + "x" * 5000,
        "q=%00",
        "brand=" + "a" * 3000,
        "limit=99999999999999999999999",
        "ordering=" + ",".join(["colour"] * 500),
    ],
)
def test_hostile_queries_get_a_4xx_never_a_500(world, client, query):
    response = client.get(f"/api/v1/brands/?{query}")
    assert 400 <= response.status_code < 500


def query_parameters(operation):
    """(name, schema of one value) of each query parameter of an operation."""
    document = committed_document()["components"]
    params = []
    for param in operation.get("parameters", []):
        if "$ref" in param:
            param = document["parameters"][param["$ref"].rpartition("/")[2]]
        if param["in"] != "query":
            continue
        schema = param.get("schema", {})
        schema = schema.get("items", schema) if schema.get("type") == "array" else schema
        if "$ref" in schema:
            schema = document["schemas"][schema["$ref"].rpartition("/")[2]]
        params.append((param["name"], schema))
    return params


READS = [
    (path, operation)
    for path, item in committed_document()["paths"].items()
    for method, operation in item.items()
    if method == "get" and "{" not in path and query_parameters(operation)
]

# Values that each database stores or compares in its own way: the ends of a 64-bit
# integer and beyond, numbers past any column's digits, the first and last days a date
# column holds, and text with LIKE's wildcards, an escape, quotes and a character outside
# the Basic Multilingual Plane. Sent to every parameter of that kind, on both databases.
DATABASE_EDGES = {
    "integer": ["-9223372036854775808", "9223372036854775807", "9223372036854775808", "-1e3"],
    "number": ["9" * 40, "0.00000000001", "-1e400", "NaN", "Infinity"],
    "date": ["0001-01-01", "9999-12-31", "2024-02-30"],
    "month": ["0001-01", "9999-12", "2025-00"],
    "date-time": ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59-12:00", "2025-06-01T00:00:00+14:00"],
    "text": ["%_\\'\"\U0001f697", "\u6c7d" * 400],
}


def edge_kind(schema):
    if schema.get("type") in ("integer", "number"):
        return schema["type"]
    if schema.get("format") in ("date", "date-time"):
        return schema["format"]
    if schema.get("pattern", "").endswith("(0[1-9]|1[0-2])$"):
        return "month"
    if schema.get("type") == "string" and "enum" not in schema:
        return "text"
    return None


@pytest.mark.parametrize(("path", "operation"), READS, ids=[path for path, _ in READS])
def test_no_query_parameter_passes_a_byte_postgresql_refuses_to_the_database(
    world, client, path, operation
):
    """PostgreSQL refuses a NUL byte in any text it is given, so every parameter of every
    read must turn one away (or match nothing) before a query is sent: never a 500. The
    same on SQLite, which would take it."""
    for name, _schema in query_parameters(operation):
        response = client.get(path, {name: "a\x00"})
        assert response.status_code in (200, 400), (name, response.status_code)


@pytest.mark.parametrize(("path", "operation"), READS, ids=[path for path, _ in READS])
def test_every_parameter_takes_the_databases_edge_values_without_a_500(
    world, client, path, operation
):
    """Each parameter gets its kind's DATABASE_EDGES: an answer or a 400 naming it, never a
    500, whatever the database (the values where SQLite and PostgreSQL differ are the
    ones a fuzzer run on one database alone would not show)."""
    for name, schema in query_parameters(operation):
        for value in DATABASE_EDGES.get(edge_kind(schema), ()):
            response = client.get(path, {name: value})
            assert response.status_code in (200, 400), (name, value, response.status_code)
            if response.status_code == 400:
                assert response.json()["errors"], (name, value)  # names what is wrong


def test_a_very_long_slug_is_a_404(world, client):
    assert client.get("/api/v1/brands/" + "a" * 5000 + "/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_of_one_month_store_one_row(on_postgres, world, editor):
    """Eight clients race to create HIMA's September 2025 total: one row, the rest 400/409."""
    body = {"alliance": "hima", "month": "2025-09", "units": 52916}
    barrier = threading.Barrier(8)
    statuses = []

    def write():
        try:
            barrier.wait()
            response = Client().post(
                "/api/v1/deliveries/", body, content_type="application/json", **editor
            )
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses).count(201) == 1
    assert set(statuses) <= {201, 400, 409}
    assert (
        Delivery.objects.filter(
            alliance__slug="hima", brand__isnull=True, month__year=2025, month__month=9
        ).count()
        == 1
    )
    assert connection.vendor == "postgresql"


@pytest.mark.parametrize("query", ["name=null", "slug__n=null", "q=null", "name__ic=null"])
def test_the_word_null_is_just_text(world, client, query):
    response = client.get(f"/api/v1/brands/?{query}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "value",
    ["0001-01-01T00:00:00%2B15:49", "9999-12-31T23:59:59-19:25", "0169-05-13T18:31:44Z"],
)
def test_extreme_date_times_are_a_400_or_an_answer_never_a_500(world, client, value):
    response = client.get(f"/api/v1/changes/?at__n={value}")
    assert response.status_code in {200, 400}


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_to_a_url_missing_its_slash_is_sent_on_with_its_body(
    world, client, editor, settings, method
):
    """Django redirects a URL missing its trailing slash with a 301, which has a client
    send a GET: the write and its body lost (with DEBUG on, Django raised instead). A
    write is redirected with 308: the same method and body, to the right URL."""
    for debug in (False, True):
        settings.DEBUG = debug
        response = getattr(client, method)(
            "/api/v1/brands/aito?x=1", "{}", content_type="application/json", **editor
        )
        assert response.status_code == 308
        assert response["Location"] == "/api/v1/brands/aito/?x=1"
    assert client.get("/api/v1/brands/aito").status_code == 301
    assert world.aito.__class__.objects.filter(slug="aito").exists()


def test_a_filter_given_more_values_than_a_query_can_hold_is_a_400(world, client):
    """Each value is one more term of the query (SQLite refuses one about a thousand
    terms deep, which was a 503 saying to retry, or a 500 mid-export): at most 100."""
    hundred = "&".join(f"slug=s{i}" for i in range(100))
    for path in ("/api/v1/deliveries/", "/api/v1/deliveries/export/"):
        assert client.get(f"{path}?{hundred}").status_code == 200
        response = client.get(f"{path}?{hundred}&slug=aito-2025-10")
        assert response.status_code == 400
        assert response.json()["errors"] == {
            "slug": [
                "Give this parameter at most 100 times, not 101: more values make a query "
                "past what the database takes. Ask in several requests."
            ]
        }
    series = client.get(f"/api/v1/insights/deliveries/?{hundred.replace('slug', 'brand')}&brand=x")
    assert list(series.json()["errors"]) == ["brand"]


def test_more_query_parameters_than_django_reads_is_a_json_400(world, client, settings):
    many = "&".join(f"p{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    for debug in (False, True):
        settings.DEBUG = debug
        response = client.get(f"/api/v1/brands/?{many}")
        assert response.status_code == 400
        assert response.json()["code"] == "too_many_fields"


def test_if_none_match_on_a_write_to_a_row_that_exists_is_refused(world, client, editor):
    """RFC 9110: If-None-Match on a write holds only if no current tag matches; `*`
    matches any row that exists (it was ignored: the change was saved)."""
    tag = client.get("/api/v1/brands/luxeed/")["ETag"]
    for header in ("*", tag, f'"other", {tag}'):
        response = client.patch(
            "/api/v1/brands/luxeed/",
            {"name": "Changed"},
            content_type="application/json",
            HTTP_IF_NONE_MATCH=header,
            **editor,
        )
        assert response.status_code == 412, header
    assert world.aito.__class__.objects.get(slug="luxeed").name != "Changed"
    response = client.patch(
        "/api/v1/brands/luxeed/",
        {"name": "Changed"},
        content_type="application/json",
        HTTP_IF_NONE_MATCH='"other"',
        **editor,
    )
    assert response.status_code == 200


@pytest.mark.parametrize("header", ["HTTP_IF_MATCH", "HTTP_IF_NONE_MATCH"])
def test_a_post_with_a_condition_is_refused_not_run_unconditionally(world, client, editor, header):
    before = client.get("/api/v1/brands/aito/").json()
    body = [{**{k: before[k] for k in ("slug", "group")}, "name": "Overwritten"}]
    response = client.post(
        "/api/v1/brands/", body, content_type="application/json", **{header: '"stale"'}, **editor
    )
    assert response.status_code == 400
    name = "If-Match" if header == "HTTP_IF_MATCH" else "If-None-Match"
    assert list(response.json()["errors"]) == [name]
    assert client.get("/api/v1/brands/aito/").json()["name"] == before["name"]


def test_each_representation_has_its_own_tag_and_head_answers_as_get(world, client):
    """A detail's JSON tag (the one If-Match is checked against) made a CSV answer a 304;
    a HEAD with a matching If-None-Match was a full 200."""
    json_tag = client.get("/api/v1/brands/aito/")["ETag"]
    csv_answer = client.get("/api/v1/brands/aito/?format=csv", HTTP_IF_NONE_MATCH=json_tag)
    assert csv_answer.status_code == 200
    assert csv_answer["ETag"] != json_tag
    for url in ("/api/v1/brands/aito/", "/api/v1/brands/"):
        tag = client.get(url)["ETag"]
        assert client.head(url, HTTP_IF_NONE_MATCH=tag).status_code == 304
        assert client.head(url)["ETag"] == tag


@pytest.mark.parametrize(
    "url", ["/api/v1/brands/nope/", "/api/v1/brands/?colour=red", "/api/v1/nothing-here/"]
)
def test_an_error_answer_carries_no_etag(world, client, url):
    """An ETag validates a representation; a 400 or 404 is none (they carried one)."""
    response = client.get(url)
    assert response.status_code in (400, 404)
    assert "ETag" not in response


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            '{"name": ' + "9" * 5000 + "}",
            "JSON parse error: a number has more digits than any field takes",
        ),
        ("[" * 100_000 + "]" * 100_000, "JSON nests deeper than 32 levels."),
    ],
)
def test_a_body_python_cannot_read_is_named_in_its_own_terms(world, client, editor, body, detail):
    """Python's words named its own settings (sys.set_int_max_str_digits, the recursion
    limit), not what was wrong with the body."""
    response = client.post("/api/v1/brands/", body, content_type="application/json", **editor)
    assert response.status_code == 400
    assert response.json()["detail"] == detail


def test_a_post_a_url_does_not_take_is_a_405_whatever_its_headers(world, client, editor):
    """The POST-takes-no-condition rule is a create's: a POST to a detail is DRF's 405."""
    response = client.post(
        "/api/v1/brands/aito/", {}, content_type="application/json", HTTP_IF_NONE_MATCH="", **editor
    )
    assert response.status_code == 405
