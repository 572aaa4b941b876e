"""Background work of notifications: thin adapters that take ids and call a service. A failure is
counted in orders.models.Work and retried by the sweep at the time written there (never
a countdown held by the broker); after WORK_MAX_ATTEMPTS it is a dead letter."""

from __future__ import annotations

from functools import partial

from celery import shared_task

from notifications import channels, client, deadlines, staff
from orders.models import Notification, TimelineEvent
from orders.work import work_done, work_failed, works_done

# Client e-mails one run sends over one SMTP session: its own and others already queued.
EMAIL_BATCH = 20


@shared_task(bind=True, acks_late=True, name=client.SEND_TASK)
def send_client_email(self, event_id: int) -> None:
    """Send the event's e-mail and, over the same SMTP session, up to EMAIL_BATCH - 1 more
    client e-mails queued meanwhile (their own runs then find nothing to do). Idempotent:
    each event is claimed before it is sent, so two deliveries of this task (or two tasks
    queued for one event) send one e-mail; sent or skipped is not sent again."""
    claimed = client.claim_batch(event_id, limit=EMAIL_BATCH)
    if event_id not in claimed:
        work_done(self.name, [event_id])
    events = TimelineEvent.objects.select_related("order__customer", "order__carrier").filter(
        pk__in=claimed
    )
    sent = []
    with channels.Session() as session:
        for event in sorted(events, key=lambda e: (e.created_at, e.pk)):
            try:
                letter = client.client_letter(event)
                for channel in channels.reaching(event.order.customer):
                    channel.send(letter, session=session)
            except Exception as exc:
                session.drop()
                # Counted before the claim is given back, so the sweep never sees it queued
                # without its next attempt written down.
                work_failed(
                    self.name,
                    [event.pk],
                    exc,
                    first=60,
                    give_up=partial(_mark_failed, event.pk),
                )
                client.release_claim(event.pk)
                continue
            sent.append(event)
    if sent:
        client.mark_sent(sent)
        works_done(self.name, [[event.pk] for event in sent])


def _mark_failed(event_id: int, exc: BaseException) -> None:
    client.mark_failed(event_id, repr(exc))


@shared_task(acks_late=True, name="orders.tasks.deadlines_check")
def deadlines_check() -> dict[str, int]:
    """The beat job of deadline control; safe to run from several beat processes."""
    return deadlines.deadlines_run().as_dict()


@shared_task(bind=True, acks_late=True, name="orders.tasks.send_staff_notifications")
def send_staff_notifications(self, notification_ids: list[int]) -> None:
    """Copies of bell notifications through the channels that reach each person. A retry
    carries only the ids not sent yet, so nobody gets the same message twice."""
    notifications = [
        notification
        for notification in Notification.objects.filter(pk__in=notification_ids)
        .select_related("user__profile")
        .order_by("id")
        if channels.reaching(notification.user)
    ]
    with channels.Session() as session:
        for position, notification in enumerate(notifications):
            try:
                letter = staff.staff_letter(notification)
                for channel in channels.reaching(notification.user):
                    channel.send(letter, session=session)
            except Exception as exc:
                remaining = [n.pk for n in notifications[position:]]
                work_failed(self.name, [notification_ids], exc, first=60, next_args=[remaining])
                return
    work_done(self.name, [notification_ids])
