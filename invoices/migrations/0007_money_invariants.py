"""Money invariants in the database: a payment is never 0, its sign follows its kind, and
it is dated between 2000 and 2100. Rows that break them are repaired first, each one
written up as a payment discrepancy for the accountants:

- an impossible date (before 2000, after tomorrow; a year-1 date cannot even be read back)
  becomes the moment the row was recorded;
- a refund or a reversal stored as a positive amount gets its sign back;
- a payment of 0, or a "payment" of less than 0 that gives nothing back (a notification
  that should never have been booked), is taken out: it moved no money.

Then every affected invoice's and order's paid sums are recomputed from what is left."""

import datetime

from django.conf import settings
from django.db import migrations, models
from django.db.models import Sum
from django.utils import timezone

EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
FOUND_BY = "data repair"


def _issue(Issue, *, kind, payment_id, invoice_id, number, amount, currency, details):
    Issue.objects.get_or_create(
        kind=kind,
        transaction_id=f"payment {payment_id}",
        defaults={
            "invoice_id": invoice_id,
            "invoice_number": number[:64],
            "amount": amount,
            "currency": currency[:3],
            "details": details,
            "found_by": FOUND_BY,
        },
    )


def _bad_dates(Payment, connection, now):
    """Payments dated outside 2000 … tomorrow, each re-dated to when it was recorded (or
    now); returned as they were, to be written up."""
    if connection.vendor != "postgresql":
        rows = Payment.objects.filter(
            models.Q(paid_at__lt=EPOCH) | models.Q(paid_at__gt=now + datetime.timedelta(days=1))
        ).select_related("invoice")
        found = [
            (p.pk, str(p.paid_at), p.amount, p.currency, p.source, p.external_id,
             p.invoice_id, p.invoice.number)
            for p in rows
        ]  # fmt: skip
        for payment in rows:
            recorded = payment.created_at
            Payment.objects.filter(pk=payment.pk).update(
                paid_at=recorded if EPOCH <= recorded <= now else now
            )
        return found
    # In SQL on PostgreSQL: a row dated before year 1 cannot be loaded into Python.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT p.id, p.paid_at::text, p.amount, p.currency, p.source, p.external_id,
                   p.invoice_id, i.number
            FROM invoices_payment p JOIN invoices_invoice i ON i.id = p.invoice_id
            WHERE p.paid_at < %s OR p.paid_at > now() + interval '1 day'
            """,
            [EPOCH],
        )
        found = cursor.fetchall()
        for row in found:
            cursor.execute(
                """
                UPDATE invoices_payment
                SET paid_at = CASE
                    WHEN created_at >= %s AND created_at <= now() THEN created_at
                    ELSE now() END
                WHERE id = %s
                """,
                [EPOCH, row[0]],
            )
    return found


def repair_payments(apps, schema_editor):
    Payment = apps.get_model("invoices", "Payment")
    Invoice = apps.get_model("invoices", "Invoice")
    Order = apps.get_model("orders", "Order")
    Issue = apps.get_model("invoices", "ReconciliationIssue")
    touched: set[int] = set()

    now = timezone.now()
    for pk, paid_at, amount, currency, source, external_id, invoice_id, number in _bad_dates(
        Payment, schema_editor.connection, now
    ):
        _issue(
            Issue,
            kind="date_out_of_range",
            payment_id=pk,
            invoice_id=invoice_id,
            number=number,
            amount=amount,
            currency=currency,
            details=(
                f"{source} payment {external_id or pk} was dated {paid_at}; "
                "it is now dated when it was recorded: check the real date"
            ),
        )
        touched.add(invoice_id)

    # A refund or a reversal is money given back: a positive one has lost its sign.
    wrong_sign = Payment.objects.filter(amount__gt=0).exclude(
        refund_of__isnull=True, reversal_of__isnull=True
    )
    for payment in wrong_sign:
        _issue(
            Issue,
            kind="wrong_sign",
            payment_id=payment.pk,
            invoice_id=payment.invoice_id,
            number=payment.invoice.number,
            amount=payment.amount,
            currency=payment.currency,
            details=f"money given back was recorded as +{payment.amount}; now -{payment.amount}",
        )
        Payment.objects.filter(pk=payment.pk).update(amount=-payment.amount)
        touched.add(payment.invoice_id)

    # Nothing received: 0, or less than 0 without giving back a payment. Children first
    # (a reversal of a zero payment is zero too).
    empty = Payment.objects.filter(amount=0) | Payment.objects.filter(
        amount__lt=0, refund_of__isnull=True, reversal_of__isnull=True
    )
    for payment in sorted(
        empty, key=lambda p: (p.refund_of_id is None and p.reversal_of_id is None, p.pk)
    ):
        _issue(
            Issue,
            kind="amount_not_positive",
            payment_id=payment.pk,
            invoice_id=payment.invoice_id,
            number=payment.invoice.number,
            amount=payment.amount,
            currency=payment.currency,
            details=(
                f"{payment.source} entry of {payment.amount} ({payment.external_id or 'no id'}, "
                f"{payment.paid_at:%Y-%m-%d %H:%M %Z}, {payment.reference or 'no reference'}) "
                "moved no money and was taken out of the ledger"
            ),
        )
        payment.delete()
        touched.add(payment.invoice_id)

    for invoice in Invoice.objects.filter(pk__in=touched):
        invoice.paid_amount = invoice.payments.aggregate(s=Sum("amount"))["s"] or 0
        if invoice.status != "void":
            if invoice.paid_amount >= invoice.amount:
                invoice.status, invoice.paid_at = "paid", invoice.paid_at or now
            elif invoice.paid_amount > 0:
                invoice.status, invoice.paid_at = "partially_paid", None
            else:
                invoice.status, invoice.paid_at = "issued", None
        invoice.overpaid = invoice.paid_amount > invoice.amount
        invoice.save(update_fields=["paid_amount", "status", "paid_at", "overpaid"])
    for order in Order.objects.filter(invoices__pk__in=touched).distinct():
        order.paid_amount = order.payments.aggregate(s=Sum("amount"))["s"] or 0
        order.save(update_fields=["paid_amount"])
    # The deletions leave deferred foreign-key checks pending, and PostgreSQL will not
    # alter a table with pending trigger events in the same transaction.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("invoices", "0006_payment_paid_at_index"),
        ("orders", "0006_task_title_msg"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="reconciliationissue",
            name="kind",
            field=models.CharField(
                choices=[
                    ("unknown_invoice", "Unknown invoice"),
                    ("amount_mismatch", "Amount differs from the amount due"),
                    ("currency_mismatch", "Currency differs from the invoice"),
                    ("invoice_closed", "Payment for a void invoice"),
                    ("refund_unmatched", "Refund of a payment we do not know"),
                    ("refund_exceeds", "Refund larger than what is left of the payment"),
                    ("account_mismatch", "Paid under another client's account"),
                    ("amount_not_positive", "Amount of 0 or less"),
                    ("date_out_of_range", "Impossible payment date"),
                    ("wrong_sign", "Refund recorded with the wrong sign"),
                    ("unreadable", "Signed notification we could not read"),
                ],
                max_length=20,
                verbose_name="problem",
            ),
        ),
        migrations.RunPython(repair_payments, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("amount__gt", 0),
                        ("refund_of__isnull", True),
                        ("reversal_of__isnull", True),
                    ),
                    models.Q(
                        ("amount__lt", 0),
                        ("refund_of__isnull", False),
                        ("reversal_of__isnull", True),
                    ),
                    models.Q(
                        ("amount__lt", 0),
                        ("refund_of__isnull", True),
                        ("reversal_of__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="payment_amount_sign_follows_kind",
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "paid_at__gte",
                        datetime.datetime(2000, 1, 1, 0, 0, tzinfo=datetime.timezone.utc),
                    ),
                    (
                        "paid_at__lt",
                        datetime.datetime(2100, 1, 1, 0, 0, tzinfo=datetime.timezone.utc),
                    ),
                ),
                name="payment_paid_at_sane",
            ),
        ),
    ]
