"""Which open invoice an incoming bank payment pays: the invoice number in the purpose of
payment first («INV-2026-00016», «сч. INV-2026-00016», «счет № 16»), then the payer's INN
with the exact amount still due. Only one candidate is a match; anything else is left to an
accountant, with suggestions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_noop

from invoices.models import UNPAID_STATUSES, Invoice
from statements.parser import Document

# A bank transfer is in roubles; an invoice in another currency is never matched by it.
CURRENCY = "RUB"
SUGGESTIONS = 3

FULL_NUMBER = re.compile(r"INV\s*[-‐–—_ ]?\s*(\d{4})\s*[-‐–—_ /]\s*(\d{1,5})(?!\d)", re.IGNORECASE)
# «счет № 16», «счёту N16», «сч. 16», «сч.№16», «по счету на оплату № 16», «по счету-оферте
# № 16»; not the «16» of «расчетный счет 4070…» (more than five digits is no invoice's
# number) nor of an amount («счет 16,50»).
SHORT_NUMBER = re.compile(
    r"(?<![а-яёa-z])сч(?:[её]т[а-я]{0,2})?(?:[-‐ ]?(?:оферт|договор)[а-я]{0,2})?\.?\s*"
    r"(?:на\s+оплату\s*)?(?:№|N|#|No\.?)?\s*(\d{1,5})(?!\d|[.,]\d)",
    re.IGNORECASE,
)

BY_NUMBER = gettext_noop("by the invoice number in the purpose")
BY_INN_AND_AMOUNT = gettext_noop("by the payer's INN and the amount due")
NOT_FOUND = gettext_noop(
    "neither an invoice number nor the INN and amount point to one open invoice"
)
SEVERAL = gettext_noop("several open invoices fit; choose one")


def invoice_numbers(purpose: str, year: int) -> list[str]:
    """The invoice numbers a purpose of payment names. A short number («счет № 16») is
    this year's or last year's invoice with that sequence number."""
    found: list[str] = []
    for match in FULL_NUMBER.finditer(purpose):
        found.append(f"INV-{match[1]}-{int(match[2]):05d}")
    for match in SHORT_NUMBER.finditer(purpose):
        seq = int(match[1])
        if seq:
            found += [f"INV-{year}-{seq:05d}", f"INV-{year - 1}-{seq:05d}"]
    return list(dict.fromkeys(found))


def open_invoices() -> QuerySet[Invoice]:
    return Invoice.objects.filter(status__in=UNPAID_STATUSES, currency=CURRENCY).annotate(
        due=F("amount") - F("paid_amount")
    )


@dataclass(frozen=True)
class Match:
    invoice: Invoice | None
    note: str


def invoice_match(document: Document) -> Match:
    """One or two queries: the invoices the purpose names, then those of the payer's INN."""
    numbers = invoice_numbers(document.purpose, document.date.year)
    if numbers:
        named = list(open_invoices().filter(number__in=numbers)[:2])
        if len(named) == 1:
            return Match(named[0], BY_NUMBER)
    if document.payer_inn:
        # Due exactly the amount paid: amount = paid + this payment.
        exact = Q(amount=F("paid_amount") + document.amount)
        fitting = list(open_invoices().filter(exact, order__customer__inn=document.payer_inn)[:2])
        if len(fitting) == 1:
            return Match(fitting[0], BY_INN_AND_AMOUNT)
        if fitting:
            return Match(None, SEVERAL)
    return Match(None, NOT_FOUND)


@dataclass(frozen=True)
class Suggestion:
    invoice: Invoice
    by_number: bool
    by_inn: bool
    by_amount: bool


def suggestions_for(lines: list, *, limit: int = 200) -> dict[int, list[Suggestion]]:
    """Open invoices that may be what each unmatched line pays, best first, in one query:
    named in its purpose, of its payer's INN, or due exactly its amount."""
    if not lines:
        return {}
    numbers = {line.pk: invoice_numbers(line.purpose, line.date.year) for line in lines}
    inns = {line.payer_inn for line in lines if line.payer_inn}
    amounts = {line.amount for line in lines}
    wanted = Q(due__in=amounts) | Q(number__in=[n for ns in numbers.values() for n in ns])
    if inns:
        wanted |= Q(order__customer__inn__in=inns)
    candidates = list(
        open_invoices()
        .filter(wanted)
        .select_related("order__customer")
        .order_by("due_date", "id")[:limit]
    )
    found: dict[int, list[Suggestion]] = {}
    for line in lines:
        scored = []
        for invoice in candidates:
            suggestion = Suggestion(
                invoice=invoice,
                by_number=invoice.number in numbers[line.pk],
                by_inn=bool(line.payer_inn) and invoice.order.customer.inn == line.payer_inn,
                by_amount=_due(invoice) == line.amount,
            )
            score = 4 * suggestion.by_number + 2 * suggestion.by_inn + suggestion.by_amount
            if score:
                scored.append((-score, invoice.pk, suggestion))
        found[line.pk] = [s for *_rank, s in sorted(scored, key=lambda x: x[:2])][:SUGGESTIONS]
    return found


def _due(invoice: Invoice) -> Decimal:
    return getattr(invoice, "due", invoice.amount - invoice.paid_amount)
