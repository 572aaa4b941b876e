"""Background work of invoices: thin adapters that take ids and call a service."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.db.models import F
from django.utils import timezone

from config.celery import retry_or_give_up
from invoices.cloudpayments import CloudPaymentsError, CloudPaymentsUnavailable
from invoices.models import Invoice, InvoiceStatus, ProviderEvent

logger = logging.getLogger(__name__)


def _send_invoice_emails(invoice: Invoice) -> int:
    """The "invoice issued" e-mails wait for the PDF; they go out from here."""
    from orders.models import NotificationStatus, TimelineEvent
    from orders.tasks import send_client_email

    events = TimelineEvent.objects.filter(
        order_id=invoice.order_id,
        notification_status=NotificationStatus.QUEUED,
        data__notification="invoice_issued",
        data__invoice_id=invoice.pk,
    ).values_list("pk", flat=True)
    count = 0
    for event_id in events:
        send_client_email.delay(event_id)
        count += 1
    return count


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=5)
def invoice_render_pdf(self, invoice_id: int) -> None:
    """Idempotent: renders only when the stored PDF is older than the invoice. Acked after
    it ran, and requeued if the worker dies mid-render, so a killed worker loses nothing."""
    from invoices.pdf import invoice_pdf_store

    try:
        invoice_pdf_store(invoice_id)
    except Invoice.DoesNotExist:
        return
    except Exception as exc:

        def give_up(exc: Exception) -> None:
            Invoice.objects.filter(pk=invoice_id).update(pdf_error=repr(exc)[:1000])
            # The client still gets the e-mail with the link, without the attachment.
            _send_invoice_emails(Invoice.objects.get(pk=invoice_id))

        retry_or_give_up(self, exc, f"PDF of invoice {invoice_id}", give_up=give_up)
        return
    invoice = Invoice.objects.get(pk=invoice_id)
    if invoice.pdf_is_current:
        _send_invoice_emails(invoice)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=10)
def payment_followup(self, event_id: int) -> None:
    """The receipt and the stage move after a card payment; idempotent (outbox row)."""
    from invoices.services import payment_followup as followup

    try:
        followup(event_id=event_id)
    except Exception as exc:
        retry_or_give_up(self, exc, f"follow-up of payment notification {event_id}")


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=10)
def notification_apply(self, event_id: int) -> None:
    """Apply a stored, verified CloudPayments notification (pay, confirm, refund, fail,
    cancel). Idempotent: an event is applied once, and a transaction once whatever event
    brings it (transaction_apply checks under the order's lock)."""
    from invoices.webhooks import notification_apply_stored

    try:
        notification_apply_stored(event_id=event_id)
    except Exception as exc:
        retry_or_give_up(self, exc, f"payment notification {event_id}")


@shared_task(bind=True, acks_late=True, max_retries=8)
def invoice_create_payment_link(self, invoice_id: int) -> None:
    from invoices.payment_links import payment_link_create

    try:
        payment_link_create(invoice_id=invoice_id)
    except CloudPaymentsUnavailable as exc:
        retry_or_give_up(
            self,
            exc,
            f"payment link for invoice {invoice_id}",
            first=30,
            cap=3600,
            give_up=lambda exc: Invoice.objects.filter(pk=invoice_id).update(
                payment_link_error=str(exc)[:1000]
            ),
        )
    except CloudPaymentsError as exc:
        Invoice.objects.filter(pk=invoice_id).update(payment_link_error=str(exc)[:1000])
        logger.error("CloudPayments refused a payment link for invoice %s: %s", invoice_id, exc)


@shared_task(bind=True, acks_late=True, max_retries=5)
def invoice_cancel_payment_link(self, link_id: str) -> None:
    from invoices.cloudpayments import CloudPaymentsAPI

    try:
        CloudPaymentsAPI().cancel_payment_link(link_id)
    except CloudPaymentsUnavailable as exc:
        retry_or_give_up(self, exc, f"cancelling payment link {link_id}", first=30, cap=3600)
    except CloudPaymentsError as exc:
        logger.error("CloudPayments did not cancel payment link %s: %s", link_id, exc)


@shared_task(bind=True, acks_late=True, max_retries=3)
def payments_reconcile(self) -> dict[str, int] | None:
    from invoices.reconcile import payments_reconcile as reconcile
    from invoices.services import cloudpayments_configured

    if not cloudpayments_configured():
        return None
    try:
        return reconcile()
    except CloudPaymentsUnavailable as exc:
        logger.warning("reconciliation postponed: %s", exc)
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc


@shared_task(acks_late=True)
def invoice_reminders_send() -> int:
    from invoices.reminders import invoice_reminders_send as send

    return send()


@shared_task(acks_late=True)
def invoices_sweep() -> dict[str, int]:
    return sweep()


def sweep(*, stale_after: dt.timedelta = dt.timedelta(minutes=2)) -> dict[str, int]:
    """Queue again what the database says is still to do but the broker never got: PDFs
    older than their invoice (claimed with a conditional UPDATE), and the follow-up of
    payment notifications that arrived while the broker was down, and client e-mails whose
    sender died holding the claim."""
    from orders.models import NotificationStatus, TimelineEvent
    from orders.notify import CLAIM_LOST_AFTER
    from orders.tasks import send_client_email

    now = timezone.now()
    counts = {"pdf": 0, "followups": 0, "notifications": 0, "emails": 0}
    stale = Invoice.objects.exclude(status=InvoiceStatus.VOID).filter(
        pdf_version__lt=F("content_version"), pdf_queued_at__lt=now - stale_after
    )
    for invoice_id in stale.values_list("pk", flat=True)[:200]:
        claimed = Invoice.objects.filter(pk=invoice_id, pdf_queued_at__lt=now - stale_after).update(
            pdf_queued_at=now
        )
        if claimed:
            invoice_render_pdf.delay(invoice_id)
            counts["pdf"] += 1
    # Payment notifications whose follow-up (receipt, stage move) never ran: the task
    # locks the outbox row itself, so queueing one twice is harmless.
    pending = ProviderEvent.objects.filter(
        followup_pending=True, processed_at__lt=now - stale_after
    ).order_by("received_at")
    for event_id in pending.values_list("pk", flat=True)[:200]:
        payment_followup.delay(event_id)
        counts["followups"] += 1
    # Verified notifications stored but never applied (the task was lost with the broker).
    unapplied = ProviderEvent.objects.filter(
        signature_ok=True, processed_at__isnull=True, received_at__lt=now - stale_after
    ).order_by("received_at")
    for event_id in unapplied.values_list("pk", flat=True)[:200]:
        notification_apply.delay(event_id)
        counts["notifications"] += 1
    # The task claims the event again itself, so queueing one twice sends one e-mail.
    lost = TimelineEvent.objects.filter(
        notification_status=NotificationStatus.SENDING,
        notification_claimed_at__lt=now - CLAIM_LOST_AFTER,
    )
    for event_id in lost.values_list("pk", flat=True)[:200]:
        send_client_email.delay(event_id)
        counts["emails"] += 1
    return counts
