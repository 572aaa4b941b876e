"""Logistics keeps its own carrier directory: the group may add and change carriers."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

LOGISTICS = "Logistics"


def forwards(apps, schema_editor):
    app_config = apps.get_app_config("logistics")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    group = apps.get_model("auth", "Group").objects.filter(name=LOGISTICS).first()
    if group is None:
        return
    permission = apps.get_model("auth", "Permission")
    group.permissions.add(
        *permission.objects.filter(
            content_type__app_label="logistics", codename__in=["add_carrier", "change_carrier"]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("logistics", "0001_initial"),
        ("orders", "0002_roles_and_defaults"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
