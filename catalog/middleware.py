"""Request checks that apply before any view, to the API, the admin and the explorer."""

import functools
import hashlib
from urllib.parse import unquote_to_bytes

from csp import middleware as csp_middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.contrib.messages import middleware as messages_middleware
from django.contrib.messages.storage import default_storage
from django.core.exceptions import TooManyFieldsSent
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.middleware import common, http, locale
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.functional import SimpleLazyObject, empty
from django.utils.http import escape_leading_slashes, parse_http_date_safe, quote_etag
from django.utils.translation import gettext

from catalog.exceptions import json_bad_request, json_error


class Utf8QueryMiddleware:
    """A query string whose bytes (after percent-decoding) are not UTF-8 is a 400, as is
    one of more parameters than DATA_UPLOAD_MAX_NUMBER_FIELDS.

    Django would decode it with replacement characters, so `?q=%FF` would quietly search
    for '\ufffd' and a filter value would silently differ from the one sent."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw = request.META.get("QUERY_STRING", "")
        if raw:
            try:
                request.GET  # noqa: B018 (parsed here, where a refusal can still be answered)
            except TooManyFieldsSent as error:
                # Django's own 400, answered before any view: DRF would meet it while
                # choosing a renderer, and Django's debug page while showing the error.
                with translation.override(translation.get_language_from_request(request)):
                    return json_bad_request(request, error)
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


# django-csp's settings and the response attributes through which a view gives a policy
# of its own (its decorators), for the policy and for the report-only one.
CSP_SETTINGS = {False: "CONTENT_SECURITY_POLICY", True: "CONTENT_SECURITY_POLICY_REPORT_ONLY"}
CSP_OWN_POLICY = frozenset(
    f"_csp_{part}{suffix}" for part in ("config", "update", "replace") for suffix in ("", "_ro")
)


@functools.cache
def settings_policies():
    """(header, text, URL prefixes excluded, response attribute exempting an answer) of
    each policy the settings give (the policy, the report-only one): built once per
    process, again if the settings change."""
    found = []
    for report_only, header in ((False, HEADER), (True, HEADER_REPORT_ONLY)):
        text = build_policy(report_only=report_only)
        if text:
            configured = getattr(settings, CSP_SETTINGS[report_only], None) or {}
            excluded = tuple(configured.get("EXCLUDE_URL_PREFIXES", None) or ())
            exempt = "_csp_exempt_ro" if report_only else "_csp_exempt"
            found.append((header, text, excluded, exempt))
    return tuple(found)


@receiver(setting_changed)
def forget_settings_policies(setting, **kwargs):
    if setting in CSP_SETTINGS.values():
        settings_policies.cache_clear()


def has_own_policy(response):
    """Whether a view's decorator gave the answer a policy of its own (an attribute of
    CSP_OWN_POLICY set, and not to None)."""
    given = CSP_OWN_POLICY.intersection(vars(response))
    return any(getattr(response, name) is not None for name in given)


class CSPMiddleware(csp_middleware.CSPMiddleware):
    """django-csp's middleware, the settings' policy built once rather than per answer.

    django-csp builds the header text from the settings for every answer, twice (the
    policy and the report-only one). Where the answer's view gave no policy of its own
    and the request's nonce was not used (every API answer), the text is the same each
    time: it is built once per process (settings_policies), and set under django-csp's
    own conditions. Any other answer is django-csp's."""

    def __init__(self, get_response):
        super().__init__(get_response)
        # As django-csp does: the nonce cannot be asked for once the header is written.
        # Asking raises and leaves the object as it was, so one serves every request.
        self.nonce_after_response = csp_middleware.CheckableLazyObject(
            self._csp_nonce_post_response
        )

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or has_own_policy(response):
            return super().process_response(request, response)
        if response.status_code in (404, 500) and settings.DEBUG:
            return response  # django-csp leaves Django's debug pages alone
        for header, text, excluded, exempt in settings_policies():
            if (
                header not in response
                and getattr(response, exempt, False) is False
                and not (excluded and request.path_info.startswith(excluded))
            ):
                response[header] = text
        request.csp_nonce = self.nonce_after_response
        return response


# Django's choice of language (get_language_from_request, the path not looked at) and its
# Vary header depend on a few strings alone, once the settings are read: each answer is
# kept for the strings it was given (the client writes them: at most STRINGS_KEPT).
STRINGS_KEPT = 512


@functools.lru_cache(maxsize=STRINGS_KEPT)
def language_for(cookie, accept_language):
    """The language Django chooses for a request with this language cookie (or None) and
    this Accept-Language header (or None)."""
    request = HttpRequest()
    if cookie is not None:
        request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = cookie
    if accept_language is not None:
        request.META["HTTP_ACCEPT_LANGUAGE"] = accept_language
    return translation.get_language_from_request(request)


@functools.lru_cache(maxsize=STRINGS_KEPT)
def vary_with(vary, name):
    """The Vary header Django's patch_vary_headers makes of `vary` (or None) and `name`."""
    response = HttpResponse()
    if vary is not None:
        response.headers["Vary"] = vary
    patch_vary_headers(response, (name,))
    return response.headers["Vary"]


@receiver(setting_changed)
def forget_languages(setting, **kwargs):
    if setting in ("LANGUAGES", "LANGUAGE_CODE", "LANGUAGE_COOKIE_NAME"):
        language_for.cache_clear()


class LocaleMiddleware(locale.LocaleMiddleware):
    """Django's. Where no URL pattern is language-prefixed (i18n_patterns; none here), it
    still looks for a language in the path twice a request, about a quarter of its time:
    here it does not, and answers the same. The language chosen for a cookie and an
    Accept-Language header is kept (language_for), as is the Vary header (vary_with)."""

    def prefixed_patterns(self, request):
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        used, _default_prefixed = is_language_prefix_patterns_used(urlconf)
        return used

    def process_request(self, request):
        if self.prefixed_patterns(request):
            return super().process_request(request)
        language = language_for(
            request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME),
            request.META.get("HTTP_ACCEPT_LANGUAGE"),
        )
        translation.activate(language)
        request.LANGUAGE_CODE = translation.to_language(language)  # get_language()'s answer
        return None

    def process_response(self, request, response):
        if self.prefixed_patterns(request):
            return super().process_response(request, response)
        response.headers["Vary"] = vary_with(response.headers.get("Vary"), "Accept-Language")
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class MessageMiddleware(messages_middleware.MessageMiddleware):
    """Django's, the message storage made when a message is first added or read: an API
    request never uses it, and making it (cookie and session storages) costs every
    request."""

    def process_request(self, request):
        request._messages = SimpleLazyObject(lambda: default_storage(request))

    def process_response(self, request, response):
        storage = getattr(request, "_messages", None)
        if isinstance(storage, SimpleLazyObject) and storage._wrapped is empty:
            return response  # never used: nothing to store
        return super().process_response(request, response)


def set_answer_etag(response):
    """Django's set_response_etag with SHA-1 for MD5: an ETag is opaque to clients, and
    SHA-1 hashes three times as fast on this hardware (a 3 MB answer: 5.5 -> 1.9 ms)."""
    if not response.streaming and response.content:
        response.headers["ETag"] = quote_etag(
            hashlib.sha1(response.content, usedforsecurity=False).hexdigest()
        )
    return response


# The request headers that can make a GET conditional (RFC 9110, section 13.1).
CONDITIONAL_HEADERS = frozenset(
    ("HTTP_IF_MATCH", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_UNMODIFIED_SINCE")
)


class ConditionalGetMiddleware(http.ConditionalGetMiddleware):
    """Django's: ETags for every GET, 304 to a matching If-None-Match; the ETag hashed by
    set_answer_etag, and the conditions weighed only where the request has any (a GET
    with none is answered in full: Django's would parse four absent headers). A HEAD is
    answered as its GET would be, ETag and 304 included (Django's looks at GET alone)."""

    def needs_etag(self, response):
        return not response.has_header("Cache-Control") or super().needs_etag(response)

    def process_response(self, request, response):
        # An error (a 400, a 404, a 429) is no representation to validate: no ETag.
        if request.method not in ("GET", "HEAD") or not 200 <= response.status_code < 300:
            return response
        if not response.has_header("ETag") and self.needs_etag(response):
            set_answer_etag(response)
        if CONDITIONAL_HEADERS.isdisjoint(request.META):
            return response
        # Django's own weighing, for HEAD as for GET.
        last_modified = parse_http_date_safe(response.get("Last-Modified") or "")
        if response.has_header("ETag") or last_modified:
            return get_conditional_response(
                request, etag=response.get("ETag"), last_modified=last_modified, response=response
            )
        return response


class CommonMiddleware(common.CommonMiddleware):
    """Django's: a URL missing its trailing slash is redirected to the one with it. A
    write (POST, PUT, PATCH, DELETE...) is redirected with 308, which has the client send
    the same method and body again; Django's 301 has it send a GET, the body lost (and
    with DEBUG on, Django raises instead, a 500)."""

    def get_full_path_with_slash(self, request):
        if request.method in ("GET", "HEAD"):
            return super().get_full_path_with_slash(request)
        return escape_leading_slashes(request.get_full_path(force_append_slash=True))

    def process_response(self, request, response):
        answer = super().process_response(request, response)
        if answer is not response and request.method not in ("GET", "HEAD"):
            return HttpResponsePermanentRedirect(answer["Location"], preserve_request=True)
        return answer
