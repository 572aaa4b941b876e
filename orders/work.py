"""Background work the database keeps track of (orders.models.Work): retries scheduled from
the database instead of countdowns riding on the broker's visibility timeout, leases on
work the sweep re-queued, and dead letters after WORK_MAX_ATTEMPTS failures, which the
accountants hear about once (notifications/dead_letters.py, from the sweep) and an admin
can retry."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Sequence

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from orders.models import Work

logger = logging.getLogger(__name__)

# How long a re-queued task may wait in the broker before the sweep queues it again: more
# than a deep queue takes to drain, less than anyone would wait for a lost message.
LEASE = dt.timedelta(minutes=3)


def work_key(args: Sequence[object]) -> str:
    """One row per unit of work: a task's single id, or a digest of its arguments."""
    if len(args) == 1 and isinstance(args[0], int | str) and len(str(args[0])) <= 64:
        return str(args[0])
    return hashlib.sha256(json.dumps(list(args), default=str).encode()).hexdigest()


def work_done(task: str, args: Sequence[object]) -> None:
    """The task ran to the end (or found nothing left to do): no retry, no lease. A dead
    letter stays for people to see until someone retries it."""
    works_done(task, [args])


def works_done(task: str, each: Sequence[Sequence[object]]) -> None:
    """work_done for several units of one task (a batch), in one statement."""
    if not each:
        return
    # One DELETE statement: nothing points at a Work row, so Django's collector (and the
    # transaction it opens around it) has nothing to do; this runs after every task.
    keys = [work_key(args) for args in each]
    with connection.cursor() as cursor:
        table, key = (connection.ops.quote_name(n) for n in (Work._meta.db_table, "key"))
        cursor.execute(
            f"DELETE FROM {table} WHERE task = %s AND {key} IN"
            f" ({', '.join(['%s'] * len(keys))}) AND failed_at IS NULL",
            [task, *keys],
        )


def work_record(task: str, args: Sequence[object], *, due: dt.datetime | None = None) -> None:
    """Record work that no other row says is pending (the outbox), in the caller's
    transaction; the sweep queues it at `due` (a lease's end) unless it ran by then."""
    due = due or timezone.now() + LEASE
    # One INSERT … ON CONFLICT: the same work recorded again starts afresh.
    Work.objects.bulk_create(
        [Work(task=task, key=work_key(args), args=list(args), next_attempt_at=due)],
        update_conflicts=True,
        unique_fields=["task", "key"],
        update_fields=["args", "next_attempt_at", "attempts", "failed_at", "reported_at"],
    )


def work_due_now(task: str, args: Sequence[object]) -> None:
    """Its publish failed: the sweep may queue it as soon as the broker is back."""
    Work.objects.filter(task=task, key=work_key(args), failed_at__isnull=True).update(
        next_attempt_at=timezone.now()
    )


def work_hold(task: str, args: Sequence[object], *, now: dt.datetime | None = None) -> bool:
    """The sweep's claim on pending work that has no row yet: the row is the lease, so the
    work is queued once per lease however many sweeps run; False when someone holds it
    (a retry waiting for its time, a lease, a dead letter)."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            Work.objects.create(
                task=task, key=work_key(args), args=list(args), next_attempt_at=now + LEASE
            )
    except IntegrityError:
        return False
    return True


def work_due(*, now: dt.datetime, limit: int = 200) -> list[Work]:
    """Rows whose time has come: a retry, a lease that ran out."""
    due = Work.objects.filter(failed_at__isnull=True, next_attempt_at__lte=now)
    return list(due.order_by("next_attempt_at")[:limit])


def work_claim(row: Work, *, now: dt.datetime) -> bool:
    """Claim a due row with a conditional UPDATE that moves its time a lease ahead: of two
    sweeps only one queues it, and it is queued once per claim."""
    return bool(
        Work.objects.filter(
            pk=row.pk, failed_at__isnull=True, next_attempt_at=row.next_attempt_at
        ).update(next_attempt_at=now + LEASE)
    )


def work_release(row: Work) -> None:
    """The sweep could not queue a claimed row: due again at once."""
    Work.objects.filter(pk=row.pk, failed_at__isnull=True).update(next_attempt_at=timezone.now())


def work_failed(
    task: str,
    args: Sequence[object],
    exc: BaseException,
    *,
    first: int = 15,
    cap: int = 3600,
    give_up: Callable[[BaseException], object] | None = None,
    next_args: Sequence[object] | None = None,
) -> bool:
    """Count a failed attempt. Below WORK_MAX_ATTEMPTS the sweep queues it again after a
    backoff (`first` seconds, doubling, at most `cap`), read from next_attempt_at; at it the
    row becomes a dead letter: logged at ERROR, `give_up(exc)` records the failure where
    people see it, and the next sweep e-mails the accountants. `next_args`: what is left to
    do, when a retry should carry less than this run did. True when it gave up."""
    now = timezone.now()
    error = repr(exc)[:2000]
    with transaction.atomic():
        row, _ = Work.objects.select_for_update().get_or_create(
            task=task, key=work_key(args), defaults={"args": list(args)}
        )
        row.attempts += 1
        row.last_error = error
        if next_args is not None:
            row.args, row.key = list(next_args), work_key(next_args)
        dead = row.attempts >= settings.WORK_MAX_ATTEMPTS
        if dead:
            row.failed_at, row.next_attempt_at = now, None
        else:
            delay = min(first * 2 ** (row.attempts - 1), cap)
            row.next_attempt_at = now + dt.timedelta(seconds=delay)
        row.save()
        if dead:
            logger.error(
                "%s%r failed for good after %s attempts: %s", task, tuple(args), row.attempts, error
            )
            if give_up is not None:
                give_up(exc)
        else:
            assert row.next_attempt_at is not None  # set above when not dead
            logger.warning(
                "%s%r failed (attempt %s), next at %s: %s",
                task,
                tuple(args),
                row.attempts,
                row.next_attempt_at.isoformat(timespec="seconds"),
                error,
            )
    return dead
