"""limit/offset pagination with strict parameters and a hard page-size cap."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination

MAX_OFFSET = 10**9


class CatalogPagination(LimitOffsetPagination):
    """`{count, next, previous, results}`; limit 1..1000 (default 50), offset >= 0.

    DRF quietly replaces a malformed limit with the default; here it is a 400 that says
    what is accepted, so a client never mistakes a truncated page for the answer.
    """

    default_limit = 50
    max_limit = 1000

    def parse(self, request, param, low, high, default):
        raw = request.query_params.get(param)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise ValidationError({param: [f"Must be a whole number from {low} to {high}."]})
        return value

    def get_limit(self, request):
        return self.parse(request, self.limit_query_param, 1, self.max_limit, self.default_limit)

    def get_offset(self, request):
        return self.parse(request, self.offset_query_param, 0, MAX_OFFSET, 0)

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
        return parameters

    def get_paginated_response_schema(self, schema):
        link = {"type": ["string", "null"], "format": "uri"}
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "minimum": 0, "example": 123},
                "next": {**link, "description": "The next page; null on the last."},
                "previous": {**link, "description": "The previous page; null on the first."},
                "results": schema,
            },
        }
