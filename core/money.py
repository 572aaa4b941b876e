"""Money as people read it."""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format


def money(amount: Decimal) -> str:
    return number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)
