"""Request checks that apply before any view, to the API, the admin and the explorer."""

from urllib.parse import unquote_to_bytes

from django.utils import translation
from django.utils.translation import gettext

from catalog.exceptions import json_error


class Utf8QueryMiddleware:
    """A query string whose bytes (after percent-decoding) are not UTF-8 is a 400.

    Django would decode it with replacement characters, so `?q=%FF` would quietly search
    for '\ufffd' and a filter value would silently differ from the one sent."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw = request.META.get("QUERY_STRING", "")
        if raw:
            try:
                unquote_to_bytes(raw.replace("+", " ")).decode("utf-8")
            except UnicodeDecodeError:
                # This runs before the language middleware: choose the language here.
                with translation.override(translation.get_language_from_request(request)):
                    return json_error(
                        400,
                        "invalid_encoding",
                        gettext(
                            "The query string is not valid UTF-8 once percent-decoded; encode "
                            "parameter values as UTF-8 (e.g. %E9%97%AE%E7%95%8C for 问界)."
                        ),
                    )
        return self.get_response(request)
