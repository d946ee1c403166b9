"""Rendering API values on pages: related rows link to their explorer page, empty values
say they are not known, lists are joined; text a visitor sent is shown back visibly."""

import re
import unicodedata
from urllib.parse import urlsplit

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join

from catalog.names import INVISIBLE_CATEGORIES

register = template.Library()

API_DETAIL = re.compile(r"^/api/v1/(?P<resource>[a-z-]+)/(?P<slug>[-\w]+)/?$")
NOT_KNOWN = "not known"


@register.filter
def explore(url):
    """The explorer page of an API detail URL, else the URL itself (e.g. a partnership)."""
    if not url:
        return ""
    match = API_DETAIL.match(urlsplit(url).path)
    if match:
        try:
            return reverse(f"explorer:{match['resource']}", args=[match["slug"]])
        except NoReverseMatch:
            pass
    return url


@register.filter
def label(name):
    """A field name as a heading: "launched_on" -> "Launched on"."""
    text = str(name).replace("_", " ")
    text = re.sub(r"\bcny\b", "CNY", text)
    text = re.sub(r"\bos\b", "OS", text)
    text = re.sub(r"\bnm\b", "(nm)", text)
    return text[:1].upper() + text[1:]


@register.filter
def get(row, key):
    return row.get(key) if hasattr(row, "get") else None


def link_to(summary):
    name = summary.get("name") or summary.get("title") or summary.get("slug")
    if "link" in summary:  # a source: the published document, dated
        date = summary.get("published_on")
        return format_html(
            '<a href="{}" rel="noopener" class="source">{}</a> <span class="muted">{}{}</span>',
            summary["link"],
            summary.get("title") or summary["slug"],
            summary.get("publisher", ""),
            f", {date}" if date else "",
        )
    if summary.get("url"):
        return format_html('<a href="{}">{}</a>', explore(summary["url"]), name)
    return format_html("{}", name)


@register.filter
def cell(value):
    """One value of the API's answer as HTML."""
    if value is None or value == "":
        return format_html('<span class="muted">{}</span>', NOT_KNOWN)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        if "slug" in value:
            extra = f" ({value['country']})" if value.get("country") else ""
            return format_html("{}{}", link_to(value), extra)
        return format_html_join(", ", "{}: {}", ((label(k), cell(v)) for k, v in value.items()))
    if isinstance(value, list):
        if not value:
            return format_html('<span class="muted">{}</span>', "none")
        if all(isinstance(item, dict) and "link" in item for item in value):
            return format_html(
                '<ul class="sources">{}</ul>',
                format_html_join("", "<li>{}</li>", ((link_to(item),) for item in value)),
            )
        return format_html_join("; ", "{}", ((cell(item),) for item in value))
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return format_html('<a href="{}" rel="noopener">{}</a>', value, value)
    return format_html("{}", value)


@register.filter
def percent(share):
    """A share (0..1) as a percentage; no share (nothing to divide by) is not known."""
    if share is None:
        return NOT_KNOWN
    return f"{share * 100:.1f}%"


@register.filter
def visible(text):
    """Text a visitor sent (a parameter's name, a message quoting its value), with each
    invisible character written as its Python escape ("\\x00", "\\u200b"): a NUL byte
    in the HTML is no character a reader can see, and some browsers drop or misread it."""
    return "".join(
        ascii(char)[1:-1] if unicodedata.category(char) in INVISIBLE_CATEGORIES else char
        for char in str(text)
    )
