"""Trigram indexes for finding clients by any part of their name, company, e-mail or phone
(the board's search and the new-order form), and an index for order numbers typed from
their start. PostgreSQL only: elsewhere the search scans."""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)

# The expressions are the ones Django writes for customers_matching() in orders/selectors.py:
# UPPER(column::text) LIKE … for icontains, and the digits-only phone.
PHONE_DIGITS = (
    "REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(phone, ' ', ''), '-', ''), '(', ''), "
    "')', ''), '+', ''), '.', '')"
)
INDEXES = {
    "customer_name_trgm": "(UPPER(name::text)) gin_trgm_ops",
    "customer_company_trgm": "(UPPER(company::text)) gin_trgm_ops",
    "customer_email_trgm": "(UPPER(email::text)) gin_trgm_ops",
    "customer_phone_digits_trgm": f"({PHONE_DIGITS}) gin_trgm_ops",
}

NUMBER_INDEX = "order_number_upper_prefix"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as exc:
        logger.warning("pg_trgm is not available (%s): client search works without indexes", exc)
        return
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON orders_customer USING gin ({expression})"
        )
    # number__istartswith: UPPER(number::text) LIKE 'X%'
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {NUMBER_INDEX} "
        "ON orders_order (UPPER(number::text) text_pattern_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in [*INDEXES, NUMBER_INDEX]:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("orders", "0004_email_send_claim")]

    operations = [migrations.RunPython(create, drop)]
