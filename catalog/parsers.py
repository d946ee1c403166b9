"""JSON bodies with limits: no request can exhaust memory or the parser's recursion."""

import json

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser

MAX_NESTING = 32


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def depth(value, limit):
    """How deeply `value` nests, counting no further than `limit` (iteratively)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            if deepest > limit:
                return deepest
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, level + 1) for child in children)
    return deepest


class LimitedJSONParser(JSONParser):
    """DRF reads the body stream itself, so Django's upload limit never applies: check
    the size here (413), and refuse deep nesting before it can exhaust the recursion."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(body.decode(encoding))
        except (ValueError, RecursionError) as error:
            raise exceptions.ParseError(f"JSON parse error: {str(error)[:200]}") from None
        if depth(data, MAX_NESTING) > MAX_NESTING:
            raise exceptions.ParseError(f"JSON nests deeper than {MAX_NESTING} levels.")
        return data
