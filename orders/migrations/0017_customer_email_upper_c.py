from django.db import migrations

# E-mails upper-cased in the C collation, for the search's exact e-mails and e-mails
# starting with what was typed (orders.selectors.customers.EMAIL_C), as
# customer_name_upper_c serves names. PostgreSQL only.
EMAIL_INDEX = (
    "CREATE INDEX IF NOT EXISTS customer_email_upper_c "
    'ON orders_customer ((UPPER(email::text) COLLATE "C"))'
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(EMAIL_INDEX)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS customer_email_upper_c")


class Migration(migrations.Migration):
    dependencies = [("orders", "0016_board_search_indexes")]

    operations = [migrations.RunPython(create, drop)]
