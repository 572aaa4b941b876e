"""Accountants see the closing documents in admin and may regenerate them; admins hold
every permission (orders.roles.install gave them all that existed before this app)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from orders import roles

GRANTS = {
    roles.ACCOUNTANTS: ["view_closingdocument", "regenerate_closingdocument"],
    roles.ADMINS: [
        "view_closingdocument",
        "change_closingdocument",
        "regenerate_closingdocument",
    ],
}


def forwards(apps, schema_editor):
    # Permissions are normally created after all migrations; make them exist now.
    config = apps.get_app_config("documents")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _created = group_model.objects.get_or_create(name=name)
        group.permissions.add(
            *permission_model.objects.filter(
                content_type__app_label="documents", codename__in=codenames
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0001_initial"),
        ("orders", "0002_roles_and_defaults"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
