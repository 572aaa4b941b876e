"""Reads of the board: its columns, their totals, and a column's next cards.

Every function here runs a fixed number of queries, whatever the number of orders (the
tests pin them)."""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import Promise

from core.keyset import keyset_parse
from orders.models import (
    CENT,
    CLOSED_STAGES,
    OPEN_STAGES,
    ZERO,
    BoardCounter,
    ClosedDayCounter,
    Order,
    Stage,
    Task,
    TaskKind,
    TaskStatus,
)
from orders.selectors import customers
from orders.selectors.customers import search_condition
from orders.selectors.tasks import COUNT_CAP

# Cards per column on the board and per "more": enough to fill a laptop screen, while the
# whole default board stays under 100 KB and 1,500 elements.
COLUMN_PAGE = 12
CLOSED_PERIOD_DAYS = (7, 30, 90, 365)
CARD_VALUES = [
    "id",
    "number",
    "stage",
    "currency",
    "total_amount",
    "paid_amount",
    "prepayment_amount",
    "lines_count",
    "lines_made",
    "next_due_at",
    "created_at",
    "customer__name",
    "manager__username",
    "manager__first_name",
    "manager__last_name",
    "client_since",
    "promised_date",
    "at_risk_since",
    "at_risk_reason",
    # Annotations last: the SELECT lists them after the columns (the raw UNION reads by
    # position).
    "steps_done",
    "steps_total",
]

# A card in production: its production tasks done and all (one per line, or one per
# operation of a routing; cancelled ones left out). Counted on the tasks' order index for
# the rows a column returns only: the board keeps its number of queries.
_STEPS = (
    Task.objects.filter(order_id=OuterRef("pk"), kind=TaskKind.PRODUCE_LINE)
    .exclude(status=TaskStatus.CANCELLED)
    .order_by()
    .values("order_id")
)


def _steps(tasks: QuerySet) -> Case:
    counted = Subquery(tasks.annotate(n=Count("id")).values("n"), output_field=IntegerField())
    return Case(
        When(stage=Stage.PRODUCTION, then=Coalesce(counted, Value(0))),
        default=Value(0),
        output_field=IntegerField(),
    )


STEP_COUNTS = {
    "steps_done": _steps(_STEPS.filter(status=TaskStatus.DONE)),
    "steps_total": _steps(_STEPS),
}


@dataclass(slots=True)
class Card:
    """What a board card shows. Plain values, not model instances: a board has up to a
    hundred cards, and building an Order (with its state machine) for each costs more than
    the whole query."""

    id: int
    number: str
    stage: str
    currency: str
    total_amount: Decimal
    paid_amount: Decimal
    prepayment_amount: Decimal
    lines_count: int
    lines_made: int
    next_due_at: dt.datetime | None
    created_at: dt.datetime
    customer_name: str
    manager_name: str
    client_since: dt.datetime | None = None  # waiting on the client since (orders.clocks)
    promised_date: dt.date | None = None
    at_risk_since: dt.datetime | None = None  # the schedule says it will miss the promise
    at_risk_reason: dict[str, Any] | None = None  # a core.texts.Msg's data (why)
    steps_done: int = 0  # production tasks (operations) done, in production
    steps_total: int = 0

    @classmethod
    def from_row(cls, row: dict) -> Card:
        manager = " ".join(
            part for part in (row.pop("manager__first_name"), row.pop("manager__last_name")) if part
        )
        username = row.pop("manager__username")
        if isinstance(row.get("at_risk_reason"), str):  # a raw UNION reads JSON as text
            row["at_risk_reason"] = json.loads(row["at_risk_reason"])
        return cls(
            customer_name=row.pop("customer__name"), manager_name=manager or username or "—", **row
        )

    @property
    def needs_prepayment(self) -> bool:
        return self.prepayment_amount > 0

    @property
    def balance(self) -> Decimal:
        return self.total_amount - self.paid_amount


@dataclass(frozen=True)
class BoardFilter:
    """What the board shows; it lives in the URL."""

    manager_id: int | None = None  # None: every manager (only with view_all_orders)
    overdue: bool = False
    at_risk: bool = False  # only orders the schedule says will miss their promise
    q: str = ""
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    closed_days: int = 30

    @property
    def uses_counters(self) -> bool:
        """Without a narrowing filter the columns' totals come from the counters."""
        return not (self.overdue or self.at_risk or self.q or self.created_from or self.created_to)

    @property
    def sort_key(self) -> str:
        """Cards by when created (newest first), or by deadline or risk (oldest first)."""
        return "next_due_at" if self.overdue else "at_risk_since" if self.at_risk else "created_at"

    @functools.cached_property
    def _search(self) -> tuple[Q, bool]:
        """Worked out once per board (one query): every column and total reuses it."""
        return search_condition(self.q)

    @property
    def search(self) -> Q:
        return self._search[0]

    @property
    def search_more(self) -> bool:
        """More clients matched the search than the board shows the orders of."""
        return bool(self.q) and self._search[1]

    def orders(self) -> QuerySet[Order]:
        qs = Order.objects.all()
        if self.manager_id is not None:
            qs = qs.filter(manager_id=self.manager_id)
        if self.overdue:
            qs = qs.filter(next_due_at__lt=timezone.now())
        if self.at_risk:
            qs = qs.filter(at_risk_since__isnull=False)
        if self.q:
            qs = qs.filter(self.search)
        # Days of the company's time zone as ranges of created_at, which its indexes serve.
        if self.created_from:
            qs = qs.filter(created_at__gte=_day_start(self.created_from))
        if self.created_to:
            qs = qs.filter(created_at__lt=_day_start(self.created_to + dt.timedelta(days=1)))
        return qs


@dataclass(frozen=True)
class Cursor:
    """Keyset position: the last card shown, by its moment in the board's order and its id.
    The moment is when the order was created (newest first), or on the overdue board its
    deadline (most overdue first), or on the at-risk board when it went at risk."""

    at: dt.datetime
    id: int

    def __str__(self) -> str:
        return f"{self.at.isoformat()}~{self.id}"

    @classmethod
    def parse(cls, raw: str) -> Cursor | None:
        position = keyset_parse(raw)
        return cls(*position) if position else None

    def condition(self, key: str = "created_at") -> Q:
        # `created_at <= c` lets PostgreSQL start the index range at the cursor; the rest
        # breaks ties on id. A plain OR alone would walk the index from the top.
        if key != "created_at":  # oldest first
            later = Q(**{f"{key}__gt": self.at}) | Q(id__gt=self.id)
            return Q(**{f"{key}__gte": self.at}) & later
        return Q(created_at__lte=self.at) & (Q(created_at__lt=self.at) | Q(id__lt=self.id))


@dataclass(frozen=True)
class Totals:
    """A column's count and money. `more`: the count reached COUNT_CAP and stopped there
    (a narrowed board), so the column has more orders than it says and no sums."""

    orders: int
    total: Decimal = ZERO
    balance: Decimal = ZERO
    more: bool = False


@dataclass
class Column:
    stage: str
    label: str | Promise
    count: int = 0
    total: Decimal = ZERO
    balance: Decimal = ZERO
    more: bool = False
    cards: list[Card] = field(default_factory=list)
    next_cursor: Cursor | None = None

    def counted(self, totals: Totals | None) -> None:
        if totals is not None:
            self.count, self.total, self.balance = totals.orders, totals.total, totals.balance
            self.more = totals.more


@dataclass
class Board:
    columns: list[Column]
    closed: list[Column]
    fingerprint: str
    # The search matched more clients than it keeps: the board shows this many best ones'.
    search_capped_at: int | None = None


def _column_query(stage: str, filters: BoardFilter, after: Cursor | None) -> QuerySet:
    qs = filters.orders().filter(stage=stage).annotate(**STEP_COUNTS)
    if after is not None:
        qs = qs.filter(after.condition(filters.sort_key))
    if filters.sort_key != "created_at":
        # Most overdue (or longest at risk) first, from order_overdue_idx (order_at_risk_idx):
        # a column reads the cards it shows, not every order it passes until enough match.
        return qs.order_by(filters.sort_key, "id").values(*CARD_VALUES)
    return qs.order_by("-created_at", "-id").values(*CARD_VALUES)


def _sort(rows: list[dict], filters: BoardFilter) -> None:
    """Into the order _column_query reads them in (a UNION ALL keeps no order)."""
    key = filters.sort_key
    rows.sort(key=lambda row: (row[key], row["id"]), reverse=key == "created_at")


def _page(rows: list[dict], limit: int, filters: BoardFilter) -> tuple[list[Card], Cursor | None]:
    """One more card than shown was read: it says whether there is a next page."""
    cards = [Card.from_row(row) for row in rows]
    more = len(cards) > limit
    cards = cards[:limit]
    if not (more and cards):
        return cards, None
    last = cards[-1]
    at = getattr(last, filters.sort_key)
    return cards, (Cursor(at, last.id) if at is not None else None)


def column_cards(
    *, stage: str, filters: BoardFilter, after: Cursor | None = None, limit: int = COLUMN_PAGE
) -> tuple[list[Card], Cursor | None]:
    """One column's next cards in the board's order, by keyset (never OFFSET): one query."""
    return _page(list(_column_query(stage, filters, after)[: limit + 1]), limit, filters)


def board_cards(
    *, stages: list[str], filters: BoardFilter, limit: int = COLUMN_PAGE
) -> dict[str, tuple[list[Card], Cursor | None]]:
    """The first cards of every column. On PostgreSQL one query: a UNION ALL of one
    index-ordered LIMIT per stage; elsewhere one query per column."""
    if not stages:
        return {}
    if connection.features.supports_slicing_ordering_in_compound and len(stages) > 1:
        parts = _per_stage(_column_query(STAGE_MARK, filters, None)[: limit + 1], stages)
        rows = []
        if parts:
            with connection.cursor() as cursor:
                cursor.execute(
                    " UNION ALL ".join(f"({sql})" for sql, _params in parts),
                    [param for _sql, params in parts for param in params],
                )
                rows = [dict(zip(CARD_VALUES, row, strict=True)) for row in cursor.fetchall()]
    else:
        queries = [_column_query(stage, filters, None)[: limit + 1] for stage in stages]
        rows = [row for query in queries for row in query]
    by_stage: dict[str, list[dict]] = {stage: [] for stage in stages}
    for row in rows:
        by_stage[row["stage"]].append(row)
    for cards in by_stage.values():
        _sort(cards, filters)
    return {stage: _page(cards, limit, filters) for stage, cards in by_stage.items()}


# Stands for the stage while a column's query is compiled once for every column: Django
# takes ~0.7 ms to compile one column's query, and the board has seven.
STAGE_MARK = "\x00stage"


def _per_stage(query: QuerySet, stages: list[str]) -> list[tuple[str, list]]:
    """The SQL and parameters of `query` (built for STAGE_MARK) for each stage; none when
    the query can match nothing (a search that found no client)."""
    try:
        sql, params = query.query.sql_with_params()
    except EmptyResultSet:
        return []
    if list(params).count(STAGE_MARK) != 1:
        raise ValueError("the query names the stage other than once")
    return [
        (sql, [stage if param == STAGE_MARK else param for param in params]) for stage in stages
    ]


def board_counters(filters: BoardFilter) -> tuple[dict[str, BoardCounter], str]:
    """Per-stage totals of the chosen manager(s), summed from the counters' few rows, and a
    fingerprint that changes whenever any of those orders is written: one query."""
    rows = BoardCounter.objects.all()
    if filters.manager_id is not None:
        rows = rows.filter(manager_key=filters.manager_id)
    totals: dict[str, BoardCounter] = {}
    versions = 0
    for row in rows.only("stage", "orders", "total", "balance", "version"):
        versions += row.version
        seen = totals.setdefault(row.stage, BoardCounter(stage=row.stage, manager_key=0))
        seen.orders += row.orders
        seen.total += row.total
        seen.balance += row.balance
    return totals, str(versions)


def board_fingerprint(filters: BoardFilter) -> str:
    _totals, fingerprint = board_counters(filters)
    return fingerprint


def _number(value) -> Decimal:
    """A sum as the database returns it as money (SQLite adds money as floats)."""
    if value is None:
        return ZERO
    return (value if isinstance(value, Decimal) else Decimal(str(value))).quantize(CENT)


def _capped_totals(filters: BoardFilter, stages: list[str]) -> dict[str, Totals]:
    """A narrowed board (overdue, search, period) counts its own orders, in each column up
    to COUNT_CAP + 1 of them, so a filter that matches half the company reads no more than
    one that matches a few: one query, a UNION ALL of one limited count per column, each
    from an index (overdue: order_overdue_idx). Won and lost are those of the period."""
    since = _closed_since(filters)
    totals: dict[str, Totals] = {}
    counted_stages = [s for s in stages if s in OPEN_STAGES or filters.sort_key == "created_at"]
    for stage in set(stages) - set(counted_stages):
        # A won or lost order has no deadline left to miss, nor a promise to break.
        totals[stage] = Totals(orders=0)
    parts, params = [], []
    for group in (OPEN_STAGES, CLOSED_STAGES):
        group_stages = [stage for stage in counted_stages if stage in group]
        if not group_stages:
            continue
        rows = filters.orders().filter(stage=STAGE_MARK)
        if group is CLOSED_STAGES:
            rows = rows.filter(stage_changed_at__gte=since)
        limited = rows.order_by().values_list("total_amount", "paid_amount")[: COUNT_CAP + 1]
        per_stage = _per_stage(limited, group_stages)
        if not per_stage:
            continue  # nothing can match: the columns count none
        for stage, (sql, values) in zip(group_stages, per_stage, strict=True):
            parts.append(
                "SELECT %s, COUNT(*), SUM(t.total_amount),"
                f" SUM(t.total_amount - t.paid_amount) FROM ({sql}) t"
            )
            params += [stage, *values]
    if not parts:
        return totals
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        counted = cursor.fetchall()
    for stage, orders, total, balance in counted:
        if orders > COUNT_CAP:
            # Past the cap the sums would be of an arbitrary part: shown as "1,000+", no sum.
            totals[stage] = Totals(orders=COUNT_CAP, more=True)
        else:
            totals[stage] = Totals(orders=orders, total=_number(total), balance=_number(balance))
    return totals


def _closed_since(filters: BoardFilter) -> dt.datetime:
    """The start of the first day of "the last N days": today and the N - 1 before, in the
    company's time zone, as the closed-day counters count them."""
    first = timezone.localdate() - dt.timedelta(days=filters.closed_days - 1)
    return _day_start(first)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _closed_totals(filters: BoardFilter) -> dict[str, Totals]:
    """Won and lost in the chosen period, summed from the closed-day counters: at most
    days × 2 × managers rows, whatever the number of orders closed: one query."""
    first = timezone.localdate() - dt.timedelta(days=filters.closed_days - 1)
    rows = ClosedDayCounter.objects.filter(day__gte=first)
    if filters.manager_id is not None:
        rows = rows.filter(manager_key=filters.manager_id)
    counted = rows.order_by().values("stage").annotate(n=Sum("orders"), total=Sum("total"))
    return {
        row["stage"]: Totals(orders=row["n"] or 0, total=_number(row["total"])) for row in counted
    }


def order_list_for_board(*, filters: BoardFilter) -> Board:
    """The board: counters (1 query), every open column's first cards (1), won/lost of the
    period from the closed-day counters (1). A narrowed board counts every column, won and
    lost included, in one capped count instead (1), after its search's clients (1)."""
    stages: list[str] = [*OPEN_STAGES, *([] if filters.uses_counters else CLOSED_STAGES)]
    columns, fingerprint, totals = _columns(filters=filters, stages=stages)
    if filters.uses_counters:
        totals = _closed_totals(filters)
    closed = []
    for stage in CLOSED_STAGES:
        column = Column(stage=stage, label=Stage(stage).label)
        column.counted(totals.get(stage))
        closed.append(column)
    return Board(
        columns=columns,
        closed=closed,
        fingerprint=fingerprint,
        search_capped_at=customers.SEARCH_CLIENTS if filters.search_more else None,
    )


def board_columns(*, filters: BoardFilter, stages: list[str]) -> tuple[list[Column], str]:
    """Open columns with their counts and first cards, only those of `stages` read (a move
    re-renders the two it touched): counters (1, plus 1 capped count when narrowed) and
    the cards (1). Returns them with the board's fingerprint."""
    columns, fingerprint, _totals = _columns(filters=filters, stages=stages)
    return columns, fingerprint


def _columns(
    *, filters: BoardFilter, stages: list[str]
) -> tuple[list[Column], str, dict[str, Totals]]:
    """The open columns among `stages`, the fingerprint, and the totals of every stage
    asked (a narrowed board counts the closed ones in the same query)."""
    counters, fingerprint = board_counters(filters)
    if filters.uses_counters:
        totals = {
            stage: Totals(orders=row.orders, total=row.total, balance=row.balance)
            for stage, row in counters.items()
        }
    else:
        totals = _capped_totals(filters, stages)
    open_stages = [stage for stage in stages if stage in OPEN_STAGES]
    cards = board_cards(stages=open_stages, filters=filters)
    columns = []
    for stage in open_stages:
        column = Column(stage=stage, label=Stage(stage).label)
        column.counted(totals.get(stage))
        column.cards, column.next_cursor = cards[stage]
        columns.append(column)
    return columns, fingerprint, totals
