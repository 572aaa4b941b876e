"""Reads of the sales workspace: the board, a column's next cards, the order page, my tasks.

Every function here runs a fixed number of queries, whatever the number of orders, lines,
tasks or events (the tests pin them)."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Replace
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_fsm import Transition

from core.phones import phone_for_search
from orders import roles
from orders.assignment import DEPARTMENT_GROUPS
from orders.models import (
    CLOSED_STAGES,
    OPEN_STAGES,
    ZERO,
    BoardCounter,
    Customer,
    Order,
    Stage,
    Task,
    TaskStatus,
)

User = get_user_model()

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


# ----------------------------------------------------------------------------- access


def can_see_all_orders(user: AbstractBaseUser) -> bool:
    return user.has_perm("orders.view_all_orders")


def can_see_money(user: AbstractBaseUser) -> bool:
    return user.has_perm("orders.view_money")


def can_change_order(user: AbstractBaseUser, order: Order) -> bool:
    """Managers change their own orders; the head of sales everyone's."""
    if not user.has_perm("orders.change_order"):
        return False
    return order.manager_id == user.pk or can_see_all_orders(user)


def can_use_board(user: AbstractBaseUser) -> bool:
    return user.has_perm("orders.view_order")


# ----------------------------------------------------------------------------- the funnel


@functools.cache
def _transitions() -> tuple[Transition, ...]:
    """The funnel as declared on the model; it never changes while the process runs."""
    return tuple(Order._meta.get_field("stage").get_all_transitions(Order))


def manual_targets(order: Order | Card) -> list[str]:
    """Columns this order may be dragged to by hand (cancelling needs a reason, so it is
    done on the order page). Qualification goes where the payment scheme sends it."""
    targets = []
    stage = order.stage
    for transition in _transitions():
        if transition.source != stage or not transition.custom.get("manual"):
            continue
        if transition.target == Stage.LOST:
            continue
        if transition.name == "qualify_for_prepayment" and not order.needs_prepayment:
            continue
        if transition.name == "qualify_for_production" and order.needs_prepayment:
            continue
        targets.append(transition.target)
    return targets


def transition_between(source: str, target: str) -> Transition | None:
    for transition in _transitions():
        if transition.source == source and transition.target == target:
            return transition
    return None


# ----------------------------------------------------------------------------- board


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


# A search matching more clients than this is left to the database as a subquery.
SEARCH_CLIENTS_LISTED = 500


def search_condition(q: str) -> Q:
    """Orders whose number starts with q, or whose client matches it. The clients are
    looked up first, in one query that PostgreSQL answers from trigram indexes (migration
    0005); the orders are then picked by their clients' ids from the order index, instead
    of every order's client being tested row by row in every column."""
    q = q.strip()
    customers = customers_matching(q).order_by().values_list("pk", flat=True)
    ids = list(customers[: SEARCH_CLIENTS_LISTED + 1])
    if len(ids) > SEARCH_CLIENTS_LISTED:
        return Q(number__istartswith=q) | Q(customer__in=customers)
    return Q(number__istartswith=q) | Q(customer_id__in=ids)


def customers_matching(q: str) -> QuerySet[Customer]:
    """Clients whose name, company or e-mail contains q, or whose phone is q or holds its
    digits. A whole phone, however typed ("8 900 …", "+7 900 …"), is compared with the
    stored E.164 form; part of one is compared digit by digit (the last ten, so the +7 and
    8 prefixes match alike), which also finds old phones kept as they were typed."""
    q = q.strip()
    condition = Q(name__icontains=q) | Q(company__icontains=q) | Q(email__icontains=q)
    phone = phone_for_search(q)
    if phone:
        condition |= Q(phone=phone)
    customers = Customer.objects.all()
    digits = "".join(ch for ch in q if ch.isdigit())
    if len(digits) >= 5:
        customers = customers.annotate(phone_digits=phone_digits("phone"))
        condition |= Q(phone_digits__contains=digits[-10:])
    return customers.filter(condition)


def phone_digits(field: str):
    cleaned = F(field)
    for mark in (" ", "-", "(", ")", "+", "."):
        cleaned = Replace(cleaned, Value(mark), Value(""))
    return cleaned


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
    label: str
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
        filters.orders()
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
    counters, fingerprint = board_counters(filters)
    totals = counters if filters.uses_counters else _filtered_totals(filters)
    cards = board_cards(stages=list(OPEN_STAGES), filters=filters)
    columns = []
    for stage in OPEN_STAGES:
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


def managers_queryset() -> QuerySet:
    """Everyone who can own orders: active sales managers and heads of sales."""
    return (
        User.objects.filter(
            is_active=True, groups__name__in=[roles.SALES_MANAGERS, roles.HEAD_OF_SALES]
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def managers_for_filter() -> list[AbstractBaseUser]:
    return list(managers_queryset())


def departments_headed(user: AbstractBaseUser) -> list[str]:
    """The departments whose tasks this person may reassign (kept on the user object for
    the request, as Django keeps permissions)."""
    cached = getattr(user, "_departments_headed", None)
    if cached is not None:
        return cached
    headed: list[str] = []
    if user.has_perm("orders.reassign_task"):
        groups = {group.name for group in user.groups.all()}
        headed = [
            department
            for department, head_group in roles.DEPARTMENT_HEADS.items()
            if head_group in groups or user.is_superuser
        ]
    user._departments_headed = headed
    return headed


def task_candidates(departments: list[str]) -> dict[str, list[AbstractBaseUser]]:
    """Active people of each department (and its heads), in one query."""

    wanted = {}
    for department in departments:
        for group in (DEPARTMENT_GROUPS.get(department), roles.DEPARTMENT_HEADS[department]):
            if group:
                wanted.setdefault(group, set()).add(department)
    if not wanted:
        return {}
    memberships = (
        User.groups.through.objects.filter(group__name__in=wanted, user__is_active=True)
        .select_related("user", "group")
        .order_by("user__first_name", "user__username")
    )
    found: dict[str, list[AbstractBaseUser]] = {department: [] for department in departments}
    for membership in memberships:
        for department in wanted[membership.group.name]:
            if membership.user not in found[department]:
                found[department].append(membership.user)
    return found


def can_hand_over(user: AbstractBaseUser) -> bool:
    return user.has_perm("orders.view_all_orders") and user.has_perm("orders.reassign_task")


# ----------------------------------------------------------------------------- order page


def order_for_page(number: str) -> Order:
    return Order.objects.select_related("customer", "manager", "carrier").get(number=number)


# ----------------------------------------------------------------------------- my tasks


def task_list_for_user(user: AbstractBaseUser) -> list[Task]:
    """Open tasks of this person, due soonest first: one query."""
    return list(
        Task.objects.filter(assignee=user, status__in=[TaskStatus.OPEN, TaskStatus.IN_PROGRESS])
        .select_related("order", "order__customer", "line")
        .order_by("due_at", "id")
    )


def open_task_count(user: AbstractBaseUser) -> int:
    return Task.objects.open().filter(assignee=user).count()
