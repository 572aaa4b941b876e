"""Background work of orders: thin adapters that take ids and call a service."""

from __future__ import annotations

import logging

from celery import shared_task

from config.celery import retry_or_give_up
from orders.models import Notification, TimelineEvent
from orders.notify import (
    build_client_email,
    claim_for_sending,
    mark_failed,
    mark_sent,
    release_claim,
)

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=30)
def send_client_email(self, event_id: int) -> None:
    """Idempotent: the event is claimed before it is sent, so two deliveries of this task
    (or two tasks queued for one event) send one e-mail; sent or skipped is not sent again."""
    if not claim_for_sending(event_id):
        return
    event = TimelineEvent.objects.select_related("order__customer", "order__carrier").get(
        pk=event_id
    )
    try:
        build_client_email(event).send()
    except Exception as exc:
        if self.request.retries < self.max_retries:
            release_claim(event_id)
        retry_or_give_up(
            self,
            exc,
            f"client e-mail for event {event_id}",
            first=30,
            cap=3600,
            give_up=lambda exc: mark_failed(event_id, repr(exc)),
        )
        return
    mark_sent(event)


@shared_task(acks_late=True)
def deadlines_check() -> dict[str, int]:
    """The beat job of deadline control; safe to run from several beat processes."""
    from orders.deadlines import deadlines_run

    return deadlines_run().as_dict()


@shared_task(bind=True, acks_late=True, max_retries=5)
def send_staff_notifications(self, notification_ids: list[int]) -> None:
    """E-mail copies of bell notifications. A retry carries only the ids not sent yet,
    so nobody gets the same message twice."""
    from orders.notify import build_staff_email

    notifications = list(
        Notification.objects.filter(pk__in=notification_ids)
        .exclude(user__email="")
        .select_related("user__profile")
        .order_by("id")
    )
    for position, notification in enumerate(notifications):
        try:
            build_staff_email(notification).send()
        except Exception as exc:
            remaining = [n.pk for n in notifications[position:]]
            if self.request.retries >= self.max_retries:
                logger.error("staff e-mails %s failed for good: %r", remaining, exc)
                return
            logger.warning("staff e-mails %s failed, retrying: %r", remaining, exc)
            raise self.retry(
                args=[remaining], exc=exc, countdown=min(30 * 2**self.request.retries, 3600)
            ) from exc
