"""The production schedule over 10,000 and 100,000 open operations at 20 work centres,
measured side by side in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/conveyor .venv/bin/python bench/schedule.py

Creates its own database (<name>_bench_schedule), bulk-inserts the orders, their lines and
their operations (2 to 4 a line, on work centres of 8, 16 or 24 hours a day), runs the
schedule and drops the database. Both sizes fill the same stretch of about 60 working
days (a bigger shop does more, shorter operations in the same weeks), and their orders'
promises are spread over it the same way, so about the same share is at risk.

Per size it times:
  * the scheduler: production.schedule.schedule on the loaded input, pure computing, the
    best of REPEATS runs, the sizes taking turns: its CPU time (what it costs itself,
    whatever else the machine runs; the targets are checked on it) and its wall-clock
    time beside it;
  * the whole run: production.planning.schedule_run, reading the input, planning and
    writing every operation's planned start and finish, the load, the orders' ready
    moments and at-risk announcements (first run: everything is new), and the same run
    again a minute later, when little moved.
Targets: the scheduler's 100k / 10k ratio at most 12 and its 10k run under a second.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scratch import scratch_database

SIZES = [10_000, 100_000]
REPEATS = 9
CENTRES = 20
HORIZON_WORKING_DAYS = 60
LOAD = 0.85  # of the centres' capacity over the horizon
NOW = dt.datetime(2026, 12, 7, 6, 0, tzinfo=dt.UTC)  # a Monday, 9:00 in Moscow


def main() -> None:
    with scratch_database(
        "bench_schedule",
        REDIS_URL="",
        DEBUG="1",
        # The at-risk e-mails are queued (in memory here), not sent inside the timing.
        CELERY_TASK_ALWAYS_EAGER="0",
        LOG_LEVEL="WARNING",
    ):
        sys.exit(run())


def seed_shop(rnd: random.Random):
    """Twenty work centres, forty products with routings over them, a manager, the head of
    production and one customer."""
    from decimal import Decimal

    from django.contrib.auth.models import Group, User

    from orders import roles
    from orders.models import Customer
    from production.models import Operation, Product, WorkCentre

    centres = WorkCentre.objects.bulk_create(
        WorkCentre(name=f"Centre {n:02d}", hours_per_day=Decimal(rnd.choice([8, 16, 24])))
        for n in range(CENTRES)
    )
    products = []
    for n in range(40):
        product = Product.objects.create(sku=f"P-{n}", name=f"Product {n}", price=Decimal(100))
        for position in range(1, rnd.randint(2, 4) + 1):
            Operation.objects.create(
                product=product,
                position=position,
                name=f"Step {position}",
                work_centre=rnd.choice(centres),
                minutes_per_unit=Decimal(1),
            )
        products.append(product)
    manager = User.objects.create(username="manager", email="manager@example.com")
    manager.groups.add(Group.objects.get(name=roles.SALES_MANAGERS))
    head = User.objects.create(username="head", email="head@example.com")
    head.groups.add(Group.objects.get(name=roles.HEAD_OF_PRODUCTION))
    customer = Customer.objects.create(name="Bench", email="bench@example.com")
    return centres, products, manager, customer


def add_operations(count: int, first: int, *, rnd: random.Random, shop) -> None:
    """`count` unfinished operations: orders of 1 to 3 lines, each line its product's
    routing (the first operation open, the rest waiting); minutes sized so the shop's
    capacity over HORIZON_WORKING_DAYS is LOAD-full."""
    from decimal import Decimal

    from orders.models import (
        DeliveryMethod,
        Department,
        Order,
        OrderLine,
        Stage,
        Task,
        TaskKind,
        TaskStatus,
    )

    centres, products, manager, customer = shop
    routings = {product.pk: list(product.operations.all()) for product in products}
    today = NOW.date()
    plans: list[list[tuple[int, list]]] = []  # per order: (product, routing) per line
    made = 0
    while made < count:
        lines = []
        for _ in range(rnd.randint(1, 3)):
            product = rnd.choice(products)
            lines.append((product, routings[product.pk]))
            made += len(routings[product.pk])
        plans.append(lines)
    orders = Order.objects.bulk_create(
        [
            Order(
                number=f"S-{first + n:07d}",
                customer=customer,
                manager=manager,
                source="admin",
                stage=Stage.PRODUCTION,
                stage_changed_at=NOW - dt.timedelta(minutes=first + n),
                delivery_method=rnd.choice([DeliveryMethod.PICKUP, DeliveryMethod.COURIER]),
                # Promised over the horizon and a little past it: some will be late.
                promised_date=today + dt.timedelta(days=rnd.randint(3, 100)),
                priority=1 if rnd.random() < 0.05 else 0,
            )
            for n in range(len(plans))
        ],
        batch_size=5000,
    )
    lines = OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                position=position,
                product=product,
                sku=product.sku,
                name=product.name,
                price=Decimal(100),
                quantity=Decimal(1),
            )
            for order, plan in zip(orders, plans, strict=True)
            for position, (product, _routing) in enumerate(plan)
        ],
        batch_size=5000,
    )
    tasks = []
    line_routings = [routing for plan in plans for _product, routing in plan]
    # Each centre gets LOAD of its own capacity over the horizon, whatever its share of
    # the operations: no centre is the whole shop's bottleneck by the draw of routings.
    at_centre: dict[int, int] = {}
    for routing in line_routings:
        for operation in routing:
            at_centre[operation.work_centre_id] = at_centre.get(operation.work_centre_id, 0) + 1
    mean_minutes = {
        centre.pk: float(centre.hours_per_day)
        * HORIZON_WORKING_DAYS
        * LOAD
        * 60
        / at_centre[centre.pk]
        for centre in centres
        if centre.pk in at_centre
    }
    for line, routing in zip(lines, line_routings, strict=True):
        for operation in routing:
            first_step = operation.position == 1
            tasks.append(
                Task(
                    order_id=line.order_id,
                    line=line,
                    kind=TaskKind.PRODUCE_LINE,
                    title=f"{operation.name}: {line.name}",
                    department=Department.PRODUCTION,
                    status=TaskStatus.OPEN if first_step else TaskStatus.WAITING,
                    due_at=NOW + dt.timedelta(days=30),
                    created_at=NOW - dt.timedelta(days=1),
                    operation=operation,
                    work_centre_id=operation.work_centre_id,
                    step=operation.position,
                    planned_minutes=max(
                        1, round(rnd.expovariate(1 / mean_minutes[operation.work_centre_id]))
                    ),
                )
            )
    Task.objects.bulk_create(tasks, batch_size=5000)


def reset() -> None:
    """Nothing planned yet, nobody told: the next run has all its writing to do."""
    from django.db import connection

    from orders.models import Notification, Order, Task, TimelineEvent, Work
    from production.models import WorkCentreLoad

    Task.objects.update(planned_start=None, planned_finish=None)
    Order.objects.update(planned_ready_at=None, at_risk_since=None, at_risk_reason={})
    WorkCentreLoad.objects.all().delete()
    Notification.objects.all().delete()
    TimelineEvent.objects.all().delete()
    Work.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def time_schedulers(loaded: dict) -> dict[int, tuple[float, float, int, int]]:
    """The best wall time and CPU time of the scheduler on each size's loaded input, the
    sizes taking turns (so a busy spell of the machine falls on both alike); operations
    and late orders of each plan."""
    from production.planning import _plan

    walls: dict[int, list[float]] = {size: [] for size in loaded}
    cpus: dict[int, list[float]] = {size: [] for size in loaded}
    plans = {}
    for _ in range(REPEATS):
        for size, inputs in loaded.items():
            wall, cpu = time.perf_counter(), time.process_time()
            plans[size] = _plan(inputs)
            walls[size].append(time.perf_counter() - wall)
            cpus[size].append(time.process_time() - cpu)
    return {
        size: (
            min(walls[size]),
            min(cpus[size]),
            len(plan.ops),
            sum(1 for made in plan.orders.values() if made.late_hours > 0),
        )
        for size, plan in plans.items()
    }


def time_run(now: dt.datetime):
    from production.planning import schedule_run

    started = time.perf_counter()
    result = schedule_run(now=now)
    return time.perf_counter() - started, result


def run() -> int:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    rnd = random.Random(15)
    from production.schedule_inputs import inputs_load

    shop = seed_shop(rnd)
    loaded, runs = {}, {}
    for index, size in enumerate(SIZES):
        if index:  # a fresh shop per size: the same horizon, shorter operations
            from orders.models import Order

            Order.objects.all().delete()
        print(f"{size:,}: seeding", file=sys.stderr, flush=True)
        add_operations(size, index * 1_000_000, rnd=rnd, shop=shop)
        reset()
        loaded[size] = inputs_load(now=NOW)  # the scheduler's input, timed below
        print(f"{size:,}: the whole run, twice", file=sys.stderr, flush=True)
        first = time_run(NOW)
        again = time_run(NOW + dt.timedelta(minutes=1))
        runs[size] = (first, again)
    print("the scheduler on both, in turns", file=sys.stderr, flush=True)
    schedulers = time_schedulers(loaded)
    results = {size: (schedulers[size], *runs[size]) for size in SIZES}

    small, large = SIZES
    print(f"production schedule, {CENTRES} work centres (PostgreSQL {connection.pg_version})")
    print(
        f"{'operations':>11} {'scheduler':>10} {'(cpu)':>9} {'late':>7} "
        f"{'whole run':>10} {'written':>8} {'announced':>9} {'run again':>10} {'written':>8}"
    )
    for size in SIZES:
        (wall, cpu, ops, late), (first, done), (again, redone) = results[size]
        print(
            f"{ops:>11,} {wall * 1000:>8.0f}ms {cpu * 1000:>7.0f}ms {late:>7,} "
            f"{first:>9.2f}s {done.changed:>8,} {done.announced:>9,} "
            f"{again:>9.2f}s {redone.changed:>8,}"
        )
    ratio = results[large][0][1] / results[small][0][1]
    wall_ratio = results[large][0][0] / results[small][0][0]
    run_ratio = results[large][1][0] / results[small][1][0]
    small_cpu, small_wall = results[small][0][1], results[small][0][0]
    print(
        f"ratio {large:,} / {small:,}: scheduler {ratio:.2f} CPU (target <= 12), "
        f"{wall_ratio:.2f} wall; whole run {run_ratio:.2f}"
    )
    print(
        f"{small:,} scheduled in {small_cpu * 1000:.0f} ms CPU, {small_wall * 1000:.0f} ms wall "
        "(target < 1000)"
    )
    failed = []
    if ratio > 12:
        failed.append("the scheduler grows faster than linearly")
    if max(small_cpu, small_wall) >= 1:
        failed.append(f"{small:,} operations take a second or more")
    for reason in failed:
        print("FAILED:", reason)
    return 1 if failed else 0


if __name__ == "__main__":
    main()
