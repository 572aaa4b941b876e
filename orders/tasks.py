"""Background work of orders: thin adapters that take ids and call a service."""

from __future__ import annotations

import logging

from celery import shared_task

from orders.models import NotificationStatus, TimelineEvent
from orders.notify import build_client_email, mark_failed, mark_sent

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=30)
def send_client_email(self, event_id: int) -> None:
    """Idempotent: an event already sent (or skipped) is not sent again."""
    event = (
        TimelineEvent.objects.select_related("order__customer", "order__carrier")
        .filter(pk=event_id, notification_status=NotificationStatus.QUEUED)
        .first()
    )
    if event is None:
        return
    try:
        build_client_email(event).send()
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            mark_failed(event_id, repr(exc))
            return
        logger.warning("client e-mail for event %s failed, retrying: %r", event_id, exc)
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 3600)) from exc
    mark_sent(event)
