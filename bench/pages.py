"""Does every list page stay flat from 1,000 to 1,000,000 orders?

Measures, in one Django process and one run, every list page (and the order page) of three
companies side by side: 1k, 100k and 1M orders, each in a database of its own with an open
connection of its own. Requests go through django.test.Client with DEBUG=0, each page as
the person who works there (the staff bench/seed.py makes: manager0, head, worker0,
production_head, logistics, accountant, admin), alternating request by request between the
sizes (the order of the sizes turns every round), so that the load of the machine at any
moment weighs on all of them alike. The warm-up rounds count each page's queries; then it
prints, per page: the median and p95 server time at each size, the ratio of the largest to
the smallest size's median, the HTML size at both, the queries at each size and the
median time spent in them at the smallest and the largest (every request's queries are
timed through connection.execute_wrapper, which tells the database's share of a slowdown
from the rendering's).
Django admin's order and task lists are measured in the same run, as the reference.

The pages (--list gives their keys): the board for one manager, for all managers, overdue,
searched by a common client name ("Client 7": one client in nine), phone digits, part of an
e-mail and an order-number prefix (100 numbers of last year); a board column's "more" (the
link after its first cards, and a cursor halfway down all the orders); the new-order form's
client search; my tasks of a manager and of a production worker; the shop floor; the production
board; deliveries; receivables (all, overdue, searched); the payments journal and the
margin report for the last full month, and the margin report for the twelve months it
ends; the page of the newest order in production with three lines or more.

Targets (exit status 1 when one is missed, listing the misses):

- the board, one manager and all managers: largest / smallest median ≤ 1.2;
- every other page: ≤ 1.3;
- a ratio over its target still passes when the largest size's median is within 2 ms of the
  smallest's (--floor): a few milliseconds of noise would otherwise decide fast pages;
- a page the smallest company cannot fill (its HTML there under 85 % of its size at the
  largest: a manager with 20 open tasks where a page shows 50) is compared with the
  smallest size that fills it, and the verdict says so: its ratio would otherwise measure
  the page filling up, not the data growing;
- at most 110 KB of HTML at the largest size;
- as many queries at every size (a count that grows with the data is a query per row);
- every page answers 200 at every size (one that fails is listed with its error).

The databases are copies of the seeded templates <templates>_<size> (`CREATE DATABASE
conveyor_pages_1m TEMPLATE conveyor_tpl_1m`, ~15 s and 2 GB for 1M; the templates are made
by `DATABASE_URL=…/conveyor_tpl_1m bench/seed.py --orders 1000000`; a missing one is
seeded so on the first run and kept, ~4 minutes for 1M), migrated to this tree
(then VACUUM ANALYZE if a migration ran) and dropped at the end. --seed seeds fresh, empty
databases with bench/seed.py instead (1M takes several minutes); --keep reuses the copies an
earlier --keep run left (migrating them) and keeps them.

    .venv/bin/python bench/pages.py [--sizes 1k,100k,1m] [--pages board,tasks]
        [--repeat 30] [--warmup 3] [--budget 40] [--cap 2] [--floor 2] [--keep] [--seed]
        [--prefix conveyor_pages] [--templates conveyor_tpl]
    .venv/bin/python bench/pages.py --smoke     # 1k only: every page answers 200, queries

--pages keeps the pages whose key contains one of the words (`--pages board,tasks`). To stay
within minutes whatever the pages do, a page stops being timed once it has had 5 rounds and
used --budget seconds (all sizes together), or at once when a request takes over --cap
seconds ("capped": its requests so far are its samples); the n column shows the samples.
--smoke runs on the smallest size only and checks that every page answers 200 with at most
30 queries (a query per row would show there), in seconds.

The server is BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432); no Redis is used
(tasks run eagerly, the cache is in memory).
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import logging
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.test import Client

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.board import (  # noqa: E402
    SERVER,
    _server_execute,
    client_for,
    p95,
)
from bench.board import template_exists as database_exists  # noqa: E402

BOARD_TARGET = 1.2
PAGE_TARGET = 1.3
HTML_LIMIT_KB = 110
# A page is full at a size when its HTML is at least this share of its size at the largest.
FULL_PAGE = 0.85
SMOKE_QUERY_CEILING = 30
MIN_ROUNDS = 5
MANAGERS = 20

# ----------------------------------------------------------------------------- pages


@dataclass
class Place:
    """What a size's URLs are made of, read from its database."""

    users: dict[str, Any]
    order_number: str
    number_prefix: str
    month: tuple[dt.date, dt.date]
    year: tuple[dt.date, dt.date]


@dataclass(frozen=True)
class Page:
    key: str
    who: str  # the username the page is requested as (made by bench/seed.py staff_make)
    url: Callable[[Place], str]
    target: float | None = PAGE_TARGET  # None: a reference, no target

    @property
    def reference(self) -> bool:
        return self.target is None


def _q(path: str, **params: object) -> Callable[[Place], str]:
    return lambda place: f"{path}?{urlencode(params)}" if params else path


def _period(path: str, span: str) -> Callable[[Place], str]:
    def url(place: Place) -> str:
        start, end = place.month if span == "month" else place.year
        return f"{path}?{urlencode({'start': start.isoformat(), 'end': end.isoformat()})}"

    return url


# Search words, the same at every size. Seeded clients are "Client <i>" with
# client<i>@example.com and random +79… phones: "Client 7" matches 1 client in 9 (a common
# name), "nt123@ex" one client's e-mail, "912-34" the phones holding those digits.
COMMON_NAME = "Client 7"
EMAIL_PART = "nt123@ex"
PHONE_DIGITS = "912-34"

MORE_COLUMN = "production"


def _column_more(place: Place) -> str:
    """The production column's "more" link on the all-managers board, as the page has it."""
    board = client_for(place.users["head"]).get("/board/?who=all").content.decode()
    found = re.search(rf'href="(/board/column/{MORE_COLUMN}/\?[^"]*after=[^"]*)"', board)
    if found is None:
        raise LookupError(f"no “more” link in the {MORE_COLUMN} column of /board/?who=all")
    return html.unescape(found[1])


def _column_deep(place: Place) -> str:
    """The column's next cards after the order halfway down all the orders, newest first."""
    from orders.models import Order
    from orders.selectors.board import Cursor

    middle = Order.objects.count() // 2
    mark = Order.objects.order_by("-created_at", "-id").values("created_at", "id")[middle]
    after = str(Cursor(mark["created_at"], mark["id"]))
    return f"/board/column/{MORE_COLUMN}/?{urlencode({'who': 'all', 'after': after})}"


PAGES = [
    Page("board-one-manager", "manager0", _q("/board/"), BOARD_TARGET),
    Page("board-all-managers", "head", _q("/board/", who="all"), BOARD_TARGET),
    Page("board-overdue", "head", _q("/board/", who="all", overdue=1)),
    Page("board-search-name", "head", _q("/board/", who="all", q=COMMON_NAME)),
    Page("board-search-phone", "head", _q("/board/", who="all", q=PHONE_DIGITS)),
    Page("board-search-email", "head", _q("/board/", who="all", q=EMAIL_PART)),
    Page(
        "board-search-number",
        "head",
        lambda place: f"/board/?{urlencode({'who': 'all', 'q': place.number_prefix})}",
    ),
    Page("board-column-more", "head", _column_more),
    Page("board-column-deep", "head", _column_deep),
    Page("customer-search", "manager0", _q("/customers/search/", q=COMMON_NAME)),
    Page("my-tasks-manager", "manager0", _q("/tasks/")),
    Page("my-tasks-worker", "worker0", _q("/tasks/")),
    Page("shop-floor", "worker0", _q("/production/")),
    Page("production-board", "production_head", _q("/production/board/")),
    Page("production-load", "production_head", _q("/production/load/")),
    Page("deliveries", "logistics", _q("/logistics/")),
    Page("receivables", "accountant", _q("/invoices/")),
    Page("receivables-overdue", "accountant", _q("/invoices/", overdue=1)),
    Page("receivables-search", "accountant", _q("/invoices/", q=COMMON_NAME)),
    Page("payments-journal-month", "accountant", _period("/invoices/payments/", "month")),
    Page("margin-month", "accountant", _period("/production/margin/", "month")),
    Page("margin-year", "accountant", _period("/production/margin/", "year")),
    Page("order-page", "head", lambda place: f"/orders/{place.order_number}/"),
    Page("admin-order-list", "admin", _q("/admin/orders/order/"), None),
    Page("admin-task-list", "admin", _q("/admin/orders/task/"), None),
]


def place_read(today: dt.date) -> Place:
    """The users and the URLs' data of the database in use."""
    from django.contrib.auth.models import User

    from orders.models import Order

    users = {user.username: user for user in User.objects.filter(username__in=_usernames())}
    missing = _usernames() - users.keys()
    if missing:
        raise SystemExit(f"users missing (not made by bench/seed.py?): {sorted(missing)}")
    # An order in production with several lines: lines, tasks, invoices, payments, timeline.
    order = (
        Order.objects.filter(stage="production", lines_count__gte=3)
        .order_by("-created_at")
        .values_list("number", flat=True)
        .first()
    )
    if order is None:
        raise SystemExit("no order in production with 3 lines or more")
    # Numbers are "<year>-<seq>": "<last year>-001" starts 100 numbers at every size (a seed
    # spans three years back: last year has its hundreds of orders even at 1k).
    number_year = today.year - 1
    # The last full month, and the twelve months it ends.
    month_end = today.replace(day=1) - dt.timedelta(days=1)
    if month_end.month == 12:
        year_start = dt.date(month_end.year, 1, 1)
    else:
        year_start = dt.date(month_end.year - 1, month_end.month + 1, 1)
    return Place(
        users=users,
        order_number=order,
        number_prefix=f"{number_year}-001",
        month=(month_end.replace(day=1), month_end),
        year=(year_start, month_end),
    )


def _usernames() -> set[str]:
    return {page.who for page in PAGES}


# ----------------------------------------------------------------------------- databases


def sizes_parse(text: str) -> dict[str, int]:
    """ "1k,100k,1m" → {"1k": 1000, "100k": 100000, "1m": 1000000}, smallest first."""
    sizes = {}
    for label in (part.strip().lower() for part in text.split(",") if part.strip()):
        scale = {"k": 1_000, "m": 1_000_000}.get(label[-1:], 1)
        digits = label[:-1] if scale > 1 else label
        if not digits.isdigit() or int(digits) == 0:
            raise argparse.ArgumentTypeError(f"not a size: {label!r} (e.g. 1k, 100k, 1m)")
        sizes[label] = int(digits) * scale
    if not sizes:
        raise argparse.ArgumentTypeError("no size given")
    return dict(sorted(sizes.items(), key=lambda item: item[1]))


def database_copy(name: str, template: str) -> None:
    """CREATE DATABASE … TEMPLATE, retried while someone else is connected to the template
    (PostgreSQL refuses to copy a database in use)."""
    import psycopg2  # type: ignore[import-untyped]

    _server_execute(f'DROP DATABASE IF EXISTS "{name}"')
    for attempt in range(20):
        try:
            _server_execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            return
        except psycopg2.errors.ObjectInUse:
            if attempt == 19:
                raise
            print(f"  {template} is in use, waiting to copy it", flush=True)
            time.sleep(15)


# Each size has its own connection, open all along; `use` points the default alias at one.
_WRAPPERS: dict[str, BaseDatabaseWrapper] = {}


def connections_make(names: dict[str, str]) -> None:
    from django.db import connections

    base = connections["default"]
    for label, name in names.items():
        _WRAPPERS[label] = base.__class__({**base.settings_dict, "NAME": name}, alias="default")


def use(label: str) -> None:
    from django.db import connections

    connections["default"] = _WRAPPERS[label]


def connections_close() -> None:
    for wrapper in _WRAPPERS.values():
        wrapper.close()


def migrate() -> tuple[int, float]:
    """Migrates the database in use; VACUUM ANALYZE after any migration, which may have
    rewritten rows (index-only scans need the visibility map) or filled a new table."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    started = time.perf_counter()
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    call_command("migrate", verbosity=0)
    if plan:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
    return len(plan), time.perf_counter() - started


def django_setup(database: str) -> None:
    os.environ["DATABASE_URL"] = f"{SERVER}/{database}"
    os.environ["DEBUG"] = "0"
    from bench.seed import django_setup as seed_django_setup

    seed_django_setup()


# ----------------------------------------------------------------------------- measuring


class Queries:
    """Counts and times the queries of a request (connection.execute_wrapper): cheaper and
    finer than Django's debug cursor, whose times are rounded to the millisecond."""

    def __init__(self) -> None:
        self.count = 0
        self.ms = 0.0
        self.slowest: tuple[float, str] = (0.0, "")

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            ms = (time.perf_counter() - start) * 1000
            self.count += 1
            self.ms += ms
            self.slowest = max(self.slowest, (ms, sql))


@dataclass
class Case:
    """One page at one size."""

    page: Page
    size: str
    url: str
    client: Client
    samples: list[float] = field(default_factory=list)
    sql_samples: list[float] = field(default_factory=list)  # ms in queries, per request
    status: int = 0
    html: int = 0
    queries: int = 0
    slowest: tuple[float, str] = (0.0, "")  # ms and SQL of the last request's slowest query
    error: str = ""

    def get(self, *, count: bool = False) -> float | None:
        """Requests the page; returns the milliseconds it took, or None when it failed (the
        reason in `error`). With `count`, notes its HTML size and queries."""
        from django.db import connection

        use(self.size)
        queries = Queries()
        with connection.execute_wrapper(queries):
            start = time.perf_counter()
            try:
                response = self.client.get(self.url)
            except Exception as error:  # a page that raises is reported, the run goes on
                self.error = f"{type(error).__name__}: {error}"[:200]
                return None
            elapsed = (time.perf_counter() - start) * 1000
        self.status = response.status_code
        if self.status != 200:
            self.error = f"answered {self.status}"
            return None
        if count:
            self.html = len(response.content)
            self.queries = queries.count
            self.slowest = queries.slowest
        self.sql_samples.append(queries.ms)
        return elapsed

    @property
    def sql_median(self) -> float:
        return statistics.median(self.sql_samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return p95(self.samples)


@dataclass
class Row:
    """A page at every size, smallest first."""

    cases: list[Case]
    spent: float = 0.0  # ms
    capped: bool = False

    @property
    def broken(self) -> bool:
        return any(case.error for case in self.cases)

    def turn(self, round_: int) -> list[Case]:
        """The sizes in the order of this round: each comes first in its turn."""
        shift = round_ % len(self.cases)
        return self.cases[shift:] + self.cases[:shift]


def rows_make(pages: list[Page], places: dict[str, Place]) -> dict[str, Row]:
    rows = {page.key: Row([]) for page in pages}
    for size, place in places.items():
        use(size)
        clients = {who: client_for(user) for who, user in place.users.items()}
        for page in pages:
            try:
                url, error = page.url(place), ""
            except Exception as problem:  # shown in the table like a page that fails
                url, error = "", f"no URL: {type(problem).__name__}: {problem}"[:200]
            case = Case(page, size, url, clients[page.who], error=error)
            rows[page.key].cases.append(case)
    return rows


def measure(rows: dict[str, Row], *, warmup: int, repeat: int, budget: float, cap: float) -> None:
    """Warm-up rounds (which count the queries), then `repeat` timed rounds; in a round each
    page is requested at every size in turn. A page stops being timed once it has had
    MIN_ROUNDS rounds and used `budget` seconds, or at once when a request takes longer
    than `cap` seconds (then the warm-up requests are its samples)."""
    for round_ in range(warmup):
        for row in rows.values():
            if row.broken or row.capped:
                continue
            times = [(case, case.get(count=True)) for case in row.turn(round_)]
            if any(elapsed is None for _, elapsed in times):
                continue
            for case, elapsed in times:
                case.samples.append(elapsed or 0.0)
            row.capped = max(elapsed or 0.0 for _, elapsed in times) > cap * 1000
    for row in rows.values():
        if not row.capped:
            for case in row.cases:
                case.samples.clear()
                case.sql_samples.clear()
    for round_ in range(repeat):
        for row in rows.values():
            if row.broken or row.capped or (round_ >= MIN_ROUNDS and row.spent > budget * 1000):
                continue
            for case in row.turn(round_ + warmup):
                elapsed = case.get()
                if elapsed is None:
                    break
                case.samples.append(elapsed)
                row.spent += elapsed
                row.capped |= elapsed > cap * 1000
        if sys.stdout.isatty():
            print(f"  round {round_ + 1}/{repeat}", end="\r", flush=True)
    if sys.stdout.isatty():
        print(" " * 30, end="\r")


# ----------------------------------------------------------------------------- report


def report(rows: dict[str, Row], sizes: list[str], *, floor: float, cap: float) -> list[str]:
    """Prints the table; returns the targets missed."""
    small, large = sizes[0], sizes[-1]
    missed: list[str] = []
    width = max(len(key) for key in rows) + 2
    print()
    print(
        f"server time, ms: median / p95 at each size (n requests each, sizes interleaved);"
        f" ratio = {large} / {small} medians; KB of HTML at {small} and {large}; queries at"
        f" each size; SQL: median ms spent in queries at {small} and {large}"
    )
    head = f"{'page':{width}}" + "".join(f"{size:>17}" for size in sizes)
    head += f"{'ratio':>8}{'target':>8}{'KB':>15}{'queries':>10}{'SQL':>15}{'n':>5}  verdict"
    print(head)
    for key, row in rows.items():
        line = f"{key:{width}}"
        if row.broken:
            broken = [f"{case.size}: {case.error}" for case in row.cases if case.error]
            print(line + "BROKEN  " + "; ".join(broken))
            missed.append(f"{key}: {'; '.join(broken)}")
            continue
        for case in row.cases:
            line += f"{case.median:>9.1f} /{case.p95:>6.1f}"
        first, last = row.cases[0], row.cases[-1]
        page = first.page
        # A page the smallest company cannot fill (a manager with 20 open tasks where a
        # page holds 50) renders less there: its ratio would measure the page filling up,
        # not the data growing. Such a page is compared with the smallest size that fills it.
        # When no smaller size fills it, the smallest stays the base.
        base = next((case for case in row.cases[:-1] if case.html >= FULL_PAGE * last.html), first)
        ratio = last.median / base.median
        verdict_base = ""
        if base is not first:
            verdict_base = f"{last.size}/{base.size} = {ratio:.2f} ({first.size} page not full)"
        counts = [case.queries for case in row.cases]
        kb = last.html / 1024
        line += f"{last.median / first.median:>8.2f}"
        line += f"{'ref' if page.reference else f'≤ {page.target}':>8}"
        line += f"{f'{first.html / 1024:.1f} / {kb:.1f}':>15}"
        line += f"{counts[0] if len(set(counts)) == 1 else '/'.join(map(str, counts)):>10}"
        line += f"{f'{first.sql_median:.1f} / {last.sql_median:.1f}':>15}"
        line += f"{len(first.samples):>5}  "
        verdict = [verdict_base] if verdict_base else []
        if row.capped:
            verdict.append(f"capped (> {cap:g} s)")
        if not page.reference:
            assert page.target is not None
            if ratio > page.target:
                if last.median - base.median <= floor:
                    verdict.append("ok (floor)")
                else:
                    verdict.append("SLOW")
                    missed.append(
                        f"{key}: {large}/{base.size} = {ratio:.2f} > {page.target}"
                        f" (median time in SQL {first.sql_median:.1f} ms at {small},"
                        f" {last.sql_median:.1f} ms at {large}; slowest query at {large}"
                        f" {last.slowest[0]:.1f} ms: {' '.join(last.slowest[1].split())[:160]})"
                    )
            if kb > HTML_LIMIT_KB:
                verdict.append("HTML")
                missed.append(f"{key}: {kb:.0f} KB of HTML at {large} > {HTML_LIMIT_KB} KB")
            if max(counts) > counts[0]:
                verdict.append("QUERIES")
                missed.append(f"{key}: queries {'/'.join(map(str, counts))} grow with the data")
        if not page.reference and not {"SLOW", "HTML", "QUERIES", "ok (floor)"} & set(verdict):
            verdict.append("ok")
        print(line + (" ".join(verdict) or "reference"))
    print()
    print(
        f"targets: the board (one manager, all managers) ≤ {BOARD_TARGET}, every other page"
        f" ≤ {PAGE_TARGET}; a ratio over its target passes when the {large} median is within"
        f" {floor:g} ms of the {small} one ('ok (floor)': below that it is noise);"
        f" ≤ {HTML_LIMIT_KB} KB of HTML at {large}; as many queries at every size."
        f" A page whose HTML at {small} is under {FULL_PAGE:.0%} of its size at {large} is"
        f" not full there: its target is checked against the smallest size that fills it"
        f" (the verdict gives that ratio)."
        f" The admin lists are the reference (no target). 'capped': a request took over"
        f" {cap:g} s, so the page was timed no further (its requests so far are its samples)."
    )
    return missed


def smoke_report(rows: dict[str, Row]) -> list[str]:
    missed = []
    print()
    width = max(len(key) for key in rows) + 2
    print(f"{'page':{width}}{'status':>7}{'queries':>9}{'KB':>8}  url")
    for key, row in rows.items():
        case = row.cases[0]
        print(
            f"{key:{width}}{case.status:>7}{case.queries:>9}{case.html / 1024:>8.1f}"
            f"  {case.url}" + (f"  {case.error}" if case.error else "")
        )
        if case.error:
            missed.append(f"{key}: {case.error}")
        elif case.queries > SMOKE_QUERY_CEILING:
            missed.append(f"{key}: {case.queries} queries > {SMOKE_QUERY_CEILING}")
    print(f"every page answers 200 with at most {SMOKE_QUERY_CEILING} queries, or it is listed")
    return missed


# ----------------------------------------------------------------------------- main


def template_seed(template: str, orders: int) -> None:
    """Makes a missing template: a database of its own seeded by bench/seed.py (in a
    process of its own, which sets Django up for that database), kept for the next runs."""
    print(f"no template {template}: seeding {orders:,} orders into it", flush=True)
    _server_execute(f'CREATE DATABASE "{template}"')
    seeded = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "seed.py"), "--orders", str(orders)],
        env={**os.environ, "DATABASE_URL": f"{SERVER}/{template}"},
        check=False,
    )
    if seeded.returncode:
        _server_execute(f'DROP DATABASE IF EXISTS "{template}"')
        raise SystemExit(f"seeding {template} failed")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        epilog="Details in the module's docstring (bench/pages.py).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--sizes", type=sizes_parse, default="1k,100k,1m", help="orders per company"
    )
    parser.add_argument("--pages", default="", help="words a page's key must contain")
    parser.add_argument("--list", action="store_true", help="list the pages' keys and stop")
    parser.add_argument("--repeat", type=int, default=30, help="timed rounds")
    parser.add_argument(
        "--warmup", type=int, default=3, help="rounds before timing (≥ 1: they count queries)"
    )
    parser.add_argument("--budget", type=float, default=40, help="seconds per page at most")
    parser.add_argument("--cap", type=float, default=2, help="seconds a request may take")
    parser.add_argument("--floor", type=float, default=2, help="ms a ratio may be noise")
    parser.add_argument("--smoke", action="store_true", help="smallest size: 200s, queries")
    parser.add_argument("--keep", action="store_true", help="reuse and keep the databases")
    parser.add_argument("--seed", action="store_true", help="seed fresh databases")
    parser.add_argument("--prefix", default="conveyor_pages", help="the databases' names")
    parser.add_argument("--templates", default="conveyor_tpl", help="the templates' names")
    args = parser.parse_args()

    words = [word for word in args.pages.split(",") if word]
    pages = [page for page in PAGES if not words or any(word in page.key for word in words)]
    if args.list:
        print("\n".join(page.key for page in PAGES))
        return
    if not pages:
        parser.error(f"no page matches {args.pages!r} (see --list)")
    counts = args.sizes
    labels = list(counts)
    if args.smoke:
        labels = labels[:1]
    names = {label: f"{args.prefix}_{label}" for label in labels}

    for label, name in names.items():
        if args.keep and database_exists(name):
            print(f"{label}: reusing {name}", flush=True)
        elif args.seed:
            _server_execute(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
        else:
            template = f"{args.templates}_{label}"
            if not database_exists(template):
                template_seed(template, counts[label])
            started = time.perf_counter()
            database_copy(name, template)
            print(f"{label}: copied {template} in {time.perf_counter() - started:.0f} s")
    missed: list[str] = []
    try:
        django_setup(names[labels[0]])
        connections_make(names)
        from django.utils import timezone

        from bench.seed import seed
        from orders.models import Order

        today = timezone.localdate()
        places = {}
        for label in labels:
            use(label)
            applied, spent = migrate()
            print(f"{label}: {applied} migrations applied in {spent:.0f} s", flush=True)
            if args.seed and not Order.objects.exists():
                seed(counts[label], managers=MANAGERS)
            places[label] = place_read(today)
        rows = rows_make(pages, places)
        # A page that fails is shown in the table with its error, not with a traceback.
        logging.getLogger("django.request").setLevel(logging.CRITICAL)
        if args.smoke:
            measure(rows, warmup=2, repeat=0, budget=0, cap=args.cap)
            missed = smoke_report(rows)
        else:
            started = time.perf_counter()
            measure(
                rows,
                warmup=max(1, args.warmup),
                repeat=args.repeat,
                budget=args.budget,
                cap=args.cap,
            )
            print(f"measured in {time.perf_counter() - started:.0f} s")
            missed = report(rows, labels, floor=args.floor, cap=args.cap)
    finally:
        connections_close()
        if not args.keep:
            for name in names.values():
                _server_execute(f'DROP DATABASE IF EXISTS "{name}"')
    if missed:
        print("MISSED:")
        for line in missed:
            print(f"  {line}")
        sys.exit(1)
    print("all targets met")


if __name__ == "__main__":
    main()
