"""Money and quantities in what leaves the workspace (e-mails, the invoice PDF), written as
the pages write them: grouped in the reader's locale, money with its currency's sign."""

from __future__ import annotations

from decimal import Decimal

from django import template

from core import money as amounts

register = template.Library()


@register.filter
def money(value: Decimal | str | None, currency: str | None = None) -> str:
    """15 000,00 ₽ in Russian, 15,000.00 ₽ in English; nothing for no value."""
    if value is None or value == "":
        return ""
    return amounts.money(Decimal(value), currency or None)


@register.filter
def quantity(value: Decimal | str | None) -> str:
    """1,5 in Russian, 1.5 in English; nothing for no value."""
    if value is None or value == "":
        return ""
    return amounts.quantity(value)


@register.filter
def digits(value: Decimal | str | None) -> str:
    """Money in a table's cells, whose totals carry the sign: 15 000,00."""
    if value is None or value == "":
        return ""
    return amounts.digits(Decimal(value))
