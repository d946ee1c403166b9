"""limit/offset pagination with strict parameters, a hard page-size cap, counts that stay
cheap on big tables, and cursor (keyset) walks whose every page costs the same.

Counts: a list counts its rows exactly, unless (on PostgreSQL) the query planner expects
more than COUNT_EXACT_UP_TO of them; then `count` is the planner's estimate and the
answer says so with `"count_estimated": true`. Counting a million rows exactly would
cost more than the page itself on every request. `next` is exact either way: the page
is read with one row more than asked for. On the last page the count is exact again.

Cursor walks: `?cursor=first` starts a walk through a list in its default order;
each answer's `next` link carries the cursor of the page after it (`previous` is null:
a walk goes forward). A cursor is the last row's position in that order, so the
database seeks to it through the order's index instead of counting past every row
before it, as `offset` must: page 10,000 costs what page 1 does. `offset` and
`ordering` do not combine with `cursor`.
"""

import base64
import binascii
import json
import operator
import time

from django.core.exceptions import EmptyResultSet
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections
from django.db.models import Q
from django.utils.translation import gettext
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param

from catalog.page_values import paginate_with_values
from catalog.parsers import SURROGATE
from catalog.values import parse_integer

MAX_OFFSET = 10**9
COUNT_EXACT_UP_TO = 100_000
FIRST = "first"


def planner_estimate(queryset):
    """How many rows PostgreSQL's planner expects the query to return (one EXPLAIN).

    A filter that no row can match (an integer beyond its column's range) compiles to no
    SQL at all: Django raises EmptyResultSet instead, and the answer is then known: none.
    """
    query = queryset.order_by().values("pk")
    try:
        sql, params = query.query.sql_with_params()
    except EmptyResultSet:
        return 0
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def is_position(value):
    """Whether a cursor's value can be one a walk wrote: the text of a slug, a name or a
    date (`encode`), or an id. No order a walk follows has a term that can be null."""
    if isinstance(value, str):  # no database takes NUL or a lone surrogate in a query
        return "\x00" not in value and not SURROGATE.search(value)
    return isinstance(value, int) and not isinstance(value, bool)


def page_of(queryset, start, stop):
    """The rows from `start` to `stop` in the queryset's order, the ids paged first.

    The database walks the order (through its index) reading ids alone, then joins the
    related rows (select_related) for the page's rows only, not for every row it skips;
    one query (the page's ids a subquery), whose rows are put in the order again (it is
    total: the ordering ends with a unique tie-breaker). A DISTINCT query is paged as it
    is: its ids cannot be read apart from its order. So is a page that skips no rows of
    a table PostgreSQL's statistics call small (a first page, each page of a cursor
    walk): there, reading the table a second time for the page's ids cost more than
    joining it in one pass (a first page of 100 alliance memberships, 6,010 rows: the
    query 3.1 -> 1.3 ms).
    """
    if queryset.query.distinct or (
        start == 0 and on_postgresql(queryset) and small_table(queryset)
    ):
        return list(queryset[start:stop])
    return list(queryset.filter(pk__in=queryset.values("pk")[start:stop]))


# The planner's size of each table ((database, table) -> (rows, when read)), read again
# after TABLE_ROWS_KEPT seconds.
_table_rows = {}
TABLE_ROWS_KEPT = 60


def small_table(queryset):
    """The queryset's table is, by the planner's statistics, well under COUNT_EXACT_UP_TO
    rows (so any question about it is counted exactly without asking the planner first).
    A table never analysed (-1) is not known to be small."""
    key = (queryset.db, queryset.model._meta.db_table)
    known = _table_rows.get(key)
    now = time.monotonic()
    if known is None or now - known[1] > TABLE_ROWS_KEPT:
        with connections[queryset.db].cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [key[1]])
            known = _table_rows[key] = (cursor.fetchone()[0], now)
    return 0 <= known[0] <= COUNT_EXACT_UP_TO / 2


def on_postgresql(queryset):
    """The queryset's database is PostgreSQL (whose planner statistics small_table reads)."""
    return connections[queryset.db].vendor == "postgresql"


def cheap_count(queryset):
    """(count, estimated): exact, or the planner's estimate above COUNT_EXACT_UP_TO."""
    if on_postgresql(queryset) and not small_table(queryset):
        estimate = planner_estimate(queryset)
        if estimate > COUNT_EXACT_UP_TO:
            return estimate, True
    return queryset.count(), False


class CatalogPagination(LimitOffsetPagination):
    """`{count, next, previous, results}`; limit 1..1000 (default 50), offset >= 0.

    DRF quietly replaces a malformed limit with the default; here it is a 400 that says
    what is accepted, so a client never mistakes a truncated page for the answer.
    """

    default_limit = 50
    max_limit = 1000
    cursor_query_param = "cursor"

    def parse(self, request, param, low, high, default):
        raw = request.query_params.get(param)
        if raw is None:
            return default
        try:
            value = parse_integer(raw)
        except DjangoValidationError:
            value = None
        if value is None or not low <= value <= high:
            raise ValidationError(
                {
                    param: [
                        gettext("Must be a whole number from %(low)s to %(high)s.")
                        % {"low": low, "high": high}
                    ]
                }
            )
        return value

    def get_limit(self, request):
        return self.parse(request, self.limit_query_param, 1, self.max_limit, self.default_limit)

    def get_offset(self, request):
        return self.parse(request, self.offset_query_param, 0, MAX_OFFSET, 0)

    def paginate_queryset(self, queryset, request, view=None):
        # Some relations of the page are read with values(): see catalog/page_values.py.
        return paginate_with_values(queryset, view, lambda rows: self.page(rows, request, view))

    def page(self, queryset, request, view):
        self.request = request
        self.limit = self.get_limit(request)
        self.cursor = request.query_params.get(self.cursor_query_param)
        if self.cursor is not None:
            return self.walk(queryset, request, view)
        self.offset = self.get_offset(request)
        self.count, self.estimated = cheap_count(queryset)
        if self.count > self.limit and self.template is not None:
            self.display_page_controls = True
        if self.estimated:
            # Read one row more: whether there is a next page must not rest on an estimate.
            rows = page_of(queryset, self.offset, self.offset + self.limit + 1)
            self.more = len(rows) > self.limit
            rows = rows[: self.limit]
            if not self.more:
                self.count, self.estimated = self.offset + len(rows), False
            else:
                self.count = max(self.count, self.offset + len(rows) + 1)
            return rows
        if self.count == 0 or self.offset > self.count:
            return []
        return page_of(queryset, self.offset, self.offset + self.limit)

    def get_next_link(self):
        if self.cursor is not None:
            return self.next_cursor_link
        if getattr(self, "estimated", False):
            if not self.more:
                return None
            url = self.request.build_absolute_uri()
            url = replace_query_param(url, self.limit_query_param, self.limit)
            return replace_query_param(url, self.offset_query_param, self.offset + self.limit)
        return super().get_next_link()

    def get_previous_link(self):
        if self.cursor is not None:
            return None
        return super().get_previous_link()

    def get_paginated_response(self, data):
        body = {"count": self.count}
        if self.estimated:
            body["count_estimated"] = True
        body.update(
            {
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )
        return Response(body)

    # --- cursor walks ------------------------------------------------------------------

    def walk(self, queryset, request, view):
        for param in (self.offset_query_param, api_settings.ORDERING_PARAM):
            if param in request.query_params:
                raise ValidationError(
                    {
                        param: [
                            gettext("Not with %(cursor)s: a walk follows the default order.")
                            % {"cursor": self.cursor_query_param}
                        ]
                    }
                )
        terms = [
            (term.lstrip("-"), term.startswith("-"))
            for term in (getattr(view, "ordering", None) or queryset.model._meta.ordering)
        ]
        self.count, self.estimated = cheap_count(queryset)
        if self.cursor != FIRST:
            queryset = queryset.filter(self.after(queryset.model, terms, self.decode(terms)))
        rows = page_of(queryset, 0, self.limit + 1)
        self.next_cursor_link = None
        if len(rows) > self.limit:
            rows = rows[: self.limit]
            last = rows[-1]
            position = [operator.attrgetter(name.replace("__", "."))(last) for name, _ in terms]
            url = remove_query_param(request.build_absolute_uri(), self.offset_query_param)
            url = replace_query_param(url, self.limit_query_param, self.limit)
            self.next_cursor_link = replace_query_param(
                url, self.cursor_query_param, self.encode(position)
            )
        return rows

    @staticmethod
    def encode(position):
        plain = [value.isoformat() if hasattr(value, "isoformat") else value for value in position]
        text = json.dumps(plain, separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def decode(self, terms):
        error = ValidationError(
            {
                self.cursor_query_param: [
                    gettext(
                        "Not a cursor of this list. Start a walk with %(cursor)s=%(first)s, "
                        "then follow the `next` links."
                    )
                    % {"cursor": self.cursor_query_param, "first": FIRST}
                ]
            }
        )
        try:
            padded = self.cursor + "=" * (-len(self.cursor) % 4)
            values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        except (ValueError, binascii.Error, UnicodeError):
            raise error from None
        if (
            not isinstance(values, list)
            or len(values) != len(terms)
            or not all(is_position(value) for value in values)
        ):
            raise error
        return values, error

    @staticmethod
    def after(model, terms, decoded):
        """Rows after the position in the order: (a > x) or (a = x and b > y) ..."""
        values, error = decoded
        parsed = []
        for (name, _), value in zip(terms, values, strict=True):
            field = model._meta.get_field(name.split("__")[0])
            for part in name.split("__")[1:]:
                field = field.related_model._meta.get_field(part)
            try:
                parsed.append(field.to_python(value))
            except (DjangoValidationError, TypeError, ValueError, OverflowError):
                raise error from None
        condition = Q()
        for index, ((name, descending), value) in enumerate(zip(terms, parsed, strict=True)):
            step = Q(**{f"{name}__{'lt' if descending else 'gt'}": value})
            for earlier, earlier_value in zip(terms[:index], parsed[:index], strict=True):
                step &= Q(**{earlier[0]: earlier_value})
            condition |= step
        # The first term's bound on its own lets the database seek through the index.
        first, descending = terms[0]
        return Q(**{f"{first}__{'lte' if descending else 'gte'}": parsed[0]}) & condition

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: {
                "minimum": 1,
                "maximum": self.max_limit,
                "default": self.default_limit,
            },
            self.offset_query_param: {"minimum": 0, "maximum": MAX_OFFSET, "default": 0},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds[parameter["name"]])
        parameters[0]["description"] = (
            f"Rows per page, 1 to {self.max_limit} (default {self.default_limit})."
        )
        parameters.append(
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": (
                    f"Walk the whole list in its default order: `{FIRST}` for the first page, "
                    "then follow `next`, whose cursor says where the page after it begins. "
                    "Every page of a walk costs the same, however deep (with `offset`, a "
                    "page costs more the deeper it is). Not with `offset` or `ordering`; "
                    "`previous` is null."
                ),
                "schema": {"type": "string", "minLength": 1, "maxLength": 2000},
            }
        )
        return parameters

    def get_paginated_response_schema(self, schema):
        link = {"type": ["string", "null"], "format": "uri"}
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "minimum": 0,
                    "example": 123,
                    "description": (
                        f"How many rows match: exact, unless more than {COUNT_EXACT_UP_TO:,} "
                        "are expected; then the database's estimate, and `count_estimated` "
                        "is true."
                    ),
                },
                "count_estimated": {
                    "type": "boolean",
                    "const": True,
                    "description": (
                        "Present (true) only when `count` is an estimate. `next` is exact "
                        "either way."
                    ),
                },
                "next": {**link, "description": "The next page; null on the last."},
                "previous": {**link, "description": "The previous page; null on the first."},
                "results": schema,
            },
        }
