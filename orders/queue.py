"""The one way the app queues background work. Publishing never raises to the caller: a
change that was committed stays committed and answered as such, and every later hook of
its transaction still runs. What a failed publish leaves undone is recorded in the
database (the row's own status, or an orders.models.Work row), and the sweep
(invoices.tasks.sweep) queues it once the broker is back."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from celery import current_app
from django.db import transaction
from django.utils import timezone

from orders.models import NotificationStatus, TimelineEvent, Work
from orders.work import LEASE, work_due_now, work_record

logger = logging.getLogger(__name__)


def enqueue_after_commit(task, *args: object, record: bool = False) -> None:
    """Queue `task(*args)` once the transaction commits (at once outside one). `record`:
    the work has no row of its own that says it is pending, so a Work row is written in
    the same transaction as the change; the task deletes it when it has run."""
    if record:
        work_record(task.name, args)

    def send() -> None:
        if not publish(task, *args) and record:
            work_due_now(task.name, args)

    transaction.on_commit(send)


def publish(task, *args: object) -> bool:
    """Hand the task to the broker now; False (logged once) when it cannot take it."""
    try:
        task.delay(*args)
    except Exception as exc:
        logger.warning("could not queue %s%r (%r); the sweep will queue it", task.name, args, exc)
        return False
    return True


def publish_by_name(name: str, args: Sequence[object]) -> bool:
    """The sweep's and the admin's way to queue a task recorded by name."""
    try:
        task = current_app.tasks[name]
    except KeyError:
        logger.error("no task named %s; %r not queued", name, args)
        return False
    return publish(task, *args)


def work_retry(rows: Sequence[Work]) -> int:
    """An admin's "retry": attempts start again and the work is queued now (the sweep
    queues it if the broker cannot take it)."""
    count = 0
    for row in rows:
        with transaction.atomic():
            updated = Work.objects.filter(pk=row.pk).update(
                attempts=0,
                failed_at=None,
                reported_at=None,
                last_error="",
                next_attempt_at=timezone.now() + LEASE,
            )
            if not updated:
                continue
            if row.task == "orders.tasks.send_client_email":
                # A dead e-mail is shown as failed on the order; it is queued again.
                TimelineEvent.objects.filter(
                    pk=row.args[0], notification_status=NotificationStatus.FAILED
                ).update(notification_status=NotificationStatus.QUEUED)
        if not publish_by_name(row.task, row.args):
            Work.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        count += 1
    return count
