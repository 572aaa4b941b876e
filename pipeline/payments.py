"""Money in: a payment recorded by invoices sets off the pipeline's PAYMENT_RECEIVED (the
client's receipt, the manager told, the stage move). Card payments arrive as CloudPayments
notifications: stored and answered at once, applied by a worker, their effects run once
from an outbox row."""

from __future__ import annotations

from functools import partial

from django.contrib.auth.models import User
from django.db import transaction

from invoices.cloudpayments import CloudPaymentsAPI
from invoices.models import Payment, ProviderEvent
from invoices.payments import payment_record
from invoices.reconcile import payments_reconcile as reconcile
from invoices.webhook_input import BadNotification, Notification, parse
from invoices.webhooks import event_finish, notification_process
from orders.models import Order
from orders.queue import enqueue_after_commit, publish
from orders.services.common import lock_order
from pipeline import tasks
from pipeline.flow import Context, Event, handle


def payment_received(*, order: Order, payment: Payment, actor: User | None) -> None:
    """What a recorded payment sets off (flow's PAYMENT_RECEIVED). Caller holds the lock."""
    handle(
        Event.PAYMENT_RECEIVED,
        Context(order, actor, {"payment": payment, "payment_id": payment.pk}),
    )


# Money received against an invoice, and what it sets off (payment_received, run under the
# same lock); returns (payment, created), and the same (source, external_id) again changes
# nothing. It takes invoices.payments.payment_record's fields.
payment_register = partial(payment_record, effects=payment_received)


def payment_followup(*, event_id: int) -> bool:
    """Run the deferred effects of a payment notification once: the outbox row is locked
    and cleared in the same transaction as the effects, so a worker that dies half way
    leaves it pending and a second run finds nothing to do."""
    with transaction.atomic():
        event = (
            ProviderEvent.objects.select_for_update()
            .filter(pk=event_id, followup_pending=True)
            .first()
        )
        if event is None or event.payment_id is None:
            return False
        assert event.order_id is not None  # a payment's notification names its order
        order = lock_order(event.order_id)
        payment = event.payment
        assert payment is not None  # payment_id is set
        payment_received(order=order, payment=payment, actor=None)
        event.followup_pending = False
        event.save(update_fields=["followup_pending"])
    return True


def payments_reconcile(*, api: CloudPaymentsAPI | None = None) -> dict[str, int]:
    """Book what CloudPayments has and no notification brought, with its effects."""
    return reconcile(api=api, effects=payment_received)


def notification_handle(event: ProviderEvent, note: Notification) -> int:
    """Process and record the outcome in one transaction. Nothing here waits for the
    broker: the follow-up is queued after commit, and the sweep re-queues it if the
    broker was down."""
    with transaction.atomic():
        code, outcome = notification_process(event, note)
        if event.followup_pending:
            enqueue_after_commit(tasks.payment_followup, event.pk)
        event_finish(
            event,
            code=code,
            outcome=outcome,
            transaction_id=note.transaction_id[:64],
            invoice_number=note.invoice_number[:64],
        )
    return code


def notification_apply_stored(*, event_id: int) -> int | None:
    """Apply a stored notification that has not been applied yet (the queued path)."""
    with transaction.atomic():
        event = (
            ProviderEvent.objects.select_for_update()
            .filter(pk=event_id, signature_ok=True, processed_at__isnull=True)
            .first()
        )
        if event is None:
            return None
        try:
            note = parse(event.body.encode("utf-8"), event.content_type)
        except BadNotification as exc:
            event_finish(event, code=-1, outcome=f"unreadable: {exc}")
            return None
        return notification_handle(event, note)


def notification_queue(event: ProviderEvent) -> bool:
    """Queue a stored notification for a worker; False when the broker cannot take it.
    The event row is already committed (stored in autocommit before anything else)."""
    # The broker is down: the caller applies it in the request.
    return publish(tasks.notification_apply, event.pk)
