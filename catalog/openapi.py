"""OpenAPI helpers: error responses, summary components, CSV media type, conditional
requests, operation texts and exact parameter types.

drf-spectacular introspects almost everything; this module adds what it cannot see:
which errors each operation can answer (with their body), how a related object looks
on read (a summary) versus write (a slug), that CSV is text, not JSON, that every GET
carries an ETag and every write takes If-Match, and what each parameter accepts.
Partner apps generate their clients from this document, so it says exactly what the
server does: fields every answer carries are required, single values are scalars.
"""

import django_filters
from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiFilterExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance, get_doc
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from catalog import values
from catalog.filters import (
    MAX_VALUES,
    RANGE_LOOKUPS,
    TEXT_MAX_LENGTH,
    BoolFilter,
    SlugFilter,
)
from catalog.serializers import (
    SLUG_SCHEMA,
    ErrorSerializer,
    SourceSummarySerializer,
    SummarySerializer,
)


class EnglishSchemaGenerator(SchemaGenerator):
    """The document in English whatever language is active (a request's, a translated
    admin's): it is the contract, compared byte for byte with the committed file. Texts
    marked for translation are made plain strings here, so rendering it later cannot
    translate them either."""

    def get_schema(self, request=None, public=False):
        with translation.override(settings.LANGUAGE_CODE):
            return plain_strings(super().get_schema(request=request, public=public))


def plain_strings(value):
    """`value` with every lazily translated text in it turned into a str, now."""
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, dict):
        return {plain_strings(key): plain_strings(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(plain_strings(inner) for inner in value)
    return value


WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
ERROR_DESCRIPTIONS = {
    "400": "Malformed or unknown query parameter, or invalid data; `errors` names each problem.",
    "401": "No credentials for a write, or an invalid, expired or revoked token (on any request: a bad credential is never ignored).",
    "403": "The token's user lacks the permission for this change.",
    "404": "No resource with this slug.",
    "409": "Conflicts with the catalog's state (still referenced, or a concurrent change).",
    "406": "None of the formats this operation writes is acceptable (Accept, or an unknown ?format=).",
    "412": "If-Match did not match: the resource changed since it was read. Read it again.",
    "413": "The request body is larger than the accepted maximum.",
    "415": "The body is not sent as application/json.",
    "429": "Too many requests; retry after the number of seconds in Retry-After.",
    "503": "The database is briefly unavailable; nothing was confirmed. Retry after the "
    "number of seconds in Retry-After (after a write, read the resource first: it may have "
    "been stored).",
}


# Answers that say when to try again.
RETRY_AFTER = {"429", "503"}
RETRY_AFTER_HEADER = {
    "schema": {"type": "integer", "minimum": 0},
    "description": "Seconds to wait before retrying.",
    "required": True,
}


# In OpenAPI 3.1 `format` is only an annotation; the pattern makes a date a date.
# A date as catalog.values parses it: four ASCII digits of a year in the catalog's range.
DATE_PATTERN = values.DATE_PATTERN


ACTION_SUMMARIES = {
    "list": "List {plural}",
    "create": "Create {a} {name}",
    "retrieve": "Read {a} {name}",
    "update": "Replace {a} {name}",
    "partial_update": "Change some fields of {a} {name}",
    "destroy": "Delete {a} {name}",
}
ACTION_DESCRIPTIONS = {
    "list": (
        "A page of {plural}: `count` is the total that match, `next` and `previous` link "
        "the neighbouring pages. Every filter narrows the answer; repeating a parameter "
        "means OR, different parameters mean AND. An unknown parameter or a malformed "
        "value is a 400 that names it and says what is accepted. CSV of the same rows: "
        "the `export` operation."
    ),
    "retrieve": (
        "One {name}, by slug. The `ETag` header identifies this representation: send it "
        "back in `If-None-Match` to get an empty 304 while it is unchanged, and in "
        "`If-Match` on a write so that the write is refused (412) if someone changed the "
        "{name} since you read it."
    ),
    "create": (
        "Create {a} {name} from the fields sent (a token with the add permission is "
        "needed). Related objects are given by slug. Answers the {name} as stored."
    ),
    "update": (
        "Replace {a} {name}: required fields must be sent, fields left out take their "
        "defaults (a token with the change permission is needed). Send `If-Match` with "
        "the ETag you read to have the write refused (412) if the {name} changed since."
    ),
    "partial_update": (
        "Change only the fields sent of {a} {name} (a token with the change permission is "
        "needed). Send `If-Match` with the ETag you read to have the write refused (412) "
        "if the {name} changed since."
    ),
    "destroy": (
        "Delete {a} {name} (a token with the delete permission is needed); refused with "
        "409 while other records refer to it. Send `If-Match` with the ETag you read to "
        "have the delete refused (412) if the {name} changed since."
    ),
}


class CatalogAutoSchema(AutoSchema):
    """Documents the error responses every operation can give, with their body, and
    gives each operation its own summary and description."""

    def _is_list_view(self, serializer=None):
        # Only a GET reads a list: a create that takes one row or many documents no
        # filters or paging parameters (the server refuses them).
        if self.method != "GET":
            return False
        return super()._is_list_view(serializer)

    def _model_names(self):
        queryset = getattr(self.view, "queryset", None)
        if queryset is None:
            return None
        meta = queryset.model._meta
        name = str(meta.verbose_name)
        return {
            "name": name,
            "plural": str(meta.verbose_name_plural),
            "a": "an" if name[:1] in "aeiou" else "a",
        }

    def get_summary(self):
        action = getattr(self.view, "action", None)
        names = self._model_names()
        if action in ACTION_SUMMARIES and names:
            return ACTION_SUMMARIES[action].format(**names)
        # Other views and actions: the first line of their docstring.
        handler = getattr(self.view, action or self.method.lower(), None)
        doc = get_doc(handler) or get_doc(self.view.__class__)
        return doc.split("\n")[0].rstrip(".") or None

    def get_description(self):
        action = getattr(self.view, "action", None)
        names = self._model_names()
        view_doc = get_doc(self.view.__class__)
        if action in ACTION_DESCRIPTIONS and names:
            return f"{view_doc}\n\n{ACTION_DESCRIPTIONS[action].format(**names)}".strip()
        handler = getattr(self.view, action or self.method.lower(), None)
        doc = get_doc(handler) or view_doc
        # The first line is the summary; the description says the rest.
        return doc.partition("\n")[2].strip() or doc

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        # A model serializer writes every one of its fields in every answer (null when
        # there is no value): in a response, each is required. Plain serializers state
        # their own `required` (the graph's edges leave out other kinds' attributes).
        model_answer = isinstance(force_instance(serializer), serializers.ModelSerializer)
        if direction == "response" and model_answer and schema.get("properties"):
            schema["required"] = sorted(schema["properties"])
        return schema

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        names = self._model_names() or {"name": "record"}
        for parameter in parameters:
            if parameter["name"] == "slug":
                parameter["description"] = f"The {names['name']}'s slug, its public identifier."
                parameter["schema"] = {**SLUG_SCHEMA, "minLength": 1}
            elif parameter["name"] == "id":
                parameter["description"] = f"The {names['name']}'s number."
        return parameters

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
        # A decimal states its places in words. Not as multipleOf (0.01): it is written as
        # a JSON number, read as a binary float, and 39.02 / 0.01 is not a whole number
        # there, so validators (jsonschema, openapi-core) refused real answers.
        if isinstance(field, serializers.DecimalField) and field.decimal_places is not None:
            count = field.decimal_places
            places = f"At most {count} decimal place{'' if count == 1 else 's'}."
            schema["description"] = " ".join(filter(None, [schema.get("description"), places]))

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["400", "401", "406", "429", "503"]
        if self.method in WRITE_METHODS:
            codes.append("403")
        if self.method in {"DELETE", "PUT", "PATCH", "POST"}:
            codes.append("409")
        if self.method in {"PUT", "PATCH", "POST"}:
            codes.extend(["413", "415"])
        if self.method in {"DELETE", "PUT", "PATCH"}:
            codes.append("412")
        if "{" in self.path:
            codes.append("404")
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        for code in sorted(codes):
            response = {
                "content": {"application/json": {"schema": error}},
                "description": ERROR_DESCRIPTIONS[code],
            }
            if code in RETRY_AFTER:
                response["headers"] = {"Retry-After": RETRY_AFTER_HEADER}
            responses.setdefault(code, response)
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


def schema_objects(node):
    """Every object (dict) in a schema tree, each before those it holds, for the hooks
    that amend objects wherever they stand."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from schema_objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from schema_objects(value)


def trim_country_lists(result, generator, request, public):
    """Postprocessing hook: name the country enum once instead of listing 250 countries
    in the description of every field and parameter that uses it."""
    for node in schema_objects(result):
        text = node.get("description")
        if isinstance(text, str) and "* `AF` - Afghanistan" in text:
            head = text.split("\n\n* `")[0] if not text.startswith("* `") else ""
            node["description"] = (head + " " if head else "") + "ISO 3166-1 alpha-2 code."
    return result


def dates_have_patterns(result, generator, request, public):
    """Postprocessing hook: every `format: date` string also carries a YYYY-MM-DD pattern."""
    for node in schema_objects(result):
        if node.get("format") == "date" and "pattern" not in node:
            node["pattern"] = DATE_PATTERN
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


CSV_SCHEMA = {
    "type": "string",
    "description": "CSV with a header row; related objects as slugs, lists joined with ';'.",
}
JSON_MEDIA_TYPE = "application/json"


def is_export(path, operation):
    """An export operation: its answer is a file (CSV...), never the JSON resource."""
    return path.rstrip("/").endswith("/export") or operation["operationId"].endswith("_export")


def csv_is_text(result, generator, request, public):
    """Postprocessing hook: JSON operations answer JSON only; files are their own operations.

    DRF offers every view in each of its renderers (`?format=csv`, `Accept: text/csv`),
    and drf-spectacular lists each as a media type of the 200 answer. Generated clients
    then type every body as `T | string` (openapi-fetch) or pick one at random. So the
    JSON operations declare application/json alone and no `format` parameter, and the
    files are documented by the export operations, whose only answer is the file. The
    server still honours `?format=csv` on a list, as a convenience for browsers and
    spreadsheets; the description of each list says so.
    """
    paths = result.get("paths", {})
    for path, operations in paths.items():
        for method, operation in operations.items():
            export = is_export(path, operation)
            if export and path.endswith("/export/"):
                # One summary per operation: name the resource exported.
                resource = path.removesuffix("/export/").rsplit("/", 1)[-1].replace("-", " ")
                operation["summary"] = f"Export {resource} as CSV or JSON Lines"
                operation["description"] = (
                    f"The {resource} that `GET {path.removesuffix('export/')}` selects, all "
                    f"of them, as one file. {operation.get('description', '')}"
                ).strip()
            dropped = set()
            for code, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if "text/csv" in content:
                    content["text/csv"] = {"schema": CSV_SCHEMA}
                if export or not code.startswith("2") or JSON_MEDIA_TYPE not in content:
                    continue
                dropped |= set(content) - {JSON_MEDIA_TYPE}
                response["content"] = {JSON_MEDIA_TYPE: content[JSON_MEDIA_TYPE]}
            if export:
                continue
            operation["parameters"] = [
                parameter
                for parameter in operation.get("parameters", [])
                if parameter.get("name") != "format"
            ]
            if not dropped or method != "get":
                continue
            formats = ", ".join(f"`{media_type}`" for media_type in sorted(dropped))
            operation["description"] += (
                f"\n\nAlso available as {formats}: `?format=` with the format's name, or the "
                "media type in `Accept`."
            )
            if "export" in paths.get(f"{path}export/", {}).get("get", {}).get("operationId", ""):
                operation["description"] += f" For files, use `GET {path}export/`."
    return result


class CatalogSessionScheme(SessionScheme):
    """The session cookie, as drf-spectacular describes DRF's session authentication."""

    target_class = "catalog.authentication.SessionAuthentication"


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "catalog.authentication.BearerTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from the admin or `manage.py api_token create`.",
        }


ETAG_HEADER = {
    "description": (
        "A strong validator of this representation. Send it back in If-None-Match to "
        "read again only if it changed, and in If-Match on a write."
    ),
    "schema": {"type": "string", "pattern": '^"[^"]+"$', "example": '"3f6c1a0e9b"'},
}
CONDITIONAL_PARAMETERS = {
    "IfNoneMatch": {
        "name": "If-None-Match",
        "in": "header",
        "required": False,
        "description": (
            "ETags from earlier answers, comma-separated, or `*`. When one matches the "
            "current representation the answer is an empty 304. A value that matches "
            "nothing (an empty one included) asks for the full answer."
        ),
        "schema": {"type": "string"},
    },
    "IfMatch": {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "description": (
            "The ETag read before this write (comma-separated ETags, or `*` for any). "
            "When none matches the current representation the write is refused with 412 "
            "and nothing changes. Left out: the write is not conditional."
        ),
        "schema": {"type": "string", "minLength": 1},
    },
}
LIST_HEADERS = {
    "Link": {
        "description": (
            'The next and previous pages (RFC 8288: `<url>; rel="next"`, `rel="prev"`), '
            "where there are any: the same URLs as `next` and `previous`."
        ),
        "schema": {"type": "string"},
    },
    "X-Total-Count": {
        "description": "The rows in the whole list: the same number as `count`.",
        "schema": {"type": "integer", "minimum": 0},
    },
}
NOT_MODIFIED = {
    "description": "Not Modified: the representation still matches an ETag in If-None-Match; no body.",
    "headers": {"ETag": {"$ref": "#/components/headers/ETag"}},
}


def conditional_requests(result, generator, request, public):
    """Postprocessing hook: conditional requests are part of the contract, lists declare
    their paging headers, and every repeatable query parameter says it is sent as one
    key per value.

    Every GET answer carries an ETag (details from the view, lists and insights from
    Django's ConditionalGetMiddleware) and answers 304 to a matching If-None-Match;
    every PUT, PATCH and DELETE takes If-Match and answers 412 when it is stale (the
    412 itself is declared with the other errors).
    """
    components = result.setdefault("components", {})
    components.setdefault("headers", {})["ETag"] = ETAG_HEADER
    components.setdefault("parameters", {}).update(CONDITIONAL_PARAMETERS)
    etag = {"ETag": {"$ref": "#/components/headers/ETag"}}
    components["headers"].update(LIST_HEADERS)
    list_headers = {name: {"$ref": f"#/components/headers/{name}"} for name in LIST_HEADERS}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.get("responses", {})
            parameters = operation.setdefault("parameters", [])
            json_answer = JSON_MEDIA_TYPE in responses.get("200", {}).get("content", {})
            if method == "get" and json_answer:
                parameters.append({"$ref": "#/components/parameters/IfNoneMatch"})
                responses["200"]["headers"] = dict(etag)
                responses["304"] = NOT_MODIFIED
                schema = responses["200"]["content"][JSON_MEDIA_TYPE].get("schema", {})
                if schema.get("$ref", "").startswith("#/components/schemas/Paginated"):
                    responses["200"]["headers"].update(list_headers)
            elif method in {"put", "patch", "delete"}:
                parameters.append({"$ref": "#/components/parameters/IfMatch"})
                if "200" in responses:
                    responses["200"]["headers"] = etag
            operation["responses"] = dict(sorted(responses.items()))
            for parameter in parameters:
                # A repeatable query parameter is sent as one key per value.
                if parameter.get("in") == "query" and parameter["schema"].get("type") == "array":
                    parameter.update(style="form", explode=True)
                    parameter["schema"]["maxItems"] = MAX_VALUES
    return result


# What one value of each kind of filter looks like, as the server parses it.
VALUE_FORMATS = {
    "int": "A whole number (ASCII digits, optional leading minus).",
    "decimal": "A number with at most 6 decimal places.",
    "date": "A date, YYYY-MM-DD.",
    "month": "A calendar month, YYYY-MM.",
    "datetime": "An ISO 8601 date-time (a date alone means its midnight, in UTC).",
    "text": "Text, 1 to 200 characters, not only spaces.",
    "slug": "A slug: letters, digits, '-' and '_'; an unknown slug is a 400 naming it.",
    "bool": "`true` or `false` (also `1` or `0`).",
}
LOOKUP_TEXTS = {
    "exact": "equal to one of the values; repeat the parameter for OR",
    "n": "not equal to any of the values; repeat the parameter for more",
    "gte": "at least this value (inclusive)",
    "lte": "at most this value (inclusive)",
    "gt": "greater than this value (exclusive)",
    "lt": "less than this value (exclusive)",
    "ic": "contains this text, in any case; repeat for OR",
    "isw": "starts with this text, in any case; repeat for OR",
    "iew": "ends with this text, in any case; repeat for OR",
    "ie": "equals this text, in any case; repeat for OR",
    "isnull": "`true`: only rows where it is unknown (empty); `false`: only rows where it is known",
}
VALUE_SCHEMAS = {
    "int": {"type": "integer", "minimum": -(2**63 - 1), "maximum": 2**63 - 1},
    # The places are said in words (VALUE_FORMATS), not as multipleOf: see
    # _insert_field_validators.
    "decimal": {
        "type": "number",
        "exclusiveMinimum": -(10**12),
        "exclusiveMaximum": 10**12,
    },
    "text": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"},
}
INCLUSIVE_DATES = (
    " Both ends of a period are inclusive: a link that starts or ends on this date is "
    "in force on it; an empty end means ongoing."
)


def scalar(parameter):
    """One value, not a list: the parameter's array schema becomes its item's."""
    if parameter["schema"].get("type") == "array":
        parameter["schema"] = parameter["schema"]["items"]
    parameter.pop("explode", None)
    parameter.pop("style", None)


def flat(parameter):
    """An array of arrays (a list-typed filter inside a repeatable one) is one array."""
    items = parameter["schema"].get("items", {})
    if parameter["schema"].get("type") == "array" and items.get("type") == "array":
        parameter["schema"]["items"] = items["items"]


class StrictFilterExtension(DjangoFilterExtension):
    """The catalog's filters, each with an exact type and a description of its values.

    Repeatable filters are arrays of scalars (`explode`: one key per value); range
    lookups (`__gte`...) and the answer-shaping windows of the insights take one value
    and are scalars. Descriptions say the format, the semantics and the default.
    """

    target_class = "catalog.filters.StrictFilterBackend"
    match_subclasses = True
    priority = 1

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        filterset_class = getattr(auto_schema.view, "filterset_class", None)
        if filterset_class is None or filterset_class._meta.model is not None:
            return super().get_schema_operation_parameters(auto_schema, *args, **kwargs)
        # Parameters of an answer that selects no rows (a FilterSet with no model).
        return [
            parameter
            for name, declared in filterset_class.base_filters.items()
            for parameter in self.resolve_filter_field(
                auto_schema, None, filterset_class, name, declared
            )
        ]

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        lookup = field_name.rpartition("__")[2] if "__" in field_name else "exact"
        if lookup not in LOOKUP_TEXTS:
            lookup = "exact"
        label = str(filter_field.label or "").partition("\n\n*")[0].strip()
        generated = filter_field.method is None and (
            label.endswith(("; repeat for OR.", ": not any of these.", " (true/false)."))
            or label.endswith(tuple(f" {suffix}." for suffix in RANGE_LOOKUPS))
            or "(case-insensitive)" in label
        )
        if isinstance(filter_field, SlugFilter):
            kind = "slug"
        elif isinstance(filter_field, BoolFilter):
            kind = "bool"
        else:
            # ValueFilter (repeatable) and SingleValueFilter (one value) parse by kind.
            kind = getattr(filter_field, "kind", None)
        for parameter in parameters:
            flat(parameter)
            schema = parameter["schema"]
            target = schema.get("items", schema) if schema.get("type") == "array" else schema
            if kind in VALUE_SCHEMAS:
                target.update(VALUE_SCHEMAS[kind])
            if kind == "slug":
                target.update(SLUG_SCHEMA, minLength=1)
            if kind is None and isinstance(filter_field, django_filters.CharFilter):
                target["maxLength"] = filter_field.extra.get("max_length", TEXT_MAX_LENGTH)
            repeatable = isinstance(filter_field, django_filters.MultipleChoiceFilter)
            if kind not in {None, "slug", "bool"} and not repeatable:
                scalar(parameter)
            if generated:
                subject = field_name.rpartition("__")[0] if "__" in field_name else field_name
                subject = subject.replace("_", " ")
                text = f"{subject[:1].upper()}{subject[1:]}: {LOOKUP_TEXTS[lookup]}."
            else:
                text = label if label.endswith(".") else f"{label}."
            # A parameter whose label is its whole description says these in its own words.
            if not getattr(filter_field, "label_is_description", False):
                if kind in VALUE_FORMATS:
                    text += " " + VALUE_FORMATS[kind]
                if field_name in {"active_on", "as_of"}:
                    text += INCLUSIVE_DATES
            choices = parameter.get("description", "").partition("\n\n*")[2]
            parameter["description"] = text + (f"\n\n*{choices}" if choices else "")
        return parameters


class StrictOrderingExtension(OpenApiFilterExtension):
    """`ordering` lists the accepted fields, each ascending or with `-` descending."""

    target_class = "catalog.filters.StrictOrderingFilter"
    match_subclasses = True

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        view = auto_schema.view
        fields = getattr(view, "ordering_fields", None)
        if not isinstance(fields, list | tuple) or not fields:
            return []
        default = ", ".join(getattr(view, "ordering", None) or ())
        names = [term for field in fields for term in (field, f"-{field}")]
        return [
            {
                "name": self.target.ordering_param,
                "in": "query",
                "required": False,
                "description": (
                    "Sort by these fields, in order; `-` before a name sorts descending. "
                    "Repeat the parameter (or separate names with commas) for ties. "
                    f"Default: {default}. Rows that tie on every field given keep a stable "
                    "order, so pages never overlap."
                ),
                "schema": {"type": "array", "items": {"type": "string", "enum": names}},
                "explode": True,
                "style": "form",
            }
        ]


def tidy_document(result, generator, request, public):
    """Postprocessing hook: what the linters (Redocly, Spectral) ask of a document.

    Every tag used is declared with a description (the first sentence of its list's
    description); a reference wrapped alone in `allOf` is the reference; the server is
    the origin the document is served from.
    """

    def unwrap(node):
        if isinstance(node, dict):
            wrapped = node.get("allOf")
            if isinstance(wrapped, list) and len(wrapped) == 1 and "$ref" in wrapped[0]:
                node.pop("allOf")
                node.update(wrapped[0])
            for value in node.values():
                unwrap(value)
        elif isinstance(node, list):
            for value in node:
                unwrap(value)

    unwrap(result)
    descriptions = {}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            text = operation.get("description", "").split("\n")[0]
            for tag in operation.get("tags", []):
                if operation["operationId"].endswith("_list") or tag not in descriptions:
                    descriptions[tag] = text
    result["tags"] = [
        {"name": tag, "description": descriptions[tag]} for tag in sorted(descriptions)
    ]
    result["servers"] = [{"url": "/", "description": "The origin serving this document."}]
    return result
