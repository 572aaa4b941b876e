"""The margin report's roll-ups: per local day and product (production_marginday) and per
calendar month and product (production_marginmonth), the quantity, revenue, cost and number
of the lines made, lost orders left out.

Every path that changes what the report counts goes through `margin_lines_count`:
a line made (production.services.line_mark_made) adds it, an order lost (the pipeline's
ON_ENTER of the lost stage) or deleted in the admin takes its made lines away. Nothing else
changes a made line: its price, quantity and discount are frozen before production starts
(the admin edits lines of new and qualifying orders only), its actual cost is recorded as
it is made, and a lost order is never reopened.

The figures are the report's per-line ones: a line's revenue is quantity × price − discount
rounded to kopecks, its cost the actual cost where production recorded one, the standard
unit cost × quantity rounded to kopecks otherwise (rounding half away from zero, as
PostgreSQL's round() does).

bench/seed.py refills the roll-ups with SUMMARIES_REBUILD after it seeds, and --check runs
SUMMARIES_CHECK; the migrations that made the tables ran the same statements.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from core.zones import company_zone
from orders.models import CENT, ZERO, LineStatus, Order, OrderLine, Stage
from production.models import MarginDay, MarginMonth

DAY_TABLE = "production_marginday"
MONTH_TABLE = "production_marginmonth"
COLUMNS = "product_id, quantity, revenue, cost, lines"


_DAYS_FROM_LINES = f"""
SELECT (l.made_at AT TIME ZONE '{company_zone()}')::date AS day, l.product_id,
    sum(l.quantity) AS quantity,
    sum(round(l.quantity * l.price - l.discount, 2)) AS revenue,
    sum(COALESCE(l.actual_cost, round(COALESCE(l.unit_cost, 0) * l.quantity, 2))) AS cost,
    count(*) AS lines
FROM orders_orderline l
JOIN orders_order o ON o.id = l.order_id
WHERE l.status = '{LineStatus.MADE.value}' AND l.made_at IS NOT NULL
    AND o.stage <> '{Stage.LOST.value}'
GROUP BY 1, 2
"""

_MONTHS_FROM_DAYS = f"""
SELECT date_trunc('month', day)::date AS month, product_id, sum(quantity) AS quantity,
    sum(revenue) AS revenue, sum(cost) AS cost, sum(lines) AS lines
FROM {DAY_TABLE} WHERE lines <> 0
GROUP BY 1, 2
"""

# The migrations fill each table with its own statements (0005 days, 0006 months).
DAYS_REBUILD = [
    f"DELETE FROM {DAY_TABLE}",
    f"INSERT INTO {DAY_TABLE} (day, {COLUMNS})" + _DAYS_FROM_LINES,
]
MONTHS_REBUILD = [
    f"DELETE FROM {MONTH_TABLE}",
    f"INSERT INTO {MONTH_TABLE} (month, {COLUMNS})" + _MONTHS_FROM_DAYS,
]

SUMMARIES_TABLES = [DAY_TABLE, MONTH_TABLE]
SUMMARIES_REBUILD = DAYS_REBUILD + MONTHS_REBUILD


def _differ(stored: str, computed: str) -> str:
    """Rows of a roll-up that differ from what they are computed from, either way (a key
    whose lines all left, kept with zeros, counts as absent)."""
    return f"""
SELECT count(*) FROM (
    ({stored} WHERE lines <> 0 EXCEPT {computed})
    UNION ALL
    ({computed} EXCEPT {stored})
) differ
"""


SUMMARIES_CHECK = {
    "margin by day and product (production_marginday)": _differ(
        f"SELECT day, {COLUMNS} FROM {DAY_TABLE}", _DAYS_FROM_LINES
    ),
    "margin by month and product (production_marginmonth)": _differ(
        f"SELECT month, {COLUMNS} FROM {MONTH_TABLE}", _MONTHS_FROM_DAYS
    ),
}


def _upsert(table: str, key: str) -> str:
    return f"""
INSERT INTO {table} ({key}, {COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT ({key}, product_id) DO UPDATE SET
    quantity = {table}.quantity + excluded.quantity,
    revenue = {table}.revenue + excluded.revenue,
    cost = {table}.cost + excluded.cost,
    lines = {table}.lines + excluded.lines
"""


_UPSERT_DAY = _upsert(DAY_TABLE, "day")
_UPSERT_MONTH = _upsert(MONTH_TABLE, "month")


@dataclass
class Figures:
    quantity: Decimal = ZERO
    revenue: Decimal = ZERO
    cost: Decimal = ZERO
    lines: int = 0

    def add(self, line, sign: int) -> None:
        self.quantity += sign * line.quantity
        self.revenue += sign * line_revenue(line)
        self.cost += sign * line_cost(line)
        self.lines += sign

    def merge(self, other: Figures) -> None:
        self.quantity += other.quantity
        self.revenue += other.revenue
        self.cost += other.cost
        self.lines += other.lines


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def line_revenue(line) -> Decimal:
    return _cents(line.quantity * line.price - line.discount)


def line_cost(line) -> Decimal:
    if line.actual_cost is not None:
        return line.actual_cost
    return _cents((line.unit_cost or ZERO) * line.quantity)


def _by_day_and_product(lines: Iterable, sign: int) -> dict[tuple[dt.date, int], Figures]:
    totals: dict[tuple[dt.date, int], Figures] = {}
    for line in lines:
        if line.status != LineStatus.MADE or line.made_at is None:
            continue
        key = (timezone.localdate(line.made_at), line.product_id)
        totals.setdefault(key, Figures()).add(line, sign)
    return totals


def _by_month(days: dict[tuple[dt.date, int], Figures]) -> dict[tuple[dt.date, int], Figures]:
    months: dict[tuple[dt.date, int], Figures] = {}
    for (day, product_id), figures in days.items():
        month = months.setdefault((day.replace(day=1), product_id), Figures())
        month.merge(figures)
    return months


def _rows(totals: dict[tuple[dt.date, int], Figures]) -> list[tuple]:
    # Sorted: concurrent transactions lock the rows they touch in the same order.
    return [
        (key, product_id, f.quantity, f.revenue, f.cost, f.lines)
        for (key, product_id), f in sorted(totals.items())
    ]


def margin_lines_count(*, lines: Iterable[OrderLine], sign: int = 1) -> None:
    """Add made lines to the roll-ups (sign 1) or take them away (sign −1): one upsert per
    day and product and one per month and product, each an atomic increment, so lines of
    other orders made at the same moment never overwrite each other's figures. Lines not
    made are skipped."""
    assert sign in (1, -1)
    days = _by_day_and_product(lines, sign)
    if days:
        with connection.cursor() as cursor:
            cursor.executemany(_UPSERT_DAY, _rows(days))
            cursor.executemany(_UPSERT_MONTH, _rows(_by_month(days)))


def margin_order_lost(*, order: Order) -> None:
    """The order is lost: its made lines leave the report (one query for the lines, one
    upsert per day and product and per month and product). Caller holds the order's lock,
    so no line of it is made meanwhile."""
    made = OrderLine.objects.filter(order=order, status=LineStatus.MADE).only(
        "product_id",
        "quantity",
        "price",
        "discount",
        "unit_cost",
        "actual_cost",
        "status",
        "made_at",
    )
    margin_lines_count(lines=made, sign=-1)


def margin_order_deleted(*, order: Order) -> None:
    """The order is being deleted (the admin): its made lines leave the report, unless they
    left already when it was lost."""
    if order.stage != Stage.LOST:
        margin_order_lost(order=order)


def _fill(model: type[Model], key: str, totals: dict[tuple[dt.date, int], Figures]) -> None:
    model._default_manager.all().delete()
    model._default_manager.bulk_create(
        model(
            **{key: when},
            product_id=product_id,
            quantity=f.quantity,
            revenue=f.revenue,
            cost=f.cost,
            lines=f.lines,
        )
        for (when, product_id), f in totals.items()
    )


def _run(statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def margin_days_fill(*, line_model: type[Model], day_model: type[Model]) -> None:
    """Refill the days from the lines: DAYS_REBUILD on PostgreSQL, the same figures computed
    here elsewhere (SQLite). Takes the models so that a migration passes its historical
    ones."""
    if connection.vendor == "postgresql":
        _run(DAYS_REBUILD)
        return
    lines = (
        line_model._default_manager.filter(status=LineStatus.MADE, made_at__isnull=False)
        .exclude(order__stage=Stage.LOST)
        .iterator()
    )
    _fill(day_model, "day", _by_day_and_product(lines, 1))


def margin_months_fill(*, day_model: type[Model], month_model: type[Model]) -> None:
    """Refill the months from the days: MONTHS_REBUILD on PostgreSQL, in Python elsewhere."""
    if connection.vendor == "postgresql":
        _run(MONTHS_REBUILD)
        return
    days: dict[tuple[dt.date, int], Figures] = {}
    for day, product_id, *figures in (
        day_model._default_manager.exclude(lines=0)
        .values_list("day", "product_id", "quantity", "revenue", "cost", "lines")
        .iterator()
    ):
        days[(day, product_id)] = Figures(*figures)
    _fill(month_model, "month", _by_month(days))


def margin_days_rebuild() -> None:
    """Refill both roll-ups from the lines (after rows were written around the services,
    as the demo's stories move their moments back)."""
    margin_days_fill(line_model=OrderLine, day_model=MarginDay)
    margin_months_fill(day_model=MarginDay, month_model=MarginMonth)
