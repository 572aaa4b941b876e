"""Does the board stay fast as the company grows?

Measures a small company and a large one side by side in one run, alternating request by
request between the two (so the machine's load at a moment weighs on both alike):

- the board's server time (median and p95) for one manager and for "all managers";
- the overdue board (all managers and one manager);
- the board searched by a client's name, by a common name, by phone digits and by an
  order number, and the new-order form's client search (a common name, a phone);
- Django admin's order list at the same sizes, for reference;
- a column's "more" right after the first page and deep in (the 50,000th newest order);
- the default board's HTML size and element count;

and prints each large/small ratio against its target.

The companies are copies of the seeded template databases (bench/seed.py made them:
conveyor_tpl_1k, conveyor_tpl_1m), migrated to the current code and analysed, dropped at
the end; without the templates, two databases are seeded here by bench/seed.py
(INSERT … SELECT generate_series).

    .venv/bin/python bench/board.py [--small-template conveyor_tpl_1k]
        [--large-template conveyor_tpl_1m] [--repeat 40] [--keep]
    .venv/bin/python bench/board.py --seed [--orders 100000] [--small 1000]
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
DB_NAME = os.environ.get("BENCH_DATABASE", "conveyor_bench_board")

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


def databases_create(templates: tuple[str, str] | None = None) -> None:
    """The large and the small company's databases: empty, or copies of the templates
    (small, large)."""
    statements = []
    for name, template in zip((SMALL_DB_NAME, DB_NAME), templates or (None, None), strict=True):
        statements.append(f'DROP DATABASE IF EXISTS "{name}"')
        statements.append(
            f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
        )
    _server_execute(*statements)


def p95(samples: list[float]) -> float:
    """The 95th percentile by rank: of 30 samples, the 28th."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]


def template_exists(name: str) -> bool:
    connection = _server_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return cursor.fetchone() is not None
    finally:
        connection.close()


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

    @classmethod
    def found(cls) -> Staff:
        """The seeder's people in a copied database, by their usernames."""
        from django.contrib.auth.models import User

        return cls(
            {
                "managers": [User.objects.get(username="manager0")],
                "head": [User.objects.get(username="head")],
                "admin": [User.objects.get(username="admin")],
            }
        )


def orders_count() -> int:
    from orders.models import Order

    return Order.objects.count()


def analyse() -> None:
    """Statistics for the indexes and tables a migration just made (the copied template's
    own are current), and the visibility map for index-only scans of new tables."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("VACUUM orders_closeddaycounter")


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
        return p95(self.samples)


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


# ----------------------------------------------------------------------------- report


def target(label: str, value: float, limit: str, ok: bool) -> None:
    print(f"  {label:48}{value:9.2f}  {limit:10}{'ok' if ok else 'MISSED'}")


def report(
    sizes: dict[str, int], repeat: int, cases: dict[tuple[str, str], Case], depth: int
) -> None:
    def label(count: int) -> str:
        return f"{count / 1_000_000:g}M" if count >= 1_000_000 else f"{count / 1000:g}k"

    small_label, large_label = label(sizes["small"]), label(sizes["large"])
    print()
    print(f"server time, ms (median / p95 of {repeat} requests, sizes interleaved)")
    print(
        f"{'':34}{small_label + ' orders':>20}{large_label + ' orders':>20}{'ratio':>8}"
        f"  {'target':12}{'HTML, KB':>12}"
    )
    for name, limit in PAGES.items():
        a, b = cases[name, "small"], cases[name, "large"]
        ratio = b.median / a.median
        verdict = "" if limit is None else ("ok" if ratio <= limit else "MISSED")
        print(
            f"{name:34}{a.median:>10.1f} /{a.p95:>7.1f}{b.median:>12.1f} /{b.p95:>7.1f}"
            f"{ratio:>8.2f}  {'' if limit is None else f'≤ {limit:.1f} ' + verdict:12}"
            f"{len(a.body) / 1024:>5.0f} /{len(b.body) / 1024:>4.0f}"
        )
    print()
    first, deep = cases["more, first page", "large"], cases["more, deep", "large"]
    print(f"{'more, after the first page':34}{first.median:>10.1f} /{first.p95:>7.1f}")
    print(f"{f'more, after {depth:,} orders':34}{deep.median:>10.1f} /{deep.p95:>7.1f}")
    print()
    print(f"targets at {large_label}")
    one = cases["board, one manager", "large"]
    target("board, one manager: p95, ms", one.p95, "≤ 25", one.p95 <= 25)
    ratio = deep.median / first.median
    target("deep more / first more", ratio, "≤ 1.50", ratio <= 1.5)
    for name in ("board, one manager", "board, all managers", "overdue board, all managers"):
        body = cases[name, "large"].body
        target(f"{name}: HTML, KB", len(body) / 1024, "≤ 100", len(body) <= 100 * 1024)
    count = elements(one.body)
    target("default board elements", count, "< 1500", count < 1500)
    missed = [
        name
        for name, limit in PAGES.items()
        if limit is not None and cases[name, "large"].median / cases[name, "small"].median > limit
    ]
    print("all ratios within their targets" if not missed else f"MISSED: {', '.join(missed)}")


# Page → its ratio target (large / small), None for a reference.
PAGES: dict[str, float | None] = {
    "board, one manager": 1.2,
    "board, all managers": 1.2,
    "overdue board, all managers": 1.3,
    "overdue board, one manager": 1.3,
    "board, search an e-mail": 1.3,
    "board, search a name": 1.3,
    "board, search a common name": 1.3,
    "board, search a phone": 1.3,
    "board, search a number": 1.3,
    "client search, common name": 1.3,
    "client search, phone": 1.3,
    "admin order list": None,
}


def urls(staff: Staff) -> list[tuple[str, object, str]]:
    head, manager = staff.head, staff.managers[0]
    return [
        ("board, one manager", manager, "/board/"),
        ("board, all managers", head, "/board/?who=all"),
        ("overdue board, all managers", head, "/board/?who=all&overdue=1"),
        ("overdue board, one manager", manager, "/board/?overdue=1"),
        # One client at either size.
        ("board, search an e-mail", head, "/board/?who=all&q=client777%40example.com"),
        # "Client 777": one client of a thousand, 1,111 of a million start so.
        ("board, search a name", head, "/board/?who=all&q=Client+777"),
        # "Client 1": a name a ninth of the clients start with.
        ("board, search a common name", head, "/board/?who=all&q=Client+1"),
        ("board, search a phone", head, "/board/?who=all&q=912-34"),
        ("board, search a number", head, "/board/?who=all&q=2026-00001"),
        ("client search, common name", head, "/customers/search/?q=Client+1"),
        ("client search, phone", head, "/customers/search/?q=912-34"),
        ("admin order list", staff.admin, "/admin/orders/order/"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small-template", default="conveyor_tpl_1k")
    parser.add_argument("--large-template", default="conveyor_tpl_1m")
    parser.add_argument("--seed", action="store_true", help="seed here instead of copying")
    parser.add_argument("--orders", type=int, default=100_000, help="with --seed")
    parser.add_argument("--small", type=int, default=1_000, help="with --seed")
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    args = parser.parse_args()

    templates = (args.small_template, args.large_template)
    copy = not args.seed and all(template_exists(name) for name in templates)
    if not args.seed and not copy:
        print(f"no templates {templates}: seeding {args.small:,} and {args.orders:,} orders")
    databases_create(templates if copy else None)
    try:
        django_setup()
        from django.core.management import call_command

        staff: dict[str, Staff] = {}
        sizes: dict[str, int] = {}
        for side, count, years in (("small", args.small, 1), ("large", args.orders, 3)):
            started = time.perf_counter()
            use(side)
            call_command("migrate", verbosity=0)
            if copy:
                analyse()
                staff[side] = Staff.found()
            else:
                from bench.seed import seed

                staff[side] = Staff(
                    seed(count, managers=MANAGERS, span_days=years * 365, verbose=False)
                )
            sizes[side] = orders_count()
            print(
                f"{side}: {sizes[side]:,} orders ready in {time.perf_counter() - started:.0f} s",
                flush=True,
            )

        cases: dict[tuple[str, str], Case] = {}
        for index, (name, _user, _url) in enumerate(urls(staff["small"])):
            for side in ("small", "large"):
                _name, user, url = urls(staff[side])[index]
                cases[name, side] = Case(name, side, user, url)
        depth = min(50_000, sizes["large"] // 2)
        first_url, deep_url = more_urls(depth)
        cases["more, first page", "large"] = Case("more", "large", staff["large"].head, first_url)
        cases["more, deep", "large"] = Case("more", "large", staff["large"].head, deep_url)
        measure_all(list(cases.values()), args.repeat)
        report(sizes, args.repeat, cases, depth)
    finally:
        if not args.keep:
            databases_drop()


if __name__ == "__main__":
    main()
