"""Background work that drives the pipeline: payment follow-ups, stored notifications,
reconciliation, and the sweep that re-queues what the broker lost. Thin adapters that take
ids and call a service; a failure is counted in orders.models.Work and retried by the
sweep, and after WORK_MAX_ATTEMPTS it is a dead letter.

Task names are kept as they were first published ("invoices.tasks.…"): Work rows, the beat
schedule and messages already queued name them."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.db.models import CharField, Exists, F, OuterRef
from django.db.models.expressions import NegatedExpression
from django.db.models.functions import Cast
from django.utils import timezone

from invoices.cloudpayments import CloudPaymentsUnavailable
from invoices.models import UNPAID_STATUSES, Invoice, InvoiceStatus, ProviderEvent
from invoices.services import cloudpayments_configured
from invoices.tasks import (
    invoice_create_payment_link,
    invoice_render_pdf,
    pdf_awaited,
    pdf_awaiting,
)
from notifications.client import CLAIM_LOST_AFTER, release
from notifications.dead_letters import dead_letters_report
from notifications.tasks import send_client_email
from orders.models import NotificationStatus, TimelineEvent, Work
from orders.queue import publish, publish_by_name
from orders.work import (
    work_claim,
    work_done,
    work_due,
    work_failed,
    work_hold,
    work_release,
)
from pipeline import payments

logger = logging.getLogger(__name__)


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, name="invoices.tasks.payment_followup"
)
def payment_followup(self, event_id: int) -> None:
    """The receipt and the stage move after a card payment; idempotent (outbox row)."""
    try:
        payments.payment_followup(event_id=event_id)
    except Exception as exc:
        work_failed(self.name, [event_id], exc)
        return
    work_done(self.name, [event_id])


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, name="invoices.tasks.notification_apply"
)
def notification_apply(self, event_id: int) -> None:
    """Apply a stored, verified CloudPayments notification (pay, confirm, refund, fail,
    cancel). Idempotent: an event is applied once, and a transaction once whatever event
    brings it (transaction_apply checks under the order's lock)."""
    try:
        payments.notification_apply_stored(event_id=event_id)
    except Exception as exc:

        def give_up(exc: BaseException) -> None:
            ProviderEvent.objects.filter(pk=event_id, processed_at__isnull=True).update(
                outcome=f"not applied: {exc!r}"[:300]
            )

        work_failed(self.name, [event_id], exc, give_up=give_up)
        return
    work_done(self.name, [event_id])


@shared_task(bind=True, acks_late=True, max_retries=3, name="invoices.tasks.payments_reconcile")
def payments_reconcile(self) -> dict[str, int] | None:
    if not cloudpayments_configured():
        return None
    try:
        return payments.payments_reconcile()
    except CloudPaymentsUnavailable as exc:
        # A short countdown, well within the visibility timeout; past the retries, the
        # next beat run reconciles the same window and more.
        logger.warning("reconciliation postponed: %s", exc)
        raise self.retry(exc=exc, countdown=60) from exc


@shared_task(acks_late=True, name="invoices.tasks.invoices_sweep")
def invoices_sweep() -> dict[str, int]:
    return sweep()


STALE_AFTER = dt.timedelta(seconds=20)


SWEEP_KINDS = {
    invoice_render_pdf.name: "pdf",
    payment_followup.name: "followups",
    notification_apply.name: "notifications",
    send_client_email.name: "emails",
    invoice_create_payment_link.name: "links",
}


def _unheld(task) -> NegatedExpression:
    """No Work row for this task and row: nobody retries, leases or gave up on it."""
    return ~Exists(
        Work.objects.filter(task=task.name, key=Cast(OuterRef("pk"), output_field=CharField()))
    )


class _BrokerDown(Exception):
    pass


def _queue(task, pk: int, counts: dict[str, int], now: dt.datetime) -> None:
    """Claim (the Work row is the lease) and queue; a broker that cannot take it ends this
    sweep, leaving the claim due so the next sweep queues it first."""
    if not work_hold(task.name, [pk], now=now):
        return
    if not publish(task, pk):
        work_release(Work.objects.get(task=task.name, key=str(pk)))
        raise _BrokerDown
    counts[SWEEP_KINDS[task.name]] += 1


def sweep(
    *, stale_after: dt.timedelta = STALE_AFTER, now: dt.datetime | None = None
) -> dict[str, int]:
    """Queue what the database says is still to do but the broker does not hold: retries
    whose time came and leases that ran out (Work rows); then, for work nobody holds yet,
    PDFs older than their invoice, follow-ups and verified notifications not applied,
    client e-mails queued or left by a dead sender, invoice e-mails whose PDF is ready,
    missing payment links. Each is claimed before it is queued, so it is queued once per
    claim; the tasks are idempotent besides. Last, dead letters not reported yet."""
    now = now or timezone.now()
    before = now - stale_after
    counts = dict.fromkeys(["pdf", "followups", "notifications", "emails", "links", "other"], 0)
    try:
        for row in work_due(now=now):
            if not work_claim(row, now=now):
                continue
            if not publish_by_name(row.task, row.args):
                work_release(row)
                raise _BrokerDown
            counts[SWEEP_KINDS.get(row.task, "other")] += 1

        pdfs = Invoice.objects.exclude(status=InvoiceStatus.VOID).filter(
            _unheld(invoice_render_pdf),
            pdf_version__lt=F("content_version"),
            pdf_queued_at__lt=before,
        )
        for pk in pdfs.values_list("pk", flat=True)[:200]:
            _queue(invoice_render_pdf, pk, counts, now)
        # Payment notifications whose follow-up (receipt, stage move) never ran.
        followups = ProviderEvent.objects.filter(
            _unheld(payment_followup), followup_pending=True, processed_at__lt=before
        ).order_by("received_at")
        for pk in followups.values_list("pk", flat=True)[:200]:
            _queue(payment_followup, pk, counts, now)
        unapplied = ProviderEvent.objects.filter(
            _unheld(notification_apply),
            signature_ok=True,
            processed_at__isnull=True,
            received_at__lt=before,
        ).order_by("received_at")
        for pk in unapplied.values_list("pk", flat=True)[:200]:
            _queue(notification_apply, pk, counts, now)
        # Queued e-mails the broker never got, and sends whose worker died holding the
        # claim. Those held for something (an invoice's PDF) wait for it, or its giving up.
        emails = TimelineEvent.objects.filter(_unheld(send_client_email))
        queued = emails.filter(
            notification_status=NotificationStatus.QUEUED, created_at__lt=before, awaiting=""
        )
        for pk in queued.values_list("pk", flat=True)[:200]:
            _queue(send_client_email, pk, counts, now)
        lost = emails.filter(
            notification_status=NotificationStatus.SENDING,
            notification_claimed_at__lt=now - CLAIM_LOST_AFTER,
        )
        for pk in lost.values_list("pk", flat=True)[:200]:
            _queue(send_client_email, pk, counts, now)
        # (Not awaiting="": the partial index on awaiting answers this.)
        held = emails.filter(
            notification_status=NotificationStatus.QUEUED, created_at__lt=before
        ).exclude(awaiting="")
        keys = held.values_list("awaiting", flat=True)[:200]
        awaited = {pk for pk in map(pdf_awaited, keys) if pk is not None}
        ready = [
            invoice.pk
            for invoice in Invoice.objects.filter(pk__in=awaited).only(
                "pk", "pdf", "pdf_version", "content_version", "pdf_error", "status"
            )
            if invoice.status != InvoiceStatus.VOID
            and (invoice.pdf_is_current or invoice.pdf_error)
        ]
        release(
            awaiting=[pdf_awaiting(pk) for pk in ready],
            among=held,
            queue=lambda task, pk: _queue(task, pk, counts, now),
        )
        if cloudpayments_configured():
            linkless = Invoice.objects.filter(
                _unheld(invoice_create_payment_link),
                status__in=UNPAID_STATUSES,
                payment_link_id="",
                payment_link_error="",
                issued_at__lt=before,
                expires_at__gt=now,
            )
            for pk in linkless.values_list("pk", flat=True)[:200]:
                _queue(invoice_create_payment_link, pk, counts, now)
    except _BrokerDown:
        logger.warning("sweep stopped: the broker cannot take work; the next sweep goes on")
    counts["reported"] = dead_letters_report()
    return counts
