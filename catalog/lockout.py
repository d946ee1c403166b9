"""Failed admin sign-ins lock out (django-axes): who counts as the same client, and the
page a locked-out user sees.

Attempts are counted per user name and client address together, so a wrong password
typed for one account from one place does not lock anyone else out. The address is
found by the same rule as the API throttle's (DRF's NUM_PROXIES, set from
THROTTLE_NUM_PROXIES): behind N trusted proxies, the Nth address from the right of
X-Forwarded-For; otherwise the socket's address, never a header a client can forge
(catalog.throttling.client_address).
"""

from django.conf import settings
from django.contrib import admin
from django.shortcuts import render


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
