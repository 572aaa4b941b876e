"""Deadline control over 10,000 and 100,000 open tasks, measured side by side in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/conveyor .venv/bin/python bench/deadlines.py

Creates its own database (<name>_bench_deadlines), bulk-inserts the rows, runs the job and
drops the database. Per size it times:
  * a busy pass: 1 % of the open tasks enter the reminder window and 1 % are overdue, so
    the pass claims and writes notifications for 2 % of the tasks (work grows with N);
  * an idle pass: the job run again a minute later with nothing left to claim, which is
    what it costs every minute; the partial index on open tasks' due_at keeps it small.
Target: the 100k / 10k ratio of the busy pass at most 12 (linear or better).
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scratch import scratch_database

SIZES = [10_000, 100_000]
REPEATS = 3
TASKS_PER_ORDER = 10


def main() -> None:
    with scratch_database(
        "bench_deadlines",
        REDIS_URL="",
        DEBUG="1",
        # The staff e-mails are queued (in memory here), not sent inside the timing.
        CELERY_TASK_ALWAYS_EAGER="0",
        LOG_LEVEL="WARNING",
    ):
        run()


NOW = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)  # a Wednesday morning in Moscow


def deadlines_job():
    """The deadline job of whichever tree is on the path (bench/compare.py runs an earlier
    one, where it lived in orders)."""
    try:
        from notifications.deadlines import deadlines_run
    except ImportError:
        from orders.deadlines import deadlines_run  # type: ignore[import-not-found,no-redef]
    return deadlines_run


def seed_people():
    """Twenty production workers, their head and one customer."""
    from django.contrib.auth.models import Group, User

    from orders import roles
    from orders.models import Customer

    workers = []
    for number in range(20):
        user = User.objects.create(username=f"worker{number}", email=f"w{number}@example.com")
        user.groups.add(Group.objects.get(name=roles.PRODUCTION))
        workers.append(user)
    head = User.objects.create(username="head", email="head@example.com")
    head.groups.add(Group.objects.get(name=roles.HEAD_OF_PRODUCTION))
    customer = Customer.objects.create(name="Bench", email="bench@example.com")
    return workers, customer


def add_tasks(first: int, count: int, *, workers, customer, now: dt.datetime = NOW) -> None:
    """`count` open production tasks: 1 % entering the reminder window, 1 % overdue."""
    from orders.models import Department, Order, Stage, Task, TaskKind

    orders = Order.objects.bulk_create(
        [
            Order(
                number=f"B-{first // TASKS_PER_ORDER + n:07d}",
                customer=customer,
                source="admin",
                stage=Stage.PRODUCTION,
                stage_changed_at=now,
            )
            for n in range(count // TASKS_PER_ORDER)
        ],
        batch_size=5000,
    )
    tasks = []
    for n in range(count):
        index = first + n
        if index % 100 == 0:
            due = now + dt.timedelta(minutes=30 + index % 60)  # enters the reminder window
        elif index % 100 == 1:
            due = now - dt.timedelta(minutes=5 + index % 600)  # overdue
        else:
            due = now + dt.timedelta(days=1 + index % 60, minutes=index % 500)
        tasks.append(
            Task(
                order=orders[n // TASKS_PER_ORDER],
                kind=TaskKind.PRODUCE_LINE,
                title=f"Make item {index}",
                department=Department.PRODUCTION,
                assignee=workers[index % len(workers)],
                due_at=due,
                created_at=now - dt.timedelta(days=3),
            )
        )
    Task.objects.bulk_create(tasks, batch_size=5000)


def reset() -> None:
    """Nothing reminded or escalated yet: the next pass has its work to do again."""
    from django.db import connection

    from orders.models import Notification, Order, Task, TimelineEvent

    Task.objects.update(reminded_at=None, overdue_notified_at=None)
    Order.objects.update(stage_escalated_at=None)
    Notification.objects.all().delete()
    TimelineEvent.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def timed(moment: dt.datetime):
    started = time.perf_counter()
    report = deadlines_job()(now=moment)
    return time.perf_counter() - started, report


def run() -> None:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    now = NOW
    workers, customer = seed_people()

    results = {}
    total = 0
    for size in SIZES:
        add_tasks(total, size - total, workers=workers, customer=customer)
        total = size
        busy, idle, report = [], [], None
        for _ in range(REPEATS):
            reset()
            seconds, report = timed(now)
            busy.append(seconds)
            idle.append(timed(now + dt.timedelta(minutes=1))[0])
        results[size] = (statistics.median(busy), statistics.median(idle), report)

    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT id FROM orders_task WHERE status IN ('open', 'in_progress') "
            "AND reminded_at IS NULL AND due_at > %s AND due_at <= %s",
            [now, now + dt.timedelta(hours=2)],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())

    small, large = SIZES
    print(f"deadline job, median of {REPEATS} runs (PostgreSQL {connection.pg_version})")
    print(f"{'open tasks':>12} {'busy pass':>12} {'claimed':>9} {'notes':>7} {'idle pass':>11}")
    for size in SIZES:
        busy, idle, report = results[size]
        claimed = len(report.reminded) + len(report.overdue)
        print(
            f"{size:>12,} {busy * 1000:>10.1f}ms {claimed:>9,} "
            f"{len(report.notifications):>7,} {idle * 1000:>9.1f}ms"
        )
    busy_ratio = results[large][0] / results[small][0]
    idle_ratio = results[large][1] / results[small][1]
    print(
        f"ratio {large:,} / {small:,}: busy {busy_ratio:.2f} (target <= 12), idle {idle_ratio:.2f}"
    )
    print("uses the partial index on open tasks' due_at:", "task_open_due_idx" in plan)
    print(plan)
    if busy_ratio > 12:
        sys.exit("busy pass grows faster than linearly")


if __name__ == "__main__":
    main()
