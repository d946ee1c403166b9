"""JSON bodies with limits: no request can exhaust memory or the parser's recursion."""

import json
import re

from django.conf import settings
from django.utils.translation import gettext
from rest_framework import exceptions
from rest_framework.parsers import JSONParser

MAX_NESTING = 32


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


# A surrogate code point written as a JSON escape (the only way one can reach a string:
# UTF-8 itself cannot carry one), and one left in a string once pairs are joined.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
SURROGATE = re.compile("[\ud800-\udfff]")


def lone_surrogate(value):
    """The first string (key or value) in `value` holding a surrogate code point that
    no escape beside it made into a character (`"\\ud800"` alone), else None."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if SURROGATE.search(node):
                return node
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None


class DuplicateKey(ValueError):
    """A JSON object names a key twice; which value was meant is unknowable."""


def unique_keys(pairs):
    """json's object_pairs_hook: an object, refusing a key given twice (the standard
    library, like most parsers, would silently keep the last)."""
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise DuplicateKey(key)
        obj[key] = value
    return obj


class LimitedJSONParser(JSONParser):
    """Deep nesting is refused before it can exhaust the recursion; a key given twice
    and bytes that are not UTF-8 are refused rather than guessed at.

    The size is not checked here: DRF hands JSON over as `request.body`, which Django
    refuses past DATA_UPLOAD_MAX_MEMORY_SIZE, whatever the Content-Length says, and
    catalog.exceptions answers that with a 413."""

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = body.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise exceptions.ParseError(
                gettext("The body is not valid %(encoding)s text; send JSON encoded as UTF-8.")
                % {"encoding": encoding}
            ) from None
        try:
            data = json.loads(text, object_pairs_hook=unique_keys)
        except DuplicateKey as error:
            raise exceptions.ParseError(
                gettext("JSON object has the key '%(key)s' more than once; give each field once.")
                % {"key": str(error)[:100]}
            ) from None
        except RecursionError:
            # Python's own words would name its recursion limit, not the body's problem.
            raise exceptions.ParseError(
                gettext("JSON nests deeper than %(levels)s levels.") % {"levels": MAX_NESTING}
            ) from None
        except ValueError as error:
            if isinstance(error, json.JSONDecodeError):
                detail = str(error)[:200]
            else:  # a number past Python's digit limit: its words name a Python setting
                detail = gettext("a number has more digits than any field takes")
            raise exceptions.ParseError(
                gettext("JSON parse error: %(error)s") % {"error": detail}
            ) from None
        if depth(data, MAX_NESTING) > MAX_NESTING:
            raise exceptions.ParseError(
                gettext("JSON nests deeper than %(levels)s levels.") % {"levels": MAX_NESTING}
            )
        if SURROGATE_ESCAPE.search(text) and lone_surrogate(data) is not None:
            raise exceptions.ParseError(
                gettext(
                    "A string holds half of a surrogate pair (an escape from \\ud800 to "
                    "\\udfff without its other half): it is not text. Send characters as "
                    "UTF-8, or escape each one outside the Basic Multilingual Plane as a "
                    "whole pair."
                )
            )
        return data
