"""Background work of invoices: thin adapters that take ids and call a service. A failure is
counted in orders.models.Work and retried by the sweep at the time written there (never a
countdown held by the broker); after WORK_MAX_ATTEMPTS it is a dead letter."""

from __future__ import annotations

import logging

from celery import shared_task

from invoices import receipts
from invoices.cloudpayments import CloudPaymentsAPI, CloudPaymentsError, CloudPaymentsUnavailable
from invoices.models import Invoice, Receipt
from invoices.payment_links import payment_link_create
from invoices.pdf import invoice_pdf_store
from invoices.reminders import invoice_reminders_send as send
from notifications.client import release
from orders.work import (
    work_done,
    work_failed,
)

logger = logging.getLogger(__name__)


PDF_AWAITED = "invoice-pdf:"


def pdf_awaiting(invoice_id: int) -> str:
    """What the "invoice issued" e-mail waits for (TimelineEvent.awaiting): the PDF it
    carries. It goes out from here, once the PDF exists or will not (and from the sweep,
    should this publish fail)."""
    return f"{PDF_AWAITED}{invoice_id}"


def pdf_awaited(awaiting: str) -> int | None:
    """The invoice whose PDF a held e-mail waits for; None when it waits for something
    else (pdf_awaiting's inverse)."""
    number = awaiting.removeprefix(PDF_AWAITED)
    return int(number) if awaiting.startswith(PDF_AWAITED) and number.isdigit() else None


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def invoice_render_pdf(self, invoice_id: int) -> None:
    """Idempotent: renders only when the stored PDF is older than the invoice. Acked after
    it ran, and requeued if the worker dies mid-render, so a killed worker loses nothing."""

    try:
        invoice_pdf_store(invoice_id)
        invoice = Invoice.objects.get(pk=invoice_id)
    except Invoice.DoesNotExist:
        work_done(self.name, [invoice_id])
        return
    except Exception as exc:

        def give_up(exc: BaseException) -> None:
            Invoice.objects.filter(pk=invoice_id).update(pdf_error=repr(exc)[:1000])
            # The client still gets the e-mail with the link, without the attachment.
            release(awaiting=pdf_awaiting(invoice_id))

        work_failed(self.name, [invoice_id], exc, give_up=give_up)
        return
    if invoice.pdf_is_current:
        release(awaiting=pdf_awaiting(invoice.pk))
    work_done(self.name, [invoice_id])


@shared_task(bind=True, acks_late=True)
def invoice_create_payment_link(self, invoice_id: int) -> None:

    try:
        payment_link_create(invoice_id=invoice_id)
    except CloudPaymentsUnavailable as exc:
        work_failed(
            self.name,
            [invoice_id],
            exc,
            first=120,
            give_up=lambda exc: Invoice.objects.filter(pk=invoice_id).update(
                payment_link_error=str(exc)[:1000]
            ),
        )
        return
    except CloudPaymentsError as exc:
        Invoice.objects.filter(pk=invoice_id).update(payment_link_error=str(exc)[:1000])
        logger.error("CloudPayments refused a payment link for invoice %s: %s", invoice_id, exc)
    work_done(self.name, [invoice_id])


@shared_task(bind=True, acks_late=True)
def invoice_cancel_payment_link(self, link_id: str) -> None:

    try:
        CloudPaymentsAPI().cancel_payment_link(link_id)
    except CloudPaymentsUnavailable as exc:
        work_failed(self.name, [link_id], exc, first=120)
        return
    except CloudPaymentsError as exc:
        logger.error("CloudPayments did not cancel payment link %s: %s", link_id, exc)
    work_done(self.name, [link_id])


@shared_task(bind=True, acks_late=True)
def receipt_send(self, receipt_id: int) -> None:
    """A fiscal receipt through kkt/receipt. Unavailable: retried with backoff (from a
    minute up to an hour); refused, or out of retries: marked failed and the accountants
    told. The money it describes is never touched."""

    try:
        receipts.receipt_send(receipt_id)
    except Receipt.DoesNotExist:
        pass
    except CloudPaymentsUnavailable as exc:
        dead = work_failed(
            self.name,
            [receipt_id],
            exc,
            first=60,
            give_up=lambda exc: receipts.receipt_failed(receipt_id, exc, final=True),
        )
        if not dead:
            receipts.receipt_failed(receipt_id, exc, final=False)
        return
    except CloudPaymentsError as exc:
        logger.error("CloudPayments refused receipt %s: %s", receipt_id, exc)
        receipts.receipt_failed(receipt_id, exc, final=True)
    work_done(self.name, [receipt_id])


@shared_task(acks_late=True)
def invoice_reminders_send() -> int:

    return send()


# Work the broker should have had for this long is taken as lost with it. Shorter than the
# sweep's period plus this, the funnel moves again within about 30 s of the broker's return.
