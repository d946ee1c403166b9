"""Content negotiation for every API view (REST_FRAMEWORK's DEFAULT_CONTENT_NEGOTIATION_CLASS).

A module of its own: DRF imports this class while it defines APIView, so it must not import
anything that imports rest_framework.views."""

from django.utils.translation import gettext
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation


class CatalogContentNegotiation(DefaultContentNegotiation):
    """An unknown or empty `?format=` is a 400 that lists the formats, not DRF's bare 404
    (or, when empty, silently ignored)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        param = self.settings.URL_FORMAT_OVERRIDE
        if not format_suffix and param and request.query_params.get(param) == "":
            self.filter_renderers(renderers, "")
        return super().select_renderer(request, renderers, format_suffix)

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
