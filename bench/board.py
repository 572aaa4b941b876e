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

The data is made by bench/seed.py (INSERT … SELECT generate_series; the services would take
hours for 100k orders), and is what the services produce: customers, lines with costs,
tasks, timeline events, invoices and payments, with the denormalised money on the order and
the board counters rebuilt from the orders at the end.

    .venv/bin/python bench/board.py [--orders 100000] [--small 1000] [--repeat 60]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_DATABASE", "conveyor_bench3")

MANAGERS = 20


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


class Staff:
    """Who the cases log in as, from what the seeder made."""

    def __init__(self, people: dict[str, list]) -> None:
        self.managers = people["managers"]
        self.head = people["head"][0]
        self.admin = people["admin"][0]


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

        from bench.seed import seed

        fillers = {}
        for side, count, years in (("small", args.small, 1), ("large", args.orders, 3)):
            started = time.perf_counter()
            use(side)
            call_command("migrate", verbosity=0)
            fillers[side] = Staff(
                seed(count, managers=MANAGERS, span_days=years * 365, verbose=False)
            )
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
