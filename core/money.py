"""Money as people read it: grouped digits in the reader's locale, and the currency's sign.

Every page, card and fragment goes through `money_with_sign` (the templates' `money`
filter); CSVs write plain numbers instead."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils.formats import number_format

CURRENCY_SIGNS = {"RUB": "₽", "EUR": "€", "USD": "$", "KZT": "₸", "BYN": "Br"}


def money(amount: Decimal, *, places: int = 2) -> str:
    """Grouped digits in the reader's locale, without a sign (15 000,00)."""
    return number_format(amount, decimal_pos=places, use_l10n=True, force_grouping=True)


def currency_sign(currency: str | None = None) -> str:
    code = currency or settings.ORDER_CURRENCY
    return CURRENCY_SIGNS.get(code, code)


def money_with_sign(amount: Decimal, currency: str | None = None, *, places: int = 2) -> str:
    """15 000,00 ₽ in Russian, 15,000.00 ₽ in English (the sign after a no-break space)."""
    return f"{money(amount, places=places)}\xa0{currency_sign(currency)}"
