"""Messages to the client: recorded in the timeline first, sent after commit through the
channels that reach the client. A message that waits for something (an invoice's PDF)
names it in `awaiting` and is held until `release(awaiting=...)`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from core.texts import Msg
from notifications import staff, tasks
from notifications.channels import Letter, reaching
from orders.models import EventKind, NotificationStatus, Order, TimelineEvent, Work
from orders.queue import enqueue_after_commit
from orders.services.common import event_record

# kind → the line written into the timeline (the e-mail itself comes from templates/emails/).
CLIENT_MESSAGES = {
    "invoice_issued": _("Invoice sent to the client"),
    "invoice_reminder": _("Payment reminder sent to the client"),
    "payment_received": _("Payment receipt sent to the client"),
    "refund_made": _("Refund notice sent to the client"),
    "production_finished": _("Client told that production is finished"),
    "delivery_details": _("Delivery details sent to the client"),
    "shipped": _("Client told that the order is shipped"),
    "picked_up": _("Client thanked for picking the order up"),
    "closing_documents": _("Closing documents sent to the client"),
    "message": _("Message sent to the client"),
    "promise_moved": _("Client told the new promised date"),
}


def tell_client(
    *,
    order: Order,
    kind: str,
    actor: User | None = None,
    awaiting: str = "",
    **data: Any,
) -> TimelineEvent:
    """Record a client message of `kind` (templates/emails/<kind>.*) in the timeline and
    send it once the transaction commits; `data` is what it shows (an invoice_id, a
    payment_id). `awaiting` ("invoice-pdf:42"): hold it until release(awaiting=...)."""

    event = event_record(
        order=order,
        kind=EventKind.NOTIFICATION,
        actor=actor,
        text=Msg(CLIENT_MESSAGES[kind]),
        notification=kind,
        **data,
    )
    event.awaiting = awaiting
    _queue(event, order)
    return event


# The earlier name, kept for the callers in other apps until they move to tell_client.
def event_send_to_client(*, event: TimelineEvent, actor: User) -> TimelineEvent:
    """Send an existing timeline entry (a comment, "line made") to the client."""
    event.data = {**event.data, "notification": event.data.get("notification", "message")}
    event.save(update_fields=["data"])
    _queue(event, event.order)
    return event


def _queue(event: TimelineEvent, order: Order) -> None:
    # One UPDATE, with `awaiting` written beside the status (no query of its own).
    if order.customer.do_not_notify or not reaching(order.customer):
        event.notification_status = NotificationStatus.SKIPPED
        event.save(update_fields=["notification_status", "awaiting"])
        return
    event.notification_status = NotificationStatus.QUEUED
    event.save(update_fields=["notification_status", "awaiting"])
    if event.awaiting:
        return  # held: release(awaiting=...) sends it
    enqueue_after_commit(tasks.send_client_email, event.pk)


def held(awaiting: str | Collection[str]) -> QuerySet[TimelineEvent]:
    """Client messages queued and still held for `awaiting` (the partial index on it)."""
    keys = [awaiting] if isinstance(awaiting, str) else list(awaiting)
    return TimelineEvent.objects.filter(
        notification_status=NotificationStatus.QUEUED, awaiting__in=keys
    ).exclude(awaiting="")


def release(
    *,
    awaiting: str | Collection[str],
    among: QuerySet[TimelineEvent] | None = None,
    queue: Callable[..., object] = enqueue_after_commit,
) -> int:
    """What they waited for is there (or will never be): send the messages held for
    `awaiting`, each through `queue(task, event_id)` (after commit; the sweep passes its
    own claim, and `among` to keep to the rows it may take). How many were queued. The
    send task claims each message, so a second release sends nothing twice."""
    if not awaiting:
        return 0
    events = held(awaiting)
    if among is not None:
        events = events & among
    count = 0
    for event_id in events.values_list("pk", flat=True):
        queue(tasks.send_client_email, event_id)
        count += 1
    return count


def client_letter(event: TimelineEvent) -> Letter:
    """The message, written in the client's language."""
    order = event.order
    customer = order.customer
    kind = event.data.get("notification", "message")
    with translation.override(customer.language):
        context = {
            "order": order,
            "customer": customer,
            "event": event,
            "site_url": settings.SITE_URL,
            **_extra_context(event),
        }
        subject = render_to_string(f"emails/{kind}_subject.txt", context).strip()
        text = render_to_string(f"emails/{kind}.txt", context)
        html = render_to_string(f"emails/{kind}.html", context)
    letter = Letter(
        to=[customer],
        subject=" ".join(subject.split()),
        text=text,
        html=html,
        # Which timeline entry it carries: support (and the soak) tell a repeat from a new one.
        headers={"X-Conveyor-Event": str(event.pk)},
    )
    invoice = context.get("invoice")
    if kind == "invoice_issued" and invoice is not None and invoice.pdf:
        with invoice.pdf.open("rb") as pdf:
            letter.attachments.append((f"{invoice.number}.pdf", pdf.read(), "application/pdf"))
    for document in context.get("documents", []):
        if document.pdf:
            with document.pdf.open("rb") as pdf:
                letter.attachments.append((document.file_name, pdf.read(), "application/pdf"))
    return letter


def _extra_context(event: TimelineEvent) -> dict[str, Any]:

    extra: dict[str, Any] = {}
    if "invoice_id" in event.data:
        extra["invoice"] = event.order.invoices.filter(pk=event.data["invoice_id"]).first()
        extra["public_url"] = extra["invoice"].public_url if extra["invoice"] else None
        due_date = extra["invoice"].due_date if extra["invoice"] else None
        extra["overdue"] = due_date is not None and due_date < timezone.localdate()
    if "payment_id" in event.data:
        extra["payment"] = event.order.payments.filter(pk=event.data["payment_id"]).first()
        if extra["payment"] is not None and extra["payment"].amount < 0:
            extra["given_back"] = -extra["payment"].amount  # a refund is a negative entry
    if "document_ids" in event.data:
        # The order's closing documents (documents.ClosingDocument), read by relation.
        extra["documents"] = list(
            event.order.closing_documents.filter(pk__in=event.data["document_ids"])
        )
    order = event.order
    if order.tracking_number and order.carrier is not None:
        extra["tracking_url"] = order.carrier.tracking_link(order.tracking_number)
    return extra


# Longer than a task may run (the hard time limit kills it, SMTP timeout and all): a claim
# this old belongs to a worker that is gone.
CLAIM_LOST_AFTER = dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 30)


def claim_for_sending(event_id: int) -> bool:
    """Take a queued client e-mail for sending, in one conditional UPDATE: of two workers
    holding the same event only one gets it. A claim left by a worker that died while
    sending is taken again once it is older than CLAIM_LOST_AFTER."""
    now = timezone.now()
    return bool(
        TimelineEvent.objects.filter(pk=event_id)
        .filter(
            Q(notification_status=NotificationStatus.QUEUED)
            | Q(
                notification_status=NotificationStatus.SENDING,
                notification_claimed_at__lt=now - CLAIM_LOST_AFTER,
            )
        )
        .update(notification_status=NotificationStatus.SENDING, notification_claimed_at=now)
    )


# The send task's name (notifications.tasks.send_client_email), as its Work rows name it.
SEND_TASK = "orders.tasks.send_client_email"


def claim_batch(event_id: int, *, limit: int) -> list[int]:
    """Claim the event (as claim_for_sending) and up to `limit - 1` more client e-mails
    queued and held for nothing, oldest first, to go out over one connection; the ids
    claimed, the event's first when it was claimable. Their own tasks, queued or still to
    come, then find them claimed and send nothing twice. Rows another sender is claiming
    at this moment are skipped, never waited for."""
    claimed = [event_id] if claim_for_sending(event_id) else []
    if limit <= 1:
        return claimed
    # Not one waiting for its retry (a Work row): it goes when that is due, not sooner.
    retrying = Work.objects.filter(
        task=SEND_TASK, key=Cast(OuterRef("pk"), output_field=CharField())
    )
    with transaction.atomic():
        more = list(
            TimelineEvent.objects.select_for_update(skip_locked=True)
            .filter(notification_status=NotificationStatus.QUEUED, awaiting="")
            .exclude(Exists(retrying))
            .order_by("created_at")
            .values_list("pk", flat=True)[: limit - 1]
        )
        if more:
            TimelineEvent.objects.filter(
                pk__in=more, notification_status=NotificationStatus.QUEUED
            ).update(
                notification_status=NotificationStatus.SENDING,
                notification_claimed_at=timezone.now(),
            )
    return claimed + more


def release_claim(event_id: int) -> None:
    """The send failed and will be retried: back in the queue."""
    TimelineEvent.objects.filter(
        pk=event_id, notification_status=NotificationStatus.SENDING
    ).update(notification_status=NotificationStatus.QUEUED)


def mark_sent(events: Collection[TimelineEvent]) -> None:
    """Sent: one UPDATE for a batch."""
    TimelineEvent.objects.filter(pk__in=[e.pk for e in events]).update(
        notification_status=NotificationStatus.SENT, sent_to_client_at=timezone.now()
    )


def mark_failed(event_id: int, error: str) -> None:
    with transaction.atomic():
        event = TimelineEvent.objects.select_related("order__manager").get(pk=event_id)
        event.notification_status = NotificationStatus.FAILED
        event.data = {**event.data, "error": error[:500]}
        event.save(update_fields=["notification_status", "data"])
        staff.tell_staff(
            to=event.order.manager,
            order=event.order,
            text=Msg(
                gettext_noop("Could not e-mail the client about order %(number)s"),
                number=event.order.number,
            ),
        )
