"""Bearer-token authentication against hashed, expiring, revocable tokens."""

from django.contrib.auth import SESSION_KEY
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework import HTTP_HEADER_ENCODING, authentication, exceptions

from catalog.models import ApiToken, token_digest
from catalog.throttling import count_failed_authentication

# A token is only marked used this often, so reads do not each write a row.
LAST_USED_RESOLUTION_SECONDS = 300


def authorization_header(request):
    """DRF's get_authorization_header read from the WSGI environ: the same bytes, without
    making `request.headers` (every header of the request parsed, about a tenth of an
    anonymous request's authentication and throttling)."""
    header = request.META.get("HTTP_AUTHORIZATION", b"")
    return header.encode(HTTP_HEADER_ENCODING) if isinstance(header, str) else header


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>` (`Token <token>` is accepted too).

    A missing header leaves the request anonymous; a wrong, expired or revoked token is
    a 401, never a silent downgrade to anonymous.
    """

    keywords = ("bearer", "token")

    def authenticate(self, request):
        header = authorization_header(request).split()
        if not header or header[0].decode("latin-1").lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                gettext("Give the header as 'Authorization: Bearer <token>'.")
            )
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(gettext("Invalid token.")) from None
        # The digest is unique: one row at most, read with its user in one query; whether
        # it may be used is decided on that row, without a filter to compile per request.
        token = next(
            iter(ApiToken.objects.select_related("user").filter(digest=token_digest(raw))), None
        )
        if token is None or not token.accepts_requests:
            count_failed_authentication(request)
            raise exceptions.AuthenticationFailed(gettext("Invalid, expired or revoked token."))
        now = timezone.now()
        if (
            token.last_used_at is None
            or (now - token.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS
        ):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's, with no user looked up where the session holds none (every request that is
    not signed in to the admin): looking one up (the user model, an anonymous user made
    and thrown away) cost about a quarter of an anonymous hello-world request's
    authentication and throttling. The session is still read, so answers still vary by
    Cookie, and a signed-in session (with its CSRF check) is DRF's."""

    def authenticate(self, request):
        session = getattr(request._request, "session", None)
        if session is not None and SESSION_KEY not in session:
            return None
        return super().authenticate(request)
