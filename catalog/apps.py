from django.apps import AppConfig


class CatalogConfig(AppConfig):
    """The project's core: provenance (Source), shared model bases and API plumbing."""

    name = "catalog"
    verbose_name = "Catalog core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from catalog import (
            history,  # noqa: F401  (records every change in the change log)
            protection,  # noqa: F401  (no delete drops a many-to-many link)
        )
