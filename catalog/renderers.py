"""CSV for every list: the same rows as the JSON page, flattened for spreadsheets."""

import csv
import io

from rest_framework.renderers import BaseRenderer

# A cell starting with one of these is a formula to a spreadsheet; quote it.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def flatten(value):
    """One CSV cell: related objects as slugs, lists joined with ';'."""
    if value is None:
        return ""
    if isinstance(value, dict):
        if "slug" in value:
            return str(value["slug"])
        return ":".join(str(flatten(item)) for item in value.values())
    if isinstance(value, list):
        return ";".join(str(flatten(item)) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


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
