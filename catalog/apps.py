from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    """The project's core: provenance (Source), shared model bases and API plumbing."""

    name = "catalog"
    verbose_name = _("Catalog core")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate

        from catalog import (
            answers,
            history,  # records every change in the change log
            protection,  # noqa: F401  (no delete drops a many-to-many link)
        )
        from catalog.i18n import translate_derived_names

        translate_derived_names(self)
        history.connect_to_many()
        # The stamp kept answers are keyed by, and the triggers that replace it.
        post_migrate.connect(answers.install_stamp_after_migrate, sender=self)


class CatalogAdminConfig(admin_apps.AdminConfig):
    """Django's admin, its default site the catalog's (catalog.sites)."""

    default = False  # named in INSTALLED_APPS; the catalog app's config stays CatalogConfig
    default_site = "catalog.sites.CatalogAdminSite"
