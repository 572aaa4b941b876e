"""Roles as groups with their permissions, and the default calendar, SLAs and stage limits."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from orders import roles


def forwards(apps, schema_editor):
    # Permissions are normally created after all migrations; make them exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles.install(apps)


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
