"""Applying a card transaction (from a notification or from reconciliation) and the
periodic reconciliation with CloudPayments that catches notifications that never came."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import money
from invoices.cloudpayments import CloudPaymentsAPI
from invoices.issues import issue_record
from invoices.models import (
    UNPAID_STATUSES,
    Invoice,
    InvoiceStatus,
    IssueKind,
    Payment,
    PaymentSource,
    ReconciliationIssue,
)
from invoices.payments import (
    PaymentEffects,
    PaymentError,
    money_date_clean,
    paid_sum_fits,
    payment_record_locked,
)
from notifications.staff import tell_staff
from orders import roles
from orders.services.common import lock_order

logger = logging.getLogger(__name__)

COMPLETED = "Completed"


@dataclass
class ApplyResult:
    outcome: str
    payment: Payment | None = None
    issue: ReconciliationIssue | None = None
    created: bool = False


def account_matches(account_id: str, invoice: Invoice) -> bool:
    """The payment widget is opened with the order's number as AccountId; a transaction
    that names another account was not made from this invoice's page."""
    return not account_id or account_id == invoice.order.number


def transaction_apply(
    *,
    transaction_id: str,
    invoice_number: str,
    amount: Decimal,
    currency: str,
    paid_at: dt.datetime | None,
    found_by: str,
    account_id: str = "",
    effects: PaymentEffects | None = None,
) -> ApplyResult:
    """Register a completed card transaction once. Under the order's lock: the amount must
    be exactly the invoice's balance (a second transaction on a paid invoice is recorded
    as an overpayment); anything else becomes an issue for the accountants. A transaction
    of 0 or less, with an impossible date or under another client's account is never
    booked, whatever the invoice's state."""

    def known() -> Payment | None:
        return Payment.objects.filter(
            source=PaymentSource.CLOUDPAYMENTS, external_id=transaction_id
        ).first()

    # The duplicate check is made under the lock below; this read needs none.
    invoice = (
        Invoice.objects.select_related("order")
        .filter(number=invoice_number)
        .only("pk", "order_id", "order__number")
        .first()
    )

    def flag(kind: str, details: str) -> ApplyResult:
        issue = issue_record(
            kind=kind,
            transaction_id=transaction_id,
            invoice_number=invoice_number,
            invoice=invoice,
            amount=amount,
            currency=currency,
            details=details,
            found_by=found_by,
        )
        logger.warning("card transaction %s not applied: %s", transaction_id, details)
        return ApplyResult(f"flagged: {details}", issue=issue)

    if amount <= 0:
        return flag(IssueKind.AMOUNT_NOT_POSITIVE, f"paid {amount} {currency}: not money received")
    try:
        money_date_clean(paid_at)
    except PaymentError as exc:
        return flag(IssueKind.DATE_OUT_OF_RANGE, f"paid at {paid_at}: {exc.message}")
    if invoice is None:
        return flag(IssueKind.UNKNOWN_INVOICE, f"no invoice {invoice_number!r}")
    if not account_matches(account_id, invoice):
        return flag(
            IssueKind.ACCOUNT_MISMATCH,
            f"paid under account {account_id!r}, the invoice is for {invoice.order.number}",
        )
    with transaction.atomic(savepoint=False):
        order = lock_order(invoice.order_id)
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if (payment := known()) is not None:
            return ApplyResult("already recorded", payment)
        if invoice.status == InvoiceStatus.VOID:
            return flag(IssueKind.INVOICE_CLOSED, f"invoice {invoice.number} is void")
        if currency != invoice.currency:
            return flag(
                IssueKind.CURRENCY_MISMATCH, f"paid in {currency}, invoiced in {invoice.currency}"
            )
        if invoice.status != InvoiceStatus.PAID and amount != invoice.balance:
            return flag(
                IssueKind.AMOUNT_MISMATCH,
                f"paid {amount} {currency}, due {invoice.balance} {invoice.currency}",
            )
        if not paid_sum_fits(invoice=invoice, order=order, amount=amount):
            return flag(
                IssueKind.AMOUNT_MISMATCH,
                f"paid {amount} {currency} on top of {invoice.paid_amount}: too large to record",
            )
        payment = payment_record_locked(
            order=order,
            invoice=invoice,
            amount=amount,
            source=PaymentSource.CLOUDPAYMENTS,
            actor=None,
            external_id=transaction_id,
            paid_at=paid_at,
            reference=f"CloudPayments {transaction_id}",
            effects=effects,
        )
    if payment.is_overpayment:
        return ApplyResult("recorded as an overpayment", payment, created=True)
    return ApplyResult("recorded", payment, created=True)


def payments_reconcile(
    *, effects: PaymentEffects, api: CloudPaymentsAPI | None = None
) -> dict[str, int]:
    """Ask CloudPayments about every open invoice that has a payment link (and about
    today's and yesterday's transactions), and register what no notification brought.

    Every question is asked before anything is changed: an API that times out or fails
    leaves the database exactly as it was, and the caller retries the whole run."""
    api = api or CloudPaymentsAPI()
    open_invoices = list(
        Invoice.objects.filter(status__in=UNPAID_STATUSES).exclude(payment_link_id="")
    )
    found = {}
    for invoice in open_invoices:
        tx = api.find_payment(invoice.number)
        if tx is not None:
            found[str(tx.id)] = tx
    today = timezone.localdate()
    for day in (today - dt.timedelta(days=1), today):
        for tx in api.list_payments(day):
            found[str(tx.id)] = tx

    counts = {"seen": len(found), "recorded": 0, "flagged": 0}
    for tx_id, tx in sorted(found.items()):
        if tx.status != COMPLETED:
            continue
        if tx.test_mode and not settings.CLOUDPAYMENTS_TEST_MODE:
            continue
        result = transaction_apply(
            transaction_id=tx_id,
            invoice_number=str(tx.invoice_id or ""),
            amount=Decimal(str(tx.amount)),
            currency=str(tx.currency or ""),
            paid_at=tx.confirm_date or tx.auth_date or tx.created_date,
            found_by="reconciliation",
            account_id=str(getattr(tx, "account_id", None) or ""),
            effects=effects,
        )
        if result.outcome.startswith("recorded"):
            counts["recorded"] += 1
            logger.warning("reconciliation recorded transaction %s (no notification)", tx_id)
        elif result.issue is not None:
            counts["flagged"] += 1
    counts["notified"] = issues_notify()
    return counts


def issues_notify() -> int:
    """E-mail the accountants about new discrepancies; each is claimed so it goes once."""
    issues = list(ReconciliationIssue.objects.filter(notified_at__isnull=True, resolved_at=None))
    claimed = [
        issue
        for issue in issues
        if ReconciliationIssue.objects.filter(pk=issue.pk, notified_at__isnull=True).update(
            notified_at=timezone.now()
        )
    ]
    if not claimed:
        return 0
    lines = [
        f"- {issue.get_kind_display()}: {issue.transaction_id} "
        f"{money(issue.amount, issue.currency)} ({issue.invoice_number or '—'}) {issue.details}"
        for issue in claimed
    ]
    told = tell_staff(
        role=roles.ACCOUNTANTS,
        bell=False,
        email=True,
        text=_("Payments to check: %(count)s") % {"count": len(claimed)},
        details="\n".join(
            [
                _("CloudPayments reported payments that could not be applied by themselves:"),
                *lines,
                "",
                settings.SITE_URL + "/admin/invoices/reconciliationissue/",
            ]
        ),
    )
    if not told:
        logger.warning("%s payment discrepancies and no accountant to tell", len(claimed))
    return len(claimed)
