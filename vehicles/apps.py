from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VehiclesConfig(AppConfig):
    """Brands, vehicle models and every brand-side link: partnerships, memberships, deliveries."""

    name = "vehicles"
    verbose_name = _("Vehicles")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from catalog.i18n import translate_derived_names
        from vehicles import signals  # noqa: F401  (installs the delivery-month triggers)

        translate_derived_names(self)
