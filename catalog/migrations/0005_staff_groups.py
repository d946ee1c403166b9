"""The two staff groups data entry needs, with their permissions (see the README).

delivery clerk: enters monthly figures, period totals and known gaps (and their
    sources), and reads what those refer to, so autocomplete can offer it.
catalog editor: adds and changes every kind of fact; deleting stays with administrators.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

READ = ["view"]
WRITE = ["view", "add", "change"]

GROUPS = {
    "delivery clerk": {
        "catalog": {"source": WRITE, "changerecord": READ},
        "partners": {"alliance": READ, "company": READ},
        "vehicles": {
            "brand": READ,
            "alliancemembership": READ,
            "delivery": WRITE,
            "deliverytotal": WRITE,
            "deliverygap": WRITE,
        },
    },
    "catalog editor": {
        "catalog": {"source": WRITE, "changerecord": READ},
        "partners": {
            model: WRITE
            for model in (
                "company",
                "shareholding",
                "operatingsystem",
                "chip",
                "driverassiststack",
                "alliance",
            )
        },
        "vehicles": {
            model: WRITE
            for model in (
                "brand",
                "vehiclemodel",
                "vehiclemodelchip",
                "partnership",
                "alliancemembership",
                "delivery",
                "deliverytotal",
                "deliverygap",
            )
        },
    },
}


def create_groups(apps, schema_editor):
    # Permissions are made after the last migration; these groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    set_groups(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def set_groups(Group, Permission):  # noqa: N803 (model classes)
    """Each group, made where missing, with exactly its permissions."""
    for name, apps_models in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        codenames = [
            (app_label, f"{action}_{model}")
            for app_label, models in apps_models.items()
            for model, actions in models.items()
            for action in actions
        ]
        permissions = [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in codenames
        ]
        group.permissions.set(permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("catalog", "0004_restore_channel"),
        ("partners", "0003_integer_bounds"),
        ("vehicles", "0005_delivery_gaps"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
