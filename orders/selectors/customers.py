"""Finding clients, and orders by their client, from what a person types.

Every search reads a bounded number of rows, however many clients match: the clients are
ranked (exact name, e-mail or phone first, then names starting with the words typed, then
names, companies, e-mails and phones containing them, newest client first in each group)
and cut at a limit, each group read from its index (migrations 0005 and 0016)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Replace, StrIndex, Upper
from django.db.models.lookups import GreaterThan

from core.phones import phone_for_search, phone_prefixes
from orders.models import Customer, Order

# The board's search shows the orders of at most this many clients, the best matches:
# enough to fill its columns, few enough that their orders are a few index probes.
SEARCH_CLIENTS = 50
# The new-order form lists this many clients.
PICKER_CLIENTS = 8
# Exact, then starting with the query, then containing it.
EXACT, PREFIX, CONTAINS, NUMBER = 0, 1, 2, 3
FIELDS = ("pk", "name", "company", "email", "phone")
NUMBER_START = re.compile(r"[0-9-]+")
# What pg_trgm takes for a word: letters and digits.
WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Found:
    """Clients matching a query, best first, and whether more matched than were kept."""

    customers: list[Customer]
    more: bool

    @property
    def ids(self) -> list[int]:
        return [customer.pk for customer in self.customers]


def search_condition(q: str) -> tuple[Q, bool]:
    """Orders of the best SEARCH_CLIENTS clients for q, or whose number starts with q (at
    most SEARCH_CLIENTS of those too), looked up in one query; and whether more matched
    than were kept. The orders are then picked by those ids from the order indexes, never
    by testing every order's client or number."""
    q = q.strip()
    numbers = bool(NUMBER_START.fullmatch(q))
    found, orders = _ranked(q, limit=SEARCH_CLIENTS, numbers=numbers)
    condition = Q(customer_id__in=found.ids)
    if numbers:
        if orders is None:  # SQLite: no separate look-up
            condition |= Q(number__istartswith=q)
        else:
            condition |= Q(id__in=orders[:SEARCH_CLIENTS])
    more = found.more or (orders is not None and len(orders) > SEARCH_CLIENTS)
    return condition, more


def customers_ranked(q: str, *, limit: int = PICKER_CLIENTS) -> Found:
    """The best `limit` clients for q, in one query that reads at most 3 × (limit + 1)
    clients: on PostgreSQL a UNION ALL of the exact matches, the names starting with q (in
    the order of their index, which stops after limit + 1) and the clients containing q
    (trigram indexes, or the table read until enough are found when q is common)."""
    found, _orders = _ranked(q, limit=limit, numbers=False)
    return found


def _ranked(q: str, *, limit: int, numbers: bool) -> tuple[Found, list[int] | None]:
    """The clients for q and, with `numbers`, the ids of orders whose number starts with q
    (PostgreSQL; None elsewhere): one query."""
    q = q.strip()
    if not q:
        return Found([], False), []
    orders: list[int] | None = None
    if connection.vendor == "postgresql":
        starting = [
            _starting(q, "name").order_by(NAME_C),
            _starting(q, "email").order_by(EMAIL_C),
        ]
        phones = _phone_starting(q)
        if phones is not None:
            starting.append(phones.order_by())
        # Read only when no e-mail or phone is q and neither the names, the e-mails nor
        # the phones starting with q fill the list: "Иван", "ivan@" and "912 34" are
        # answered from the btrees of their starts, before a trigram index lists every
        # Иван, every e-mail at example.com or every phone holding 91234.
        containing = customers_matching(q).filter(~Exists(_exact(q, names=False)))
        for group in starting:
            containing = containing.filter(~Exists(group.order_by()[limit:]))
        groups = [
            _exact(q).order_by().annotate(rank=Value(EXACT)),
            *(group.annotate(rank=Value(PREFIX)) for group in starting),
            containing.order_by().annotate(rank=Value(CONTAINS)),
        ]
        parts = [group.values(*FIELDS, "rank")[: limit + 1] for group in groups]
        if numbers:
            # Orders by the start of their number (order_number_upper_prefix), in the same
            # union: their ids stand where a client's would, with rank NUMBER.
            blank = Value("", output_field=CharField())
            parts.append(
                Order.objects.filter(number__istartswith=q)
                .order_by()
                .annotate(company=blank, email=blank, phone=blank, rank=Value(NUMBER))
                .values("pk", "number", "company", "email", "phone", "rank")[: limit + 1]
            )
        rows = list(parts[0].union(*parts[1:], all=True))
        orders = [row["pk"] for row in rows if row["rank"] == NUMBER]
        rows = [row for row in rows if row["rank"] != NUMBER]
    else:
        # SQLite cannot cut each part of a union: one ranked query over the matches.
        phones = _phone_starting(q)
        started = _starting(q, "name") | _starting(q, "email")
        if phones is not None:
            started |= phones
        rank = Case(
            When(pk__in=_exact(q).values("pk"), then=Value(EXACT)),
            When(pk__in=started.values("pk"), then=Value(PREFIX)),
            default=Value(CONTAINS),
            output_field=IntegerField(),
        )
        matching = Q(pk__in=customers_matching(q).values("pk"))
        if phones is not None:
            matching |= Q(pk__in=phones.values("pk"))
        rows = list(
            Customer.objects.filter(matching)
            .annotate(rank=rank)
            .order_by("rank", "name", "pk")
            .values(*FIELDS, "rank")[: 3 * (limit + 1)]
        )
    # Stable: within a rank the database's order (names starting with q alphabetically).
    rows.sort(key=lambda row: row["rank"])
    best: dict[int, dict] = {}
    for row in rows:
        best.setdefault(row["pk"], row)
    kept = list(best.values())
    more = len(kept) > limit or any(
        sum(1 for row in rows if row["rank"] == rank) > limit for rank in (EXACT, PREFIX, CONTAINS)
    )
    customers = [
        Customer(id=row["pk"], **{key: row[key] for key in FIELDS[1:]}) for row in kept[:limit]
    ]
    return Found(customers, more), orders


# Names and e-mails upper-cased in the C collation: the indexes customer_name_upper_c
# (migration 0016) and customer_email_upper_c (0017) serve equality, a LIKE on their start
# and their order, so a search stops after the clients it shows. (Django's __istartswith
# compares in the database's collation, which no btree serves both for LIKE and order;
# the trigram index on e-mails answers an equality by reading the posting lists of
# "exa", "com"…, every client's.)
NAME_C = RawSQL('UPPER("orders_customer"."name"::text) COLLATE "C"', [])
EMAIL_C = RawSQL('UPPER("orders_customer"."email"::text) COLLATE "C"', [])
UPPER_C = {"name": NAME_C, "email": EMAIL_C}


def _like_start(q: str) -> str:
    return q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _exact(q: str, *, names: bool = True) -> QuerySet[Customer]:
    """Clients whose name (with `names`), e-mail or phone is q."""
    if connection.vendor == "postgresql":
        condition = Q()
        for field, expression in UPPER_C.items():
            if field == "name" and not names:
                continue
            condition |= Q(
                RawSQL(f"{expression.sql} = UPPER(%s)", [q], output_field=BooleanField())
            )
    else:
        condition = Q(email__iexact=q)
        if names:
            condition |= Q(name__iexact=q)
    phone = phone_for_search(q)
    if phone:
        condition |= Q(phone=phone)
    return Customer.objects.filter(condition)


def _starting(q: str, field: str) -> QuerySet[Customer]:
    if connection.vendor == "postgresql":
        like = f"{UPPER_C[field].sql} LIKE UPPER(%s)"
        return Customer.objects.filter(RawSQL(like, [_like_start(q)], output_field=BooleanField()))
    return Customer.objects.filter(**{f"{field}__istartswith": q})


def _phone_starting(q: str) -> QuerySet[Customer] | None:
    """Clients whose stored phone starts as the typed part of one can (core.phones), from
    the phone's pattern index; None when q is no start of a phone."""
    starts = phone_prefixes(q)
    if not starts:
        return None
    condition = Q()
    for start in starts:
        condition |= Q(phone__startswith=start)
    return Customer.objects.filter(condition)


def customers_matching(q: str) -> QuerySet[Customer]:
    """Clients whose name, company or e-mail contains q, or whose phone is q or holds its
    digits. A whole phone, however typed ("8 900 …", "+7 900 …"), is compared with the
    stored E.164 form; part of one is compared digit by digit (the last ten, so the +7 and
    8 prefixes match alike), which also finds old phones kept as they were typed."""
    q = q.strip()
    condition = _contains("name", q) | _contains("company", q) | _contains("email", q)
    phone = phone_for_search(q)
    if phone:
        condition |= Q(phone=phone)
    customers = Customer.objects.all()
    digits = "".join(ch for ch in q if ch.isdigit())
    if len(digits) >= 5:
        customers = customers.annotate(phone_digits=phone_digits("phone"))
        condition |= Q(phone_digits__contains=digits[-10:])
    return customers.filter(condition)


def _contains(field: str, q: str) -> Q:
    """`field` contains q, whatever the case. pg_trgm splits q into words at every mark
    and reads the trigram index's list of each word's trigrams: for "nt123@ex" also the
    list of "ex", which holds every client at example.com, so the cost grew with the
    clients. The index is asked for q's longest word only, and the whole of q is then
    checked on the rows it found (strpos, which no index serves)."""
    words = WORD.findall(q)
    longest = max(words, key=len, default="")
    if len(longest) < 3 or len(longest) == len(q):
        return Q(**{f"{field}__icontains": q})
    whole = StrIndex(Upper(F(field)), Upper(Value(q, output_field=CharField())))
    return Q(**{f"{field}__icontains": longest}) & Q(GreaterThan(whole, 0))


def phone_digits(field: str):
    cleaned: F | Replace = F(field)
    for mark in (" ", "-", "(", ")", "+", "."):
        cleaned = Replace(cleaned, Value(mark), Value(""))
    return cleaned
