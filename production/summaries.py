"""The margin report's roll-up (production_marginday): per local day and product, the
quantity, revenue, cost and number of the lines made, lost orders left out.

Every path that changes what the report counts goes through `margin_lines_count`:
a line made (production.services.line_mark_made) adds it, an order lost (the pipeline's
ON_ENTER of the lost stage) takes its made lines away. Nothing else changes a made line: its
price, quantity and discount are frozen before production starts, its actual cost is
recorded as it is made, and a lost order is never reopened.

The figures are the report's per-line ones: a line's revenue is quantity × price − discount
rounded to kopecks, its cost the actual cost where production recorded one, the standard
unit cost × quantity rounded to kopecks otherwise (rounding half away from zero, as
PostgreSQL's round() does).

bench/seed.py refills the roll-up with SUMMARIES_REBUILD after it seeds, and --check runs
SUMMARIES_CHECK; the migration that made the table ran the same statements.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Model
from django.utils import timezone

from orders.models import CENT, ZERO, LineStatus, Order, OrderLine, Stage
from production.models import MarginDay

TABLE = "production_marginday"


def _company_zone() -> str:
    """The company's time zone, checked to be one (it is written into the statements)."""
    name = settings.TIME_ZONE
    zoneinfo.ZoneInfo(name)
    return name.replace("'", "''")


_SELECT_FROM_LINES = f"""
SELECT (l.made_at AT TIME ZONE '{_company_zone()}')::date AS day, l.product_id,
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

SUMMARIES_TABLES = [TABLE]

SUMMARIES_REBUILD = [
    f"DELETE FROM {TABLE}",
    f"INSERT INTO {TABLE} (day, product_id, quantity, revenue, cost, lines)" + _SELECT_FROM_LINES,
]

# Rows of the roll-up that differ from the lines, either way (a day and product whose lines
# all left, kept with zeros, counts as absent).
SUMMARIES_CHECK = {
    "margin by day and product (production_marginday)": f"""
SELECT count(*) FROM (
    (SELECT day, product_id, quantity, revenue, cost, lines FROM {TABLE} WHERE lines <> 0
     EXCEPT {_SELECT_FROM_LINES})
    UNION ALL
    ({_SELECT_FROM_LINES}
     EXCEPT SELECT day, product_id, quantity, revenue, cost, lines FROM {TABLE})
) differ
"""
}

_UPSERT = f"""
INSERT INTO {TABLE} (day, product_id, quantity, revenue, cost, lines)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (day, product_id) DO UPDATE SET
    quantity = {TABLE}.quantity + excluded.quantity,
    revenue = {TABLE}.revenue + excluded.revenue,
    cost = {TABLE}.cost + excluded.cost,
    lines = {TABLE}.lines + excluded.lines
"""


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


def margin_lines_count(*, lines: Iterable[OrderLine], sign: int = 1) -> None:
    """Add made lines to the roll-up (sign 1) or take them away (sign −1): one upsert per
    day and product, each an atomic increment, so lines of other orders made at the same
    moment never overwrite each other's figures. Lines not made are skipped."""
    assert sign in (1, -1)
    rows = [
        (day, product_id, f.quantity, f.revenue, f.cost, f.lines)
        for (day, product_id), f in sorted(_by_day_and_product(lines, sign).items())
    ]
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(_UPSERT, rows)


def margin_order_lost(*, order: Order) -> None:
    """The order is lost: its made lines leave the report (one query for the lines, one
    upsert per day and product). Caller holds the order's lock, so no line of it is made
    meanwhile."""
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


def margin_days_rebuild(
    *, line_model: type[Model] = OrderLine, day_model: type[Model] = MarginDay
) -> None:
    """Refill the roll-up from the lines: the statements above on PostgreSQL, the same
    figures computed here elsewhere (SQLite). Takes the models so that a migration passes
    its historical ones."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for statement in SUMMARIES_REBUILD:
                cursor.execute(statement)
        return
    lines = (
        line_model._default_manager.filter(status=LineStatus.MADE, made_at__isnull=False)
        .exclude(order__stage=Stage.LOST)
        .iterator()
    )
    totals = _by_day_and_product(lines, 1)
    day_model._default_manager.all().delete()
    day_model._default_manager.bulk_create(
        day_model(
            day=day,
            product_id=product_id,
            quantity=f.quantity,
            revenue=f.revenue,
            cost=f.cost,
            lines=f.lines,
        )
        for (day, product_id), f in totals.items()
    )
