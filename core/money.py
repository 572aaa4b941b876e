"""Money and quantities as people read them: grouped digits in the reader's locale, money
with its currency's sign.

Every page, card, timeline entry, bell, e-mail and invoice PDF goes through `money` (the
templates' `money` filter); CSVs write plain numbers with a dot instead (core/exports.py),
so a spreadsheet or an accounting import reads them in any locale."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.formats import number_format

CURRENCY_SIGNS = {"RUB": "₽", "EUR": "€", "USD": "$", "KZT": "₸", "BYN": "Br"}


def digits(amount: Decimal, *, places: int = 2) -> str:
    """Grouped digits in the reader's locale, without a sign (15 000,00)."""
    return number_format(amount, decimal_pos=places, use_l10n=True, force_grouping=True)


def currency_sign(currency: str | None = None) -> str:
    code = currency or settings.ORDER_CURRENCY
    return CURRENCY_SIGNS.get(code, code)


def money(amount: Decimal, currency: str | None = None, *, places: int = 2) -> str:
    """15 000,00 ₽ in Russian, 15,000.00 ₽ in English (the sign after a no-break space);
    without a currency, the company's."""
    return f"{digits(amount, places=places)}\xa0{currency_sign(currency)}"


# The name the workspace's template filters know it by.
money_with_sign = money


def quantity(value: Decimal | int | str) -> str:
    """A quantity as written, grouped in the reader's locale: 1,5 in Russian, 1.5 in
    English, 1 500 pieces; as many decimals as it has, and no trailing zeros."""
    number = Decimal(value).normalize()
    exponent = number.as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    return number_format(number, decimal_pos=places, use_l10n=True, force_grouping=True)


@dataclass(frozen=True)
class Amount:
    """An amount and its currency, kept as they are until someone reads them (a stored
    message formats it in its reader's locale)."""

    value: Decimal
    currency: str | None = None

    def __str__(self) -> str:
        return money(self.value, self.currency)


@dataclass(frozen=True)
class Quantity:
    """A quantity kept as it is until someone reads it: 2,4 in Russian, 2.4 in English."""

    value: Decimal

    def __str__(self) -> str:
        return quantity(self.value)
