"""OpenAPI helpers: error responses, summary components, CSV media type.

drf-spectacular introspects almost everything; this module adds what it cannot see:
which errors each operation can answer (with their body), how a related object looks
on read (a summary) versus write (a slug), and that CSV is text, not JSON.
"""

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from rest_framework.permissions import SAFE_METHODS

from catalog.serializers import (
    SLUG_SCHEMA,
    ErrorSerializer,
    SourceSummarySerializer,
    SummarySerializer,
)

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
ERROR_DESCRIPTIONS = {
    "400": "Malformed or unknown query parameter, or invalid data; `errors` names each problem.",
    "401": "No credentials for a write, or an invalid, expired or revoked token (on any request: a bad credential is never ignored).",
    "403": "The token's user lacks the permission for this change.",
    "404": "No resource with this slug.",
    "409": "Conflicts with the catalog's state (still referenced, or a concurrent change).",
    "412": "If-Match did not match: the resource changed since it was read. Read it again.",
    "413": "The request body is larger than the accepted maximum.",
    "429": "Too many requests; retry after the number of seconds in Retry-After.",
}


# In OpenAPI 3.1 `format` is only an annotation; the pattern makes a date a date.
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


class CatalogAutoSchema(AutoSchema):
    """Documents the error responses every operation can give, with their body."""

    def get_auth(self):
        # Reading is open to everyone (catalog.permissions): say so for safe methods.
        auths = super().get_auth()
        if self.method in SAFE_METHODS and {} not in auths:
            auths.append({})
        return auths

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        # An optional URL is "a URL or empty"; '' matches both branches, so oneOf
        # (exactly one) would reject it. anyOf says what is meant.
        branches = schema.get("oneOf", [])
        if any(branch.get("maxLength") == 0 for branch in branches):
            schema["anyOf"] = schema.pop("oneOf")

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["400", "401", "429"]
        if self.method in WRITE_METHODS:
            codes.append("403")
        if self.method in {"DELETE", "PUT", "PATCH", "POST"}:
            codes.append("409")
        if self.method in {"PUT", "PATCH", "POST"}:
            codes.append("413")
        if self.method in {"DELETE", "PUT", "PATCH"}:
            codes.append("412")
        if "{" in self.path:
            codes.append("404")
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        for code in sorted(codes):
            responses.setdefault(
                code,
                {
                    "content": {"application/json": {"schema": error}},
                    "description": ERROR_DESCRIPTIONS[code],
                },
            )
        return responses


class SummaryFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "catalog.serializers.SummaryField"
    summary_serializer = SummarySerializer

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return {**SLUG_SCHEMA, "description": "Slug of the related object."}
        return auto_schema.resolve_serializer(self.summary_serializer, direction).ref


class SourceSummaryFieldExtension(SummaryFieldExtension):
    target_class = "catalog.serializers.SourceSummaryField"
    summary_serializer = SourceSummarySerializer


def trim_country_lists(result, generator, request, public):
    """Postprocessing hook: name the country enum once instead of listing 250 countries
    in the description of every field and parameter that uses it."""

    def trim(node):
        if isinstance(node, dict):
            text = node.get("description")
            if isinstance(text, str) and "* `AF` - Afghanistan" in text:
                head = text.split("\n\n* `")[0] if not text.startswith("* `") else ""
                node["description"] = (head + " " if head else "") + "ISO 3166-1 alpha-2 code."
            for value in node.values():
                trim(value)
        elif isinstance(node, list):
            for value in node:
                trim(value)

    trim(result)
    return result


def dates_have_patterns(result, generator, request, public):
    """Postprocessing hook: every `format: date` string also carries a YYYY-MM-DD pattern."""

    def walk(node):
        if isinstance(node, dict):
            if node.get("format") == "date" and "pattern" not in node:
                node["pattern"] = DATE_PATTERN
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result


def link_created_resources(result, generator, request, public):
    """Postprocessing hook: OpenAPI links from each create to the operations on what it made.

    A client (or a stateful test) can follow them: the slug in the 201 body addresses
    the new resource for retrieve, update, partial update and delete.
    """
    paths = result.get("paths", {})
    for path, operations in paths.items():
        create = operations.get("post")
        detail = paths.get(f"{path}{{slug}}/")
        if not create or not detail or "201" not in create.get("responses", {}):
            continue
        create["responses"]["201"]["links"] = {
            operation["operationId"]: {
                "operationId": operation["operationId"],
                "parameters": {"slug": "$response.body#/slug"},
                "description": f"{method.upper()} the resource just created.",
            }
            for method, operation in detail.items()
            if method in {"get", "put", "patch", "delete"}
        }
    return result


def csv_is_text(result, generator, request, public):
    """Postprocessing hook: a text/csv response is a CSV document, not the JSON schema."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                if "text/csv" in content:
                    content["text/csv"] = {
                        "schema": {
                            "type": "string",
                            "description": "CSV with a header row; related objects as slugs, lists joined with ';'.",
                        }
                    }
    return result


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "catalog.authentication.BearerTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from the admin or `manage.py api_token create`.",
        }
