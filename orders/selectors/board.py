"""Reads of the board: its columns, their totals, and a column's next cards.

Every function here runs a fixed number of queries, whatever the number of orders (the
tests pin them)."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise

from orders.models import CLOSED_STAGES, OPEN_STAGES, ZERO, BoardCounter, Order, Stage
from orders.selectors.customers import search_condition

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
]


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

    @classmethod
    def from_row(cls, row: dict) -> Card:
        manager = " ".join(
            part for part in (row.pop("manager__first_name"), row.pop("manager__last_name")) if part
        )
        username = row.pop("manager__username")
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
    q: str = ""
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    closed_days: int = 30

    @property
    def uses_counters(self) -> bool:
        """Without a narrowing filter the columns' totals come from the counters."""
        return not (self.overdue or self.q or self.created_from or self.created_to)

    @functools.cached_property
    def search(self) -> Q:
        """Worked out once per board: every column and total reuses it."""
        return search_condition(self.q)

    def orders(self) -> QuerySet[Order]:
        qs = Order.objects.all()
        if self.manager_id is not None:
            qs = qs.filter(manager_id=self.manager_id)
        if self.overdue:
            qs = qs.filter(next_due_at__lt=timezone.now())
        if self.q:
            qs = qs.filter(self.search)
        if self.created_from:
            qs = qs.filter(created_at__date__gte=self.created_from)
        if self.created_to:
            qs = qs.filter(created_at__date__lte=self.created_to)
        return qs


@dataclass(frozen=True)
class Cursor:
    """Keyset position: the last card shown (created_at, id), newest first."""

    created_at: dt.datetime
    id: int

    def __str__(self) -> str:
        return f"{self.created_at.isoformat()}~{self.id}"

    @classmethod
    def parse(cls, raw: str) -> Cursor | None:
        stamp, _sep, pk = (raw or "").rpartition("~")
        moment = parse_datetime(stamp) if stamp else None
        if moment is None or not pk.isdigit():
            return None
        return cls(moment, int(pk))

    def condition(self) -> Q:
        # `created_at <= c` lets PostgreSQL start the index range at the cursor; the rest
        # breaks ties on id. A plain OR alone would walk the index from the top.
        return Q(created_at__lte=self.created_at) & (
            Q(created_at__lt=self.created_at) | Q(id__lt=self.id)
        )


@dataclass
class Column:
    stage: str
    label: str | Promise
    count: int = 0
    total: Decimal = ZERO
    balance: Decimal = ZERO
    cards: list[Card] = field(default_factory=list)
    next_cursor: Cursor | None = None


@dataclass
class Board:
    columns: list[Column]
    closed: list[Column]
    fingerprint: str


def _column_query(stage: str, filters: BoardFilter, after: Cursor | None) -> QuerySet:
    qs = filters.orders().filter(stage=stage)
    if after is not None:
        qs = qs.filter(after.condition())
    return qs.order_by("-created_at", "-id").values(*CARD_VALUES)


def _page(rows: list[dict], limit: int) -> tuple[list[Card], Cursor | None]:
    """One more card than shown was read: it says whether there is a next page."""
    cards = [Card.from_row(row) for row in rows]
    more = len(cards) > limit
    cards = cards[:limit]
    return cards, (Cursor(cards[-1].created_at, cards[-1].id) if more and cards else None)


def column_cards(
    *, stage: str, filters: BoardFilter, after: Cursor | None = None, limit: int = COLUMN_PAGE
) -> tuple[list[Card], Cursor | None]:
    """One column's next cards, newest first, by keyset (never OFFSET): one query."""
    return _page(list(_column_query(stage, filters, after)[: limit + 1]), limit)


def board_cards(
    *, stages: list[str], filters: BoardFilter, limit: int = COLUMN_PAGE
) -> dict[str, tuple[list[Card], Cursor | None]]:
    """The first cards of every column. On PostgreSQL one query: a UNION ALL of one
    index-ordered LIMIT per stage; elsewhere one query per column."""
    if not stages:
        return {}
    queries = [_column_query(stage, filters, None)[: limit + 1] for stage in stages]
    if connection.features.supports_slicing_ordering_in_compound and len(queries) > 1:
        rows = list(queries[0].union(*queries[1:], all=True))
    else:
        rows = [row for query in queries for row in query]
    by_stage: dict[str, list[dict]] = {stage: [] for stage in stages}
    for row in rows:
        by_stage[row["stage"]].append(row)
    for cards in by_stage.values():
        cards.sort(key=lambda row: (row["created_at"], row["id"]), reverse=True)
    return {stage: _page(cards, limit) for stage, cards in by_stage.items()}


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


def _filtered_totals(filters: BoardFilter) -> dict[str, BoardCounter]:
    """A narrowed board (overdue, search, period) counts its own orders: one query."""
    rows = (
        # The plugin takes the "balance" annotation for Order.balance; after values() they
        # do not meet.
        filters.orders()  # type: ignore[no-redef]
        .filter(stage__in=OPEN_STAGES)
        .order_by()
        .values("stage")
        .annotate(
            n=Count("id"),
            total=Sum("total_amount"),
            balance=Sum(F("total_amount") - F("paid_amount")),
        )
    )
    return {
        row["stage"]: BoardCounter(
            stage=row["stage"],
            manager_key=0,
            orders=row["n"],
            total=row["total"] or ZERO,
            balance=row["balance"] or ZERO,
        )
        for row in rows
    }


def _closed_totals(filters: BoardFilter) -> dict[str, BoardCounter]:
    """Won and lost in the chosen period, from the partial index on closed orders."""
    since = timezone.now() - dt.timedelta(days=filters.closed_days)
    rows = (
        filters.orders()
        .filter(stage__in=CLOSED_STAGES, stage_changed_at__gte=since)
        .order_by()
        .values("stage")
        # Count("stage"), not the id: every column read is in the covering index.
        .annotate(n=Count("stage"), total=Sum("total_amount"))
    )
    return {
        row["stage"]: BoardCounter(
            stage=row["stage"], manager_key=0, orders=row["n"], total=row["total"] or ZERO
        )
        for row in rows
    }


def order_list_for_board(*, filters: BoardFilter) -> Board:
    """The board: counters (1 query, plus 1 aggregate when narrowed), every open column's
    first cards (1), won/lost of the period (1)."""
    columns, fingerprint = board_columns(filters=filters, stages=list(OPEN_STAGES))
    closed_totals = _closed_totals(filters)
    closed = []
    for stage in CLOSED_STAGES:
        counted = closed_totals.get(stage)
        closed.append(
            Column(
                stage=stage,
                label=Stage(stage).label,
                count=counted.orders if counted else 0,
                total=counted.total if counted else ZERO,
            )
        )
    return Board(columns=columns, closed=closed, fingerprint=fingerprint)


def board_columns(*, filters: BoardFilter, stages: list[str]) -> tuple[list[Column], str]:
    """Open columns with their counts and first cards, only those of `stages` read (a move
    re-renders the two it touched): counters (1, plus 1 aggregate when narrowed) and the
    cards (1). Returns them with the board's fingerprint."""
    counters, fingerprint = board_counters(filters)
    totals = counters if filters.uses_counters else _filtered_totals(filters)
    cards = board_cards(stages=stages, filters=filters)
    columns = []
    for stage in stages:
        column = Column(stage=stage, label=Stage(stage).label)
        counted = totals.get(stage)
        if counted is not None:
            column.count, column.total, column.balance = (
                counted.orders,
                counted.total,
                counted.balance,
            )
        column.cards, column.next_cursor = cards[stage]
        columns.append(column)
    return columns, fingerprint
