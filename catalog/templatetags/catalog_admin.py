"""Template tags for pages rendered outside an admin view that keep the admin's frame
(the 403 page): the admin site's own context, as its views give it."""

from django import template
from django.contrib import admin

register = template.Library()


@register.simple_tag(takes_context=True)
def admin_site_context(context):
    """The admin site's context (site header, permissions, ...) for the current request."""
    request = context.get("request")
    return admin.site.each_context(request) if request is not None else {}
