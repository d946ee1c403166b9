"""The OpenAPI document says exactly what the server does, so generated clients need no
hand fixes: conditional requests, required fields, scalar and array parameters, enums,
decimal places, and a summary and description for every operation and parameter."""

import json
import re

import pytest

from tests import test_reliability
from tests.conftest import committed_document

DOCUMENT = committed_document()
PATHS = DOCUMENT["paths"]
SCHEMAS = DOCUMENT["components"]["schemas"]
OPERATIONS = [
    (path, method, operation)
    for path, operations in PATHS.items()
    for method, operation in operations.items()
]
LISTS = [
    (path, operation)
    for path, method, operation in OPERATIONS
    if method == "get" and operation["operationId"].endswith("_list")
]


def parameters(operation):
    """The operation's parameters, references resolved."""
    resolved = []
    for parameter in operation.get("parameters", []):
        if "$ref" in parameter:
            parameter = DOCUMENT["components"]["parameters"][parameter["$ref"].split("/")[-1]]
        resolved.append(parameter)
    return resolved


def test_a_client_rereading_a_brand_with_its_etag_gets_an_empty_304(world, client):
    first = client.get("/api/v1/brands/aito/")
    again = client.get("/api/v1/brands/aito/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", first["ETag"])
    changed = client.get("/api/v1/brands/aito/", HTTP_IF_NONE_MATCH='"stale"')
    assert changed.status_code == 200
    assert changed.json()["slug"] == "aito"


def test_a_list_carries_an_etag_and_answers_304_as_documented(world, client):
    first = client.get("/api/v1/brands/?limit=2")
    again = client.get("/api/v1/brands/?limit=2", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    documented = PATHS["/api/v1/brands/"]["get"]["responses"]
    assert "ETag" in documented["200"]["headers"]
    assert "304" in documented


@pytest.mark.parametrize(
    ("path", "method", "operation"),
    [op for op in OPERATIONS if op[1] in {"get", "put", "patch", "delete"}],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_every_read_and_write_declares_its_conditional_headers(path, method, operation):
    names = {parameter["name"] for parameter in parameters(operation)}
    responses = operation["responses"]
    # Files (exports, the data package) are streamed and carry no ETag.
    if method == "get" and "application/json" in responses.get("200", {}).get("content", {}):
        assert "If-None-Match" in names
        assert "ETag" in responses["200"]["headers"]
        assert "304" in responses
    if method in {"put", "patch", "delete"}:
        assert "If-Match" in names
        assert "412" in responses
    if method in {"put", "patch"}:
        assert "ETag" in responses["200"]["headers"]


def test_every_operation_says_when_to_retry_a_throttled_or_unavailable_request():
    """A client generated from the document handles 429 and 503 (the database briefly
    down) as the error they are, and reads how long to wait."""
    for path, method, operation in OPERATIONS:
        for code in ("429", "503"):
            answer = operation["responses"][code]
            assert answer["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }, (path, method, code)
            assert answer["headers"]["Retry-After"]["schema"]["type"] == "integer"


def test_every_field_an_answer_always_carries_is_required():
    optional = {
        name: sorted(set(schema.get("properties", {})) - set(schema.get("required", [])))
        for name, schema in SCHEMAS.items()
        if schema.get("type") == "object" and "Request" not in name
    }
    # A page says `count_estimated` only when its count is the database's estimate.
    for name in [name for name in optional if name.startswith("Paginated")]:
        assert optional.pop(name) == ["count_estimated"]
    # Graph edges leave out the attributes of other kinds of edge; an error names what
    # blocks a delete only on the 409 that refuses one.
    assert {name: fields for name, fields in optional.items() if fields} == {
        "Error": ["references"],
        "GraphEdge": [
            "announced_on",
            "partnership_kind",
            "quantity",
            "role",
            "scope",
            "share_percent",
            "url",
            "vehicle_models",
        ],
    }


def test_nullable_fields_say_so_and_request_bodies_keep_their_own_required_lists():
    chip = SCHEMAS["Chip"]["properties"]
    assert chip["ai_tops"]["type"] == ["number", "null"]
    assert SCHEMAS["ChipRequest"]["required"] == ["category", "designer", "name"]
    assert "required" not in SCHEMAS["PatchedChipRequest"]


def test_decimals_state_their_places_in_words_that_a_float_cannot_fail():
    """multipleOf: 0.01 failed real answers (39.02 is not a whole number of 0.01s in
    binary floating point, as validators compute): the places are said in words."""
    assert "multipleOf" not in json.dumps(DOCUMENT)
    ai_tops = SCHEMAS["Chip"]["properties"]["ai_tops"]["description"]
    assert ai_tops.endswith("At most 1 decimal place.")
    share = SCHEMAS["ShareholdingRequest"]["properties"]["share_percent"]["description"]
    assert share.endswith("At most 2 decimal places.")
    share = PATHS["/api/v1/shareholdings/"]["get"]
    gte = next(p for p in parameters(share) if p["name"] == "share_percent__gte")
    assert "at most 6 decimal places" in gte["description"]


def test_no_parameter_is_an_array_of_arrays_and_range_lookups_are_scalars():
    for path, _, operation in OPERATIONS:
        for parameter in parameters(operation):
            schema = parameter["schema"]
            if schema.get("type") == "array":
                assert schema["items"].get("type") != "array", (path, parameter["name"])
                assert parameter.get("explode") is True, (path, parameter["name"])
            if re.search(r"__(gte|lte|gt|lt)$", parameter["name"]):
                assert schema.get("type") != "array", (path, parameter["name"])
    exposure = {p["name"]: p for p in parameters(PATHS["/api/v1/insights/exposure/"]["get"])}
    assert exposure["company"]["schema"]["items"]["type"] == "string"
    for window in ("month_from", "month_to", "as_of"):
        assert exposure[window]["schema"]["type"] == "string"


def test_every_operation_has_its_own_summary_and_description():
    summaries = [operation["summary"] for _, _, operation in OPERATIONS]
    assert len(set(summaries)) == len(summaries)
    for _, _, operation in OPERATIONS:
        assert operation["description"].strip()
    stack = PATHS["/api/v1/brands/{slug}/stack/"]["get"]
    assert "Car brands and the groups that own them" not in stack["description"]


def test_every_parameter_describes_its_values():
    for path, _, operation in OPERATIONS:
        for parameter in parameters(operation):
            assert parameter.get("description"), (path, parameter["name"])
    active_on = next(
        p for p in parameters(PATHS["/api/v1/partnerships/"]["get"]) if p["name"] == "active_on"
    )
    assert "inclusive" in active_on["description"]


@pytest.mark.parametrize(("path", "operation"), LISTS, ids=[path for path, _ in LISTS])
def test_the_server_accepts_every_documented_ordering(world, client, path, operation):
    ordering = next(p for p in parameters(operation) if p["name"] == "ordering")
    values = ordering["schema"]["items"]["enum"]
    assert {value.lstrip("-") for value in values} == {
        value for value in values if not value.startswith("-")
    }
    for value in values:
        response = client.get(path, {"ordering": value, "limit": 1})
        assert response.status_code == 200, (value, response.json())
    refused = client.get(path, {"ordering": "colour"})
    assert refused.status_code == 400
    assert "ordering" in refused.json()["errors"]


EXPORTS = [
    (path, operation)
    for path, method, operation in OPERATIONS
    if method == "get" and path.endswith("/export/")
]


@pytest.mark.parametrize(("path", "operation"), EXPORTS, ids=[path for path, _ in EXPORTS])
def test_an_export_takes_exactly_its_lists_filters(path, operation):
    """A client can move a list's query to its export unchanged, paging aside: the same
    query parameters with the same schemas (so Schemathesis tries each boundary value on the list
    only; schemathesis.toml)."""
    listed = {
        parameter["name"]: parameter["schema"]
        for parameter in parameters(PATHS[path.removesuffix("export/")]["get"])
        if parameter["in"] == "query" and parameter["name"] not in {"limit", "offset", "cursor"}
    }
    exported = {
        parameter["name"]: parameter["schema"]
        for parameter in parameters(operation)
        if parameter["in"] == "query" and parameter["name"] != "format"
    }
    assert exported == listed
    assert len(EXPORTS) == 14


def test_every_refusal_and_paging_header_the_server_sends_is_declared():
    """406 (no acceptable format) on every operation, 415 (a body not JSON) on every one
    taking a body, and the paging headers every JSON list sends beside its body."""
    for path, method, operation in OPERATIONS:
        responses = operation["responses"]
        assert "406" in responses, (path, method)
        assert ("415" in responses) == ("requestBody" in operation), (path, method)
    for path, operation in LISTS:
        headers = operation["responses"]["200"]["headers"]
        assert sorted(headers) == ["ETag", "Link", "X-Total-Count"], path


# A token allowed to delete brands (the same fixture).
editor = test_reliability.editor


def test_a_409_body_is_what_the_error_schema_declares(world, client, editor):
    """`references` (what blocks a delete) was sent but not declared: generated clients
    dropped it."""
    response = client.delete("/api/v1/brands/aito/", **editor)
    assert response.status_code == 409
    body = response.json()
    error = SCHEMAS["Error"]
    assert set(body) <= set(error["properties"])
    assert set(error["required"]) <= set(body)
    reference = SCHEMAS["Reference"]
    for entry in body["references"]:
        assert set(entry) == set(reference["properties"]) == set(reference["required"])
        assert entry["count"] >= 1
        assert entry["slugs"]
