"""One error shape for every failure, whatever raised it.

    {"status": 400, "code": "invalid", "detail": "Invalid input: month.",
     "errors": {"month": ["Enter a month as YYYY-MM, e.g. 2025-11."]}}

`errors` maps a field or query parameter to its messages ("non_field_errors" for the
object as a whole) and is empty for errors that concern no field.
"""

import logging
import sys

from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.fields import get_error_detail
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the current state of the catalog.")
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "payload_too_large"


class DatabaseUnavailable(exceptions.APIException):
    """The database dropped the connection or could not serve the request just now (a
    restart, a failover, a cut connection, a lock or statement timeout). Nothing this
    request did was confirmed; a retry after Retry-After seconds is answered afresh."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _(
        "The database is briefly unavailable; nothing was confirmed. Retry in a moment "
        "(after a write, read the resource first: it may have been stored)."
    )
    default_code = "service_unavailable"
    retry_after_seconds = 1


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("The resource has changed since you read it (If-Match did not match).")
    default_code = "precondition_failed"


def django_validation_error(error, names=None):
    """A model's ValidationError as DRF's, with '__all__' named non_field_errors and model
    field names given their API names (`names`: {model name: API name})."""
    detail = get_error_detail(error)
    if isinstance(detail, dict):
        names = {"__all__": "non_field_errors", **(names or {})}
        detail = {names.get(key, key): messages for key, messages in detail.items()}
    return exceptions.ValidationError(detail)


class StillReferencedConflict(Conflict):
    """409 for a delete that other facts block; `references` names them."""

    default_code = "protected"

    def __init__(self, detail, references):
        super().__init__(detail)
        self.references = references


def protected_conflict(error):
    """409 naming what blocks a delete (type, first slugs, how many)."""
    from catalog.protection import REFERRERS_SHOWN, StillReferenced, describe

    if isinstance(error, StillReferenced):
        return StillReferencedConflict(error.args[0], error.references)
    # Refused by Django's collector (a protected foreign key) on a path that did not ask
    # first: group the rows it names the same way.
    by_model = {}
    for row in error.protected_objects:
        by_model.setdefault(type(row), []).append(row)
    found = [(model, rows[:REFERRERS_SHOWN], len(rows)) for model, rows in by_model.items()]
    return StillReferencedConflict(
        gettext("Cannot delete: other records still refer to it. Remove or re-point those first."),
        describe(found),
    )


def as_api_exception(exc):
    if isinstance(exc, DjangoValidationError):
        return django_validation_error(exc)
    if isinstance(exc, ProtectedError | RestrictedError):
        return protected_conflict(exc)
    if isinstance(exc, IntegrityError):
        # Validation runs first; reaching here means a concurrent write won the race.
        return Conflict(
            gettext(
                "A concurrent change conflicts with this one; read the resource again and retry."
            )
        )
    if isinstance(exc, OperationalError):
        # The cause, for the operator, in one line; the client learns only to retry.
        logger.warning("Database unavailable: %s", str(exc).strip().partition("\n")[0])
        return DatabaseUnavailable()
    if isinstance(exc, RequestDataTooBig):
        # Django refuses to read a body over DATA_UPLOAD_MAX_MEMORY_SIZE when DRF asks.
        return PayloadTooLarge(
            gettext("The request body is larger than %(limit)s bytes.")
            % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
        )
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    return exc


def flat_codes(codes):
    if isinstance(codes, dict):
        return next((flat_codes(value) for value in codes.values()), "invalid")
    if isinstance(codes, list):
        return flat_codes(codes[0]) if codes else "invalid"
    return codes


def error_body(status_code, exc):
    """The stable error document for an APIException."""
    detail = exc.detail
    if isinstance(exc, exceptions.ValidationError):
        errors = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        errors = {
            key: [str(message) for message in flatten(value)] for key, value in errors.items()
        }
        summary = gettext("Invalid input: %(names)s.") % {"names": ", ".join(errors)}
    else:
        errors = {}
        summary = str(detail)
    body = {
        "status": status_code,
        "code": str(flat_codes(exc.get_codes())),
        "detail": summary,
        "errors": errors,
    }
    if isinstance(exc, StillReferencedConflict):
        body["references"] = exc.references
    return body


def flatten(value):
    """Nested validation messages (e.g. of a list item) as one flat list of strings."""
    if isinstance(value, dict):
        return [f"{key}: {message}" for key, inner in value.items() for message in flatten(inner)]
    if isinstance(value, list):
        return [message for item in value for message in flatten(item)]
    return [value]


def exception_handler(exc, context):
    exc = as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = error_body(response.status_code, exc)
        if isinstance(exc, DatabaseUnavailable):
            response["Retry-After"] = str(exc.retry_after_seconds)
    return response


def wants_json(request):
    """API paths, and clients that do not ask for HTML, get the JSON error document."""
    if request.path.startswith("/api/"):
        return True
    if request.path.startswith("/admin/"):
        return False
    return "text/html" not in request.headers.get("Accept", "")


def json_error(status_code, code, detail):
    return JsonResponse(
        {"status": status_code, "code": code, "detail": detail, "errors": {}}, status=status_code
    )


def json_bad_request(request, exception=None):
    """400 raised by Django before any view: a Host this service does not serve, too many
    query or form fields, a body that cannot be read."""
    if isinstance(exception, DisallowedHost):
        return json_error(
            400, "bad_host", gettext("This service does not answer for that Host header.")
        )
    if isinstance(exception, TooManyFieldsSent):
        return json_error(
            400,
            "too_many_fields",
            gettext("Too many query parameters or form fields (at most %(limit)s).")
            % {"limit": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS},
        )
    if not wants_json(request):
        return defaults.bad_request(request, exception)
    return json_error(400, "bad_request", gettext("The request could not be understood."))


def json_permission_denied(request, exception=None):
    if not wants_json(request):
        return defaults.permission_denied(request, exception)
    return json_error(403, "permission_denied", gettext("You do not have permission to do that."))


def json_not_found(request, exception=None):
    """404 for unknown API URLs in the API's error shape; HTML elsewhere (the admin)."""
    if not wants_json(request):
        return defaults.page_not_found(request, exception)
    return json_error(404, "not_found", gettext("No such resource."))


def json_server_error(request):
    """500, or 503 when the database was unavailable, wherever it failed: an admin or
    explorer page, a middleware, a template. Django calls this inside its handler of the
    uncaught exception, so the exception is at hand."""
    if isinstance(sys.exc_info()[1], OperationalError):
        return database_unavailable(request)
    if not wants_json(request):
        return defaults.server_error(request)
    return json_error(500, "error", gettext("Internal error; it has been logged."))


def database_unavailable(request):
    """The API's 503 for the API and JSON clients; for people, a page that says to retry,
    drawn without the database (no request context: it would read the session)."""
    if wants_json(request):
        response = json_error(503, DatabaseUnavailable.default_code, DatabaseUnavailable().detail)
    else:
        response = HttpResponse(
            loader.render_to_string("503.html"), status=503, content_type="text/html"
        )
    response["Retry-After"] = str(DatabaseUnavailable.retry_after_seconds)
    return response
