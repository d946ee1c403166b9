from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    """The project's core: provenance (Source), shared model bases and API plumbing."""

    name = "catalog"
    verbose_name = _("Catalog core")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from catalog import (
            history,  # records every change in the change log
            protection,  # noqa: F401  (no delete drops a many-to-many link)
        )
        from catalog.i18n import translate_derived_names

        translate_derived_names(self)
        history.connect_to_many()
