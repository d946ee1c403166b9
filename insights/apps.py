from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """Read-only analytics computed from the catalog (no models of its own)."""

    name = "insights"
