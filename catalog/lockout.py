"""Failed admin sign-ins lock out (django-axes): who counts as the same client, and the
page a locked-out user sees.

Attempts are counted per user name and client address together, so a wrong password
typed for one account from one place does not lock anyone else out. The address is
found by the same rule as the API throttle's (DRF's NUM_PROXIES, set from
THROTTLE_NUM_PROXIES): behind N trusted proxies, the Nth address from the right of
X-Forwarded-For; otherwise the socket's address, never a header a client can forge
(catalog.throttling.client_address).

What axes records of a failed sign-in is fit to the columns it goes in first: Django's
sign-in form hands a user name of any length to authentication, and a header may hold
NUL, which PostgreSQL refuses in text (either failed the sign-in page with a 500).
"""

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.contrib import admin
from django.shortcuts import render

# The request's values axes records a failed sign-in with (axes.models.AccessBase), and
# the length of each one's column.
RECORDED = {"axes_user_agent": 255, "axes_http_accept": 1025, "axes_path_info": 255}
USERNAME_LENGTH = 255


def fit(value, length):
    """`value` as its column holds it: NUL written as 0x00 (as axes writes the form data
    it records), at most `length` characters."""
    return value.replace("\0", "0x00")[:length] if isinstance(value, str) else value


def username(request, credentials=None):
    """The user name a sign-in is counted under (AXES_USERNAME_CALLABLE): axes' own (the
    credentials', else the form's), fit to its column."""
    given = credentials or getattr(request, "data", request.POST)
    return fit(given.get(settings.AXES_USERNAME_FORM_FIELD), USERNAME_LENGTH)


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler (AXES_HANDLER), recording the request's values fit to
    their columns."""

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        if request is not None:
            for name, length in RECORDED.items():
                setattr(request, name, fit(getattr(request, name, None), length))
        return super().user_login_failed(sender, credentials, request, **kwargs)


def locked_out(request, original_response=None, credentials=None):
    """The lockout page (AXES_LOCKOUT_CALLABLE): the admin's own page, saying for how
    long sign-in is refused and what to do meanwhile."""
    cool_off = settings.AXES_COOLOFF_TIME
    context = {
        **admin.site.each_context(request),
        "title": "Sign-in locked",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cool_off_minutes": int(cool_off.total_seconds() // 60),
    }
    return render(
        request, "catalog/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE
    )
