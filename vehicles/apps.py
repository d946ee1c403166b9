from django.apps import AppConfig


class VehiclesConfig(AppConfig):
    """Brands, vehicle models and every brand-side link: partnerships, memberships, deliveries."""

    name = "vehicles"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from vehicles import signals  # noqa: F401  (installs the delivery-month triggers)
