"""The OpenAPI document is served from the committed file, fast, with an ETag; the docs
pages load it as JSON from this service only."""

import json
import time

from django.conf import settings

from catalog.docs import REDOC_VENDOR_LOGO
from tests.conftest import committed_document

COMMITTED = settings.BASE_DIR / "openapi.yaml"


def test_the_schema_is_the_committed_document_served_from_memory_with_an_etag(client):
    client.get("/api/schema/")  # the first request of a process reads the file
    started = time.perf_counter()
    answer = client.get("/api/schema/")
    elapsed = time.perf_counter() - started
    assert answer.status_code == 200
    assert answer.content == COMMITTED.read_bytes()
    assert answer["Content-Type"] == "application/vnd.oai.openapi; charset=utf-8"
    # Generating the document takes over a second; the committed one is served at once.
    assert elapsed < 1.0
    again = client.get("/api/schema/", HTTP_IF_NONE_MATCH=answer["ETag"])
    assert (again.status_code, again.content) == (304, b"")


def test_the_schema_as_json_is_the_same_document(client):
    answer = client.get("/api/schema/?format=json")
    assert answer["Content-Type"] == "application/vnd.oai.openapi+json; charset=utf-8"
    assert json.loads(answer.content) == committed_document()
    assert answer["ETag"] != client.get("/api/schema/")["ETag"]


def test_an_unknown_schema_format_is_a_json_400_that_says_what_is_accepted(client):
    answer = client.get("/api/schema/?format=xml")
    assert answer.status_code == 400
    assert answer.json() == {
        "status": 400,
        "code": "invalid",
        "detail": "Accepted: format=yaml (the default) or format=json, nothing else.",
        "errors": {},
    }


def test_the_docs_pages_load_the_json_document_and_redoc_from_this_service(client):
    redoc = client.get("/api/redoc/").content.decode()
    assert 'spec-url="/api/schema/?format=json"' in redoc
    assert '<script src="/api/redoc/redoc.standalone.js">' in redoc
    bundle = client.get("/api/redoc/redoc.standalone.js").content
    assert REDOC_VENDOR_LOGO not in bundle
    assert b"cdn.redoc.ly" not in bundle
    swagger = client.get("/api/docs/?script=").content.decode()
    # The address is written into the script escaped for JavaScript.
    assert r"/api/schema/?format\u003Djson" in swagger
