"""The OpenAPI document is the contract partner apps generate clients from."""

import pytest
from django.conf import settings
from django.core.management import call_command
from openapi_core import OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse

from tests.conftest import committed_document
from tests.test_api_queries import RESOURCES

COMMITTED = settings.BASE_DIR / "openapi.yaml"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "openapi.yaml"
    call_command("spectacular", "--file", str(path), "--validate", "--fail-on-warn")
    return path.read_text()


@pytest.mark.any_database
def test_committed_schema_matches_the_code(generated):
    assert COMMITTED.read_text() == generated, (
        "openapi.yaml is out of date: run `make schema` and commit the result."
    )


@pytest.fixture(scope="module")
def contract():
    return OpenAPI.from_dict(committed_document())


def check(contract, response):
    contract.validate_response(
        DjangoOpenAPIRequest(response.wsgi_request), DjangoOpenAPIResponse(response)
    )


@pytest.mark.parametrize("resource", RESOURCES)
def test_real_list_and_detail_responses_match_the_schema(world, client, contract, resource):
    listing = client.get(f"/api/v1/{resource}/")
    assert listing.status_code == 200
    check(contract, listing)
    for row in listing.json()["results"]:
        detail = client.get(f"/api/v1/{resource}/{row['slug']}/")
        assert detail.status_code == 200
        check(contract, detail)


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("get", "/api/v1/brands/?colour=red", 400),
        ("get", "/api/v1/brands/no-such-brand/", 404),
        ("post", "/api/v1/brands/", 401),
        ("delete", "/api/v1/brands/aito/", 401),
    ],
)
def test_error_responses_match_the_schema(world, client, contract, method, url, status):
    response = getattr(client, method)(url)
    assert response.status_code == status
    check(contract, response)


def test_schema_and_docs_are_served_without_a_cdn(world, client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"openapi: 3" in schema.content
    for page in ("/api/docs/", "/api/redoc/"):
        html = client.get(page).content.decode()
        for cdn in ("cdn.", "unpkg", "jsdelivr"):
            assert cdn not in html
        assert (
            "/static/drf_spectacular_sidecar/" in html or "/api/redoc/redoc.standalone.js" in html
        )
