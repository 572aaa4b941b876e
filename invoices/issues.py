"""Discrepancies between our books and CloudPayments', kept for the accountants."""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction

from invoices.models import Invoice, ReconciliationIssue


def issue_record(
    *,
    kind: str,
    transaction_id: str,
    amount: Decimal,
    currency: str,
    found_by: str,
    invoice_number: str = "",
    invoice: Invoice | None = None,
    details: str = "",
) -> ReconciliationIssue:
    """One row per problem and transaction, however often it is seen."""
    try:
        with transaction.atomic():
            issue, _created = ReconciliationIssue.objects.get_or_create(
                kind=kind,
                transaction_id=transaction_id,
                defaults={
                    "invoice_number": invoice_number[:64],
                    "invoice": invoice,
                    "amount": amount,
                    "currency": currency[:3],
                    "details": details,
                    "found_by": found_by,
                },
            )
    except IntegrityError:
        issue = ReconciliationIssue.objects.get(kind=kind, transaction_id=transaction_id)
    return issue
