from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    """Organisations and what they make: companies, operating systems, stacks, chips, alliances."""

    name = "partners"
    verbose_name = _("Partners")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from catalog.i18n import translate_derived_names

        translate_derived_names(self)
