"""Messages to the client: recorded in the timeline first, e-mailed after commit."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from core.texts import Msg
from notifications import tasks
from notifications.staff import notify_staff
from orders.models import EventKind, NotificationStatus, Order, TimelineEvent
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
    "message": _("Message sent to the client"),
}


def client_notify(
    *, order: Order, kind: str, actor: AbstractBaseUser | None = None, **data: object
) -> TimelineEvent:
    """Record a client notification and queue its e-mail once the transaction commits."""

    event = event_record(
        order=order,
        kind=EventKind.NOTIFICATION,
        actor=actor,
        text=Msg(CLIENT_MESSAGES[kind]),
        notification=kind,
        **data,
    )
    _queue(event, order)
    return event


def event_send_to_client(*, event: TimelineEvent, actor: AbstractBaseUser) -> TimelineEvent:
    """Send an existing timeline entry (a comment, "line made") to the client."""
    event.data = {**event.data, "notification": event.data.get("notification", "message")}
    event.save(update_fields=["data"])
    _queue(event, event.order)
    return event


def _queue(event: TimelineEvent, order: Order) -> None:
    customer = order.customer
    if customer.do_not_notify or not customer.email:
        event.notification_status = NotificationStatus.SKIPPED
        event.save(update_fields=["notification_status"])
        return
    event.notification_status = NotificationStatus.QUEUED
    event.save(update_fields=["notification_status"])
    if event.data.get("notification") == "invoice_issued":
        # It carries the PDF: invoices.tasks.invoice_render_pdf sends it once the file exists.
        return

    enqueue_after_commit(tasks.send_client_email, event.pk)


def build_client_email(event: TimelineEvent) -> EmailMultiAlternatives:
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
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        to=[customer.email],
        # Which timeline entry it carries: support (and the soak) tell a repeat from a new one.
        headers={"X-Conveyor-Event": str(event.pk)},
    )
    message.attach_alternative(html, "text/html")
    invoice = context.get("invoice")
    if kind == "invoice_issued" and invoice is not None and invoice.pdf:
        with invoice.pdf.open("rb") as pdf:
            message.attach(f"{invoice.number}.pdf", pdf.read(), "application/pdf")
    return message


def _extra_context(event: TimelineEvent) -> dict[str, object]:

    extra: dict[str, object] = {}
    if "invoice_id" in event.data:
        extra["invoice"] = event.order.invoices.filter(pk=event.data["invoice_id"]).first()
        extra["public_url"] = extra["invoice"].public_url if extra["invoice"] else None
        due_date = extra["invoice"].due_date if extra["invoice"] else None
        extra["overdue"] = due_date is not None and due_date < timezone.localdate()
    if "payment_id" in event.data:
        extra["payment"] = event.order.payments.filter(pk=event.data["payment_id"]).first()
        if extra["payment"] is not None and extra["payment"].amount < 0:
            extra["given_back"] = -extra["payment"].amount  # a refund is a negative entry
    order = event.order
    if order.carrier_id and order.tracking_number:
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


def release_claim(event_id: int) -> None:
    """The send failed and will be retried: back in the queue."""
    TimelineEvent.objects.filter(
        pk=event_id, notification_status=NotificationStatus.SENDING
    ).update(notification_status=NotificationStatus.QUEUED)


def mark_sent(event: TimelineEvent) -> None:
    TimelineEvent.objects.filter(pk=event.pk).update(
        notification_status=NotificationStatus.SENT, sent_to_client_at=timezone.now()
    )


def mark_failed(event_id: int, error: str) -> None:
    with transaction.atomic():
        event = TimelineEvent.objects.select_related("order__manager").get(pk=event_id)
        event.notification_status = NotificationStatus.FAILED
        event.data = {**event.data, "error": error[:500]}
        event.save(update_fields=["notification_status", "data"])
        notify_staff(
            user=event.order.manager,
            order=event.order,
            text=Msg(
                gettext_noop("Could not e-mail the client about order %(number)s"),
                number=event.order.number,
            ),
        )
