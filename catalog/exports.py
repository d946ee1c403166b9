"""Whole lists out: streamed exports (CSV, JSON Lines) and the catalog as a data package.

One streaming writer per format. A list's export (`GET /api/v1/<resource>/export/`) takes
the list's filters and ordering and writes every row it selects, read from the database
with an iterator in chunks, so memory stays flat however many rows there are; CSV cells
are written by the CSV renderer's own `flatten` (related rows as slugs, formulas
neutralised). A paged list says it is a page: a `Link` header with its `next` and
`prev` pages and the total in `X-Total-Count`, in every format.

The data package (catalog/datapackage.py) writes its CSV files with the same writer.
"""

import csv
import json
from itertools import islice

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from catalog.i18n import english
from catalog.renderers import CatalogCSVRenderer, flatten

CHUNK_ROWS = 2000  # rows read per query (and prefetched together) while streaming
LINES_PER_WRITE = 500  # lines handed to the server at once


class _Line:
    """What csv.writer writes to: it hands each formatted line back."""

    def write(self, line):
        return line


def batched(lines, size=LINES_PER_WRITE):
    """Join lines into larger strings: far fewer writes to the socket than one per row."""
    lines = iter(lines)
    while batch := "".join(islice(lines, size)):
        yield batch


class CSVWriter:
    """RFC 4180 CSV, UTF-8: a header row, then one line per row, cells as in `?format=csv`.

    `bom` starts the file with a byte-order mark, so that spreadsheet programs read the
    Chinese names as UTF-8 (the data package leaves it out: its encoding is declared).
    """

    format = "csv"
    media_type = "text/csv"

    def __init__(self, columns, *, bom=True):
        self.columns = columns
        self.bom = bom

    def lines(self, rows):
        writer = csv.writer(_Line(), lineterminator="\r\n")
        yield ("\ufeff" if self.bom else "") + writer.writerow(self.columns)
        for row in rows:
            yield writer.writerow([flatten(row.get(column)) for column in self.columns])


class JSONLinesWriter:
    """JSON Lines: each row as the API's JSON writes it, one object per line."""

    format = "jsonl"
    media_type = "application/jsonl"

    def __init__(self, columns=None):
        self.columns = columns

    def lines(self, rows):
        for row in rows:
            yield json.dumps(row, cls=JSONEncoder, ensure_ascii=False) + "\n"


WRITERS = {writer.format: writer for writer in (CSVWriter, JSONLinesWriter)}


class JSONLinesRenderer(BaseRenderer):
    """`?format=jsonl` or `Accept: application/jsonl` (for exports, which stream)."""

    media_type = "application/jsonl"
    format = "jsonl"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        rows = data if isinstance(data, list) else [data]
        return "".join(JSONLinesWriter().lines(rows)).encode(self.charset)


def serialized_rows(serializer, queryset):
    """Each row as the serializer writes it, read in chunks (prefetches run per chunk)."""
    for obj in queryset.iterator(chunk_size=CHUNK_ROWS):
        yield serializer.to_representation(obj)


EXPORT_FORMAT = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=list(WRITERS),
    description=(
        "csv (default; also `Accept: text/csv`) or jsonl (JSON Lines; also "
        "`Accept: application/jsonl`)."
    ),
)
TEXT = {"type": "string"}


class ExportMixin:
    """`export`: the whole filtered list, streamed; and page headers on the paged list."""

    @extend_schema(
        parameters=[EXPORT_FORMAT],
        filters=True,
        summary="Export every row the filters select, streamed, as CSV or JSON Lines",
        responses={
            (200, "text/csv"): OpenApiResponse(
                TEXT,
                description=(
                    "A header row with the resource's fields, then every row the filters "
                    "select in the list's order; related rows as slugs, lists joined with ';'."
                ),
            ),
            (200, "application/jsonl"): OpenApiResponse(
                TEXT,
                description="One JSON object per line, each as the list's `results` write it.",
            ),
        },
    )
    @action(
        detail=False,
        methods=["get"],
        pagination_class=None,
        renderer_classes=[CatalogCSVRenderer, JSONLinesRenderer],
    )
    def export(self, request, *args, **kwargs):
        """Every row the list's filters select, in the list's order, with no page limit.

        Takes the list's filters and `ordering`; `limit` and `offset` do not apply. The
        rows are streamed as they are read, whatever their number."""
        queryset = self.filter_queryset(self.get_queryset())
        serializer = self.get_serializer()
        writer = WRITERS[request.accepted_renderer.format](list(serializer.fields))
        response = StreamingHttpResponse(
            batched(writer.lines(serialized_rows(serializer, queryset))),
            content_type=f"{writer.media_type}; charset=utf-8",
        )
        # The file's name is the same in every language: "vehicle-models.csv".
        name = english(queryset.model._meta.verbose_name_plural).replace(" ", "-")
        response["Content-Disposition"] = f'attachment; filename="{name}.{writer.format}"'
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        data = getattr(response, "data", None)
        if (
            getattr(self, "action", None) == "list"
            and isinstance(response, Response)
            and response.status_code == 200
            and isinstance(data, dict)
            and "count" in data
        ):
            pages = [(data.get("next"), "next"), (data.get("previous"), "prev")]
            links = [f'<{url}>; rel="{rel}"' for url, rel in pages if url]
            if links:
                response["Link"] = ", ".join(links)
            response["X-Total-Count"] = str(data["count"])
        return response
