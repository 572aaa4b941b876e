"""Invoices of orders lost before every invoice was voided on loss: a paid one left "paid"
would open again as "issued" after its refund and take money for a lost order."""

from django.db import migrations
from django.utils import timezone


def void_invoices_of_lost_orders(apps, schema_editor):
    Invoice = apps.get_model("invoices", "Invoice")
    Invoice.objects.filter(order__stage="lost").exclude(status="void").update(
        status="void", voided_at=timezone.now()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("invoices", "0002_money_documents_links_webhooks"),
        ("orders", "0006_task_title_msg"),
    ]

    operations = [
        migrations.RunPython(void_invoices_of_lost_orders, migrations.RunPython.noop),
    ]
