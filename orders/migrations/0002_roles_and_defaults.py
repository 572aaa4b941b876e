"""Roles as groups with their permissions, and the default calendar, SLAs and stage limits."""

from decimal import Decimal

from django.contrib.auth.management import create_permissions
from django.db import migrations

from orders.roles import ADMINS, ROLE_PERMISSIONS

SLA_HOURS = {"take_into_work": "2", "produce_line": "24", "deliver": "8", "custom": "8"}
STAGE_LIMIT_HOURS = {
    "new": "4", "qualification": "16", "prepayment": "40", "production": "120",
    "postpayment": "40", "delivery_details": "8", "delivery": "24",
}


def forwards(apps, schema_editor):
    # Permissions are normally created after all migrations; make them exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for dotted in perms:
            app_label, codename = dotted.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
    admins, _ = Group.objects.get_or_create(name=ADMINS)
    admins.permissions.set(Permission.objects.all())

    apps.get_model("orders", "WorkingCalendar").objects.get_or_create(pk=1)
    TaskSLA = apps.get_model("orders", "TaskSLA")
    for kind, hours in SLA_HOURS.items():
        TaskSLA.objects.get_or_create(kind=kind, defaults={"working_hours": Decimal(hours)})
    StageLimit = apps.get_model("orders", "StageLimit")
    for stage, hours in STAGE_LIMIT_HOURS.items():
        StageLimit.objects.get_or_create(stage=stage, defaults={"working_hours": Decimal(hours)})


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
        ("invoices", "0001_initial"),
        ("production", "0001_initial"),
        ("logistics", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
