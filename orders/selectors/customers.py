"""Finding clients, and orders by their client, from what a person types."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Replace

from core.phones import phone_for_search
from orders.models import Customer

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
    cleaned: F | Replace = F(field)
    for mark in (" ", "-", "(", ")", "+", "."):
        cleaned = Replace(cleaned, Value(mark), Value(""))
    return cleaned
