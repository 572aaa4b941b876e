"""Does the board stay fast as the company grows?

Creates two PostgreSQL databases (dropped at the end), a company with 1,000 orders and one
with 100,000, both spread over the stages and ~20 managers, and measures in one run, side by
side, alternating request by request between the two:

- the board's server time (median and p95 over repeated requests) for one manager and for
  "all managers", at 1,000 and at 100,000 orders;
- Django admin's order list at the same sizes;
- the board searched by a client's name and by phone digits (every manager's orders);
- a column's "more" right after the first page and deep in (cursor after the 50,000th
  newest order);
- the default board's HTML size and element count.

Rows are bulk-inserted (the services would take hours for 100k orders) but are what the
services produce: customers, lines with costs, tasks, timeline events, invoices and
payments, with the denormalised money on the order. The board counters are kept by the
same database trigger as in production, row by row, during the inserts.

    .venv/bin/python bench/board.py [--orders 100000] [--small 1000] [--repeat 60]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_DATABASE", "conveyor_bench3")

# Where 100 orders are, on a usual day of a company that has worked a few years.
STAGE_SHARE = {
    "new": 2,
    "qualification": 5,
    "prepayment": 7,
    "production": 12,
    "postpayment": 3,
    "delivery_details": 3,
    "delivery": 6,
    "won": 50,
    "lost": 12,
}
MANAGERS = 20
CENT = Decimal("0.01")


def _server_connection():
    import dj_database_url
    import psycopg2

    cfg = dj_database_url.parse(f"{SERVER}/postgres")
    connection = psycopg2.connect(
        dbname="postgres",
        user=cfg["USER"],
        host=cfg["HOST"],
        port=cfg["PORT"] or 5432,
        password=cfg["PASSWORD"] or None,
    )
    connection.autocommit = True
    return connection


def _server_execute(*statements: str) -> None:
    # Not `with connection:`, which would open a transaction; CREATE DATABASE cannot run in one.
    connection = _server_connection()
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        connection.close()


SMALL_DB_NAME = f"{DB_NAME}_small"


def databases_create() -> None:
    statements = []
    for name in (DB_NAME, SMALL_DB_NAME):
        statements += [f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"']
    _server_execute(*statements)


def databases_drop() -> None:
    from django.db import connections

    connections.close_all()
    for wrapper in _WRAPPERS.values():
        wrapper.close()
    _server_execute(*(f'DROP DATABASE IF EXISTS "{name}"' for name in (DB_NAME, SMALL_DB_NAME)))


# The small and the large company live in two databases at once, and the measurements
# alternate between them request by request, so that the load of the machine at a given
# moment weighs on both sides alike. Each side keeps its own open connection.
_WRAPPERS: dict[str, object] = {}


def use(side: str) -> None:
    from django.db import connections

    if not _WRAPPERS:
        large = connections["default"]
        settings_dict = {**large.settings_dict, "NAME": SMALL_DB_NAME}
        _WRAPPERS["large"] = large
        _WRAPPERS["small"] = large.__class__(settings_dict, alias="default")
    connections["default"] = _WRAPPERS[side]


def django_setup() -> None:
    os.environ.update(
        {
            "DATABASE_URL": f"{SERVER}/{DB_NAME}",
            "DEBUG": "0",
            # Pages link static/ as it is: no collectstatic for a benchmark.
            "STATIC_MANIFEST": "0",
            "SECRET_KEY": "bench-only-secret-key",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "ALLOWED_HOSTS": "testserver,localhost",
            "CELERY_TASK_ALWAYS_EAGER": "1",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


# ----------------------------------------------------------------------------- data


class Filler:
    """Adds orders in batches; numbers, dates and money consistent with the services."""

    def __init__(self) -> None:
        from django.contrib.auth.models import Group, User

        from orders import roles
        from production.models import Product

        self.rng = random.Random(42)
        self.now = dt.datetime.now(dt.UTC)
        self.made = 0
        self.managers = []
        sales = Group.objects.get(name=roles.SALES_MANAGERS)
        for i in range(MANAGERS):
            user = User.objects.create_user(
                f"manager{i}", password="bench", first_name=f"Manager {i}"
            )
            user.groups.add(sales)
            self.managers.append(user)
        self.head = User.objects.create_user("head", password="bench", first_name="Head")
        self.head.groups.add(Group.objects.get(name=roles.HEAD_OF_SALES))
        self.admin = User.objects.create_superuser("admin", "admin@bench.test", "bench")
        self.worker = User.objects.create_user("worker", password="bench")
        self.worker.groups.add(Group.objects.get(name=roles.PRODUCTION))
        self.products = [
            Product.objects.create(
                sku=f"P-{i:03d}",
                name=f"Product {i}",
                price=Decimal(self.rng.randrange(900, 60000)),
                lead_time_days=3,
                labour_minutes=60,
                labour_rate=Decimal(600),
            )
            for i in range(40)
        ]
        self.stages = [stage for stage, share in STAGE_SHARE.items() for _ in range(share)]

    def add(self, count: int, *, span_days: int) -> None:
        for start in range(0, count, 5000):
            self._batch(min(5000, count - start), span_days=span_days)

    def _batch(self, count: int, *, span_days: int) -> None:
        from django.db import transaction

        from invoices.models import Invoice, Payment
        from orders.models import (
            Customer,
            Order,
            OrderLine,
            Task,
            TimelineEvent,
        )

        rng = self.rng
        with transaction.atomic():
            customers = Customer.objects.bulk_create(
                [
                    Customer(
                        name=f"Client {self.made + i}",
                        company=f"Company {rng.randrange(5000)}" if rng.random() < 0.4 else "",
                        email=f"client{self.made + i}@example.com",
                        phone=f"+7 9{rng.randrange(10**9):09d}",
                    )
                    for i in range(count)
                ],
                batch_size=2000,
            )
            orders, lines, tasks, events, invoices = [], [], [], [], []
            for i, customer in enumerate(customers):
                seq = self.made + i + 1
                created = self.now - dt.timedelta(seconds=rng.randrange(span_days * 86400))
                stage = rng.choice(self.stages)
                order_lines = []
                for position in range(1, rng.randint(1, 4) + 1):
                    product = rng.choice(self.products)
                    quantity = Decimal(rng.randint(1, 5))
                    order_lines.append(
                        OrderLine(
                            position=position,
                            product=product,
                            sku=product.sku,
                            name=product.name,
                            price=product.price,
                            quantity=quantity,
                            unit_cost=(product.price * Decimal("0.6")).quantize(CENT),
                            status="made"
                            if stage not in ("new", "qualification", "prepayment", "production")
                            else "pending",
                        )
                    )
                lines_total = sum((line.price * line.quantity for line in order_lines), Decimal(0))
                delivery = Decimal(rng.choice([0, 500, 1500]))
                total = lines_total + delivery
                paid = {
                    "prepayment": Decimal(0),
                    "production": total,
                    "postpayment": (total / 2).quantize(CENT),
                    "new": Decimal(0),
                    "qualification": Decimal(0),
                    "lost": Decimal(0),
                }.get(stage, total)
                made = (
                    len(order_lines)
                    if stage not in ("new", "qualification", "prepayment", "production")
                    else 0
                )
                if stage == "production":
                    made = rng.randrange(len(order_lines))
                is_open = stage not in ("won", "lost")
                due = created + dt.timedelta(days=rng.randint(1, 40)) if is_open else None
                orders.append(
                    Order(
                        number=f"{created.year}-{seq:06d}",
                        customer=customer,
                        manager=self.managers[seq % MANAGERS],
                        source=rng.choice(["web_shop", "manager"]),
                        stage=stage,
                        stage_changed_at=min(
                            self.now, created + dt.timedelta(days=rng.randint(0, 30))
                        ),
                        payment_scheme="full_prepayment"
                        if stage not in ("new", "qualification")
                        else "",
                        prepayment_amount=total
                        if stage not in ("new", "qualification")
                        else Decimal(0),
                        delivery_method="pickup" if delivery == 0 else "carrier",
                        delivery_cost=delivery if delivery else None,
                        delivery_address="" if delivery == 0 else f"City, street {seq}",
                        lines_total=lines_total,
                        total_amount=total,
                        paid_amount=paid,
                        cost_amount=sum(
                            (line.unit_cost * line.quantity for line in order_lines), Decimal(0)
                        ),
                        lines_count=len(order_lines),
                        lines_made=made,
                        next_due_at=due,
                        created_at=created,
                        lost_reason="Too expensive" if stage == "lost" else "",
                    )
                )
                lines.append(order_lines)
            Order.objects.bulk_create(orders, batch_size=2000)
            flat_lines = []
            for order, order_lines in zip(orders, lines, strict=True):
                for line in order_lines:
                    line.order = order
                    flat_lines.append(line)
                open_task = order.stage not in ("won", "lost")
                tasks.append(
                    Task(
                        order=order,
                        kind="take_into_work" if order.stage == "new" else "custom",
                        department="sales",
                        title=f"Work on {order.number}",
                        assignee=order.manager,
                        status="open" if open_task else "done",
                        due_at=order.next_due_at or order.created_at,
                        created_at=order.created_at,
                    )
                )
                events.append(
                    TimelineEvent(
                        order=order, kind="created", to_stage="new", created_at=order.created_at
                    )
                )
                events.append(
                    TimelineEvent(
                        order=order,
                        kind="stage",
                        from_stage="new",
                        to_stage=order.stage,
                        created_at=order.stage_changed_at,
                    )
                )
                if order.payment_scheme:
                    invoices.append(
                        Invoice(
                            number=f"INV-{order.number}",
                            order=order,
                            kind="prepayment",
                            amount=order.total_amount,
                            paid_amount=order.paid_amount,
                            status="paid" if order.paid_amount >= order.total_amount else "issued",
                            order_total=order.total_amount,
                            issued_at=order.created_at,
                        )
                    )
            OrderLine.objects.bulk_create(flat_lines, batch_size=5000)
            Task.objects.bulk_create(tasks, batch_size=5000)
            TimelineEvent.objects.bulk_create(events, batch_size=5000)
            Invoice.objects.bulk_create(invoices, batch_size=5000)
            Payment.objects.bulk_create(
                [
                    Payment(
                        invoice=invoice,
                        order=invoice.order,
                        amount=invoice.paid_amount,
                        source="manual",
                        paid_at=invoice.issued_at,
                    )
                    for invoice in invoices
                    if invoice.paid_amount > 0
                ],
                batch_size=5000,
            )
        self.made += count


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# ----------------------------------------------------------------------------- measuring


class ElementCounter(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements = 0

    def handle_starttag(self, tag, attrs) -> None:
        self.elements += 1

    def handle_startendtag(self, tag, attrs) -> None:
        self.elements += 1


def client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


class Case:
    """One page of one company, timed again and again."""

    def __init__(self, name: str, side: str, user, url: str) -> None:
        use(side)
        self.name, self.side, self.url = name, side, url
        self.client = client_for(user)
        self.samples: list[float] = []
        self.body = b""

    def run(self, *, keep: bool) -> None:
        use(self.side)
        start = time.perf_counter()
        response = self.client.get(self.url)
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, (self.name, self.side, response.status_code)
        if keep:
            self.samples.append(elapsed)
            self.body = response.content

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]


def measure_all(cases: list[Case], repeat: int) -> None:
    for _ in range(3):  # warm the caches and the connections
        for case in cases:
            case.run(keep=False)
    for _ in range(repeat):
        for case in cases:
            case.run(keep=True)


def more_urls(depth: int) -> tuple[str, str]:
    """A column's "more" after its first page, and after the `depth`-th newest order."""
    from urllib.parse import quote

    from orders.models import Order
    from orders.selectors.board import COLUMN_PAGE, Cursor

    use("large")
    column = "production"
    in_column = Order.objects.filter(stage=column).order_by("-created_at", "-id")
    first = in_column[COLUMN_PAGE - 1]
    mark = Order.objects.order_by("-created_at", "-id").values("created_at", "id")[depth - 1]
    deep = Cursor(mark["created_at"], mark["id"])
    assert in_column.filter(deep.condition()).count() > COLUMN_PAGE, "nothing left after it"
    url = f"/board/column/{column}/?who=all&after="
    return url + quote(str(Cursor(first.created_at, first.id))), url + quote(str(deep))


def elements(body: bytes) -> int:
    counter = ElementCounter()
    counter.feed(body.decode())
    return counter.elements


def counters_read() -> int:
    from orders.models import BoardCounter

    use("large")
    return BoardCounter.objects.count()


# ----------------------------------------------------------------------------- report


def target(label: str, value: float, limit: str, ok: bool) -> None:
    print(f"  {label:44}{value:9.2f}  {limit:10}{'ok' if ok else 'MISSED'}")


def report(args, cases: dict[tuple[str, str], Case], depth: int, rows: int) -> None:
    small_label, large_label = f"{args.small // 1000}k", f"{args.orders // 1000}k"
    print()
    print(f"server time, ms (median / p95 of {args.repeat} requests, sizes interleaved)")
    print(f"{'':28}{small_label + ' orders':>20}{large_label + ' orders':>20}{'ratio':>10}")
    for name in PAGES:
        a, b = cases[name, "small"], cases[name, "large"]
        print(
            f"{name:28}{a.median:>10.1f} /{a.p95:>7.1f}{b.median:>12.1f} /{b.p95:>7.1f}"
            f"{b.median / a.median:>10.2f}"
        )
    print()
    first, deep = cases["more, first page", "large"], cases["more, deep", "large"]
    print(f"{'more, after the first page':28}{first.median:>10.1f} /{first.p95:>7.1f}")
    print(f"{f'more, after {depth:,} orders':28}{deep.median:>10.1f} /{deep.p95:>7.1f}")
    board = cases["board, one manager", "large"].body
    print()
    print("targets")
    admin = cases["admin order list", "large"].median
    for name in ("board, one manager", "board, all managers"):
        ratio = cases[name, "large"].median / cases[name, "small"].median
        target(f"{name}: {large_label} / {small_label}", ratio, "≤ 1.30", ratio <= 1.3)
    for name in ("board, one manager", "board, all managers"):
        ratio = cases[name, "large"].median / admin
        target(f"{name} / admin list, {large_label}", ratio, "≤ 1.00", ratio <= 1)
    ratio = deep.median / first.median
    target("deep more / first more", ratio, "≤ 1.50", ratio <= 1.5)
    target("default board HTML, KB", len(board) / 1024, "< 100", len(board) < 100 * 1024)
    count = elements(board)
    target("default board elements", count, "< 1500", count < 1500)
    print(
        f"  column counts and sums: {rows} counter rows (stages × managers) read per board,"
        f" not {args.orders:,} orders"
    )


PAGES = [
    "board, one manager",
    "board, all managers",
    "admin order list",
    "board, search a name",
    "board, search a phone",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    args = parser.parse_args()

    databases_create()
    try:
        django_setup()
        from django.core.management import call_command

        fillers = {}
        for side, count, years in (("small", args.small, 1), ("large", args.orders, 3)):
            started = time.perf_counter()
            use(side)
            call_command("migrate", verbosity=0)
            fillers[side] = Filler()
            fillers[side].add(count, span_days=years * 365)
            analyze()
            print(f"filled {count:,} orders in {time.perf_counter() - started:.0f} s", flush=True)

        cases: dict[tuple[str, str], Case] = {}
        for side, filler in fillers.items():
            for name, user, url in (
                ("board, one manager", filler.managers[0], "/board/"),
                ("board, all managers", filler.head, "/board/?who=all"),
                ("admin order list", filler.admin, "/admin/orders/order/"),
                ("board, search a name", filler.head, "/board/?who=all&q=Client+777"),
                ("board, search a phone", filler.head, "/board/?who=all&q=912-34"),
            ):
                cases[name, side] = Case(name, side, user, url)
        depth = min(50_000, args.orders // 2)
        first_url, deep_url = more_urls(depth)
        cases["more, first page", "large"] = Case("more", "large", fillers["large"].head, first_url)
        cases["more, deep", "large"] = Case("more", "large", fillers["large"].head, deep_url)
        measure_all(list(cases.values()), args.repeat)
        report(args, cases, depth, counters_read())
    finally:
        if not args.keep:
            databases_drop()


if __name__ == "__main__":
    main()
