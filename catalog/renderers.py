"""JSON written with orjson, and CSV for every list: the same rows, flattened for spreadsheets."""

import csv
import io
import json
from decimal import Decimal

import orjson
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

# Python's json writes these as they are; DRF escapes them, for JavaScript's sake.
LINE_SEPARATORS = ("\u2028".encode(), "\u2029".encode())

# A cell starting with one of these is a formula to a spreadsheet; quote it.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text):
    """A cell's text as a spreadsheet will show it, never run it: text that a spreadsheet
    would read as a formula gets a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def cell_text(value):
    """A value as the text of one cell: related objects as their slugs, lists joined with
    ';', other objects' parts with ':'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        if "slug" in value:
            return cell_text(value["slug"])
        return ":".join(cell_text(item) for item in value.values())
    if isinstance(value, list):
        return ";".join(cell_text(item) for item in value)
    return str(value)


def flatten(value):
    """One CSV cell, for every CSV the service writes (lists, exports, the data package):
    numbers stay numbers; everything else is text made safe for spreadsheets as a whole,
    whether it is a name, a related object's slug or a joined list."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    return spreadsheet_safe(cell_text(value))


class CatalogCSVRenderer(BaseRenderer):
    """`?format=csv` or `Accept: text/csv` on any list or detail.

    The header row is the resource's fields, so an empty result still says what the
    columns are. Related objects become their slugs; lists are joined with ';'.
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        renderer_context = renderer_context or {}
        rows = data.get("results", [data]) if isinstance(data, dict) else (data or [])
        header = self.header(rows, renderer_context.get("view"))
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([flatten(row.get(column)) for column in header])
        # A byte-order mark lets spreadsheet programs read the Chinese names as UTF-8.
        return ("\ufeff" + buffer.getvalue()).encode(self.charset)

    @staticmethod
    def header(rows, view):
        if rows:
            return list(rows[0].keys())
        # No rows: the columns come from the serializer that would have written them.
        answer = getattr(view, "response_serializer", None)
        if answer is not None:
            fields = answer().fields
            results = fields.get("results")
            return list(results.child.fields if results is not None else fields)
        if getattr(view, "serializer_class", None) is not None:
            return list(view.get_serializer().fields)
        return []


class CatalogJSONRenderer(JSONRenderer):
    """DRF's JSON, byte for byte, written by orjson (several times faster on big pages).

    orjson writes compact UTF-8 as DRF does here (UNICODE_JSON, COMPACT_JSON). What it
    does not write itself goes through DRF's own encoder: dates and times (DRF's
    spelling, "Z" for UTC), decimals, lazy strings. What orjson refuses (integers
    beyond 64 bits, non-string keys, an indented answer asked for with
    `Accept: application/json; indent=4`) is written by DRF's renderer instead.
    """

    encoder = JSONEncoder()
    options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

    def default(self, value):
        result = self.encoder.default(value)
        if isinstance(result, float):
            # A decimal becomes a float (COERCE_DECIMAL_TO_STRING is off), spelled as
            # Python spells it: orjson writes floats below 1e-4 without an exponent.
            # Floats the catalog computes itself (shares) are rounded to four places.
            return orjson.Fragment(json.dumps(result))
        return result

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            body = orjson.dumps(data, default=self.default, option=self.options)
        except (orjson.JSONEncodeError, TypeError, ValueError):
            return super().render(data, accepted_media_type, renderer_context)
        for separator in LINE_SEPARATORS:
            if separator in body:
                escaped = separator.decode().encode("unicode_escape")
                body = body.replace(separator, escaped)
        return body
