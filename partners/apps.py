from django.apps import AppConfig


class PartnersConfig(AppConfig):
    """Organisations and what they make: companies, operating systems, stacks, chips, alliances."""

    name = "partners"
    default_auto_field = "django.db.models.BigAutoField"
