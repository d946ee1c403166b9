"""Content negotiation for every API view (REST_FRAMEWORK's DEFAULT_CONTENT_NEGOTIATION_CLASS).

A module of its own: DRF imports this class while it defines APIView, so it must not import
anything that imports rest_framework.views."""

from django.utils.translation import gettext
from rest_framework.exceptions import NotAcceptable, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation

# Renderers chosen before: (the view's renderer classes, format suffix, ?format=, Accept
# header) -> (the renderer's place among them, media type). At most SELECTIONS_KEPT, as
# the Accept header is the client's to write.
_selections = {}
SELECTIONS_KEPT = 512


class CatalogContentNegotiation(DefaultContentNegotiation):
    """An unknown or empty `?format=` is a 400 that lists the formats, not DRF's bare 404
    (or, when empty, silently ignored).

    DRF parses the Accept header and matches it against every renderer on each request;
    the choice depends on nothing else, so a choice made once is kept (refusals are not)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        param = self.settings.URL_FORMAT_OVERRIDE
        key = (
            tuple(type(renderer) for renderer in renderers),
            format_suffix,
            request.query_params.get(param) if param else None,
            request.META.get("HTTP_ACCEPT", "*/*"),
        )
        known = _selections.get(key)
        if known is not None:
            return renderers[known[0]], known[1]
        if not format_suffix and key[2] == "":
            self.filter_renderers(renderers, "")
        try:
            renderer, media_type = super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            raise NotAcceptable(
                gettext(
                    "None of the media types in the Accept header is written here. "
                    "Accepted: %(accepted)s."
                )
                % {"accepted": ", ".join(dict.fromkeys(r.media_type for r in renderers))}
            ) from None
        if len(_selections) >= SELECTIONS_KEPT:
            _selections.clear()
        _selections[key] = (renderers.index(renderer), media_type)
        return renderer, media_type

    def filter_renderers(self, renderers, format):
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            accepted = ", ".join(renderer.format for renderer in renderers)
            raise ValidationError(
                {
                    "format": [
                        gettext("Unknown format '%(format)s'. Accepted: %(accepted)s.")
                        % {"format": format[:20], "accepted": accepted}
                    ]
                }
            )
        return matching
