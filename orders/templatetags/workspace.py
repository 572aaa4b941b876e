"""Formatting for the workspace: money and numbers for the active language, people, dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from orders import selectors
from orders.models import Order, Stage

register = template.Library()

CURRENCY_SIGNS = {"RUB": "₽", "EUR": "€", "USD": "$"}


@register.filter
def money(value: Decimal | None, currency: str = "RUB") -> str:
    """15 000,00 ₽ in Russian, 15,000.00 ₽ in English; a dash for no value."""
    if value is None or value == "":
        return "—"
    amount = number_format(Decimal(value), decimal_pos=2, use_l10n=True, force_grouping=True)
    return f"{amount}\xa0{CURRENCY_SIGNS.get(currency, currency)}"


@register.filter
def money_short(value: Decimal | None, currency: str = "RUB") -> str:
    """Whole amounts without kopecks, for cards and column heads."""
    if value is None:
        return "—"
    value = Decimal(value)
    places = 0 if value == value.to_integral_value() else 2
    amount = number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
    return f"{amount}\xa0{CURRENCY_SIGNS.get(currency, currency)}"


@register.filter
def quantity(value: Decimal | None) -> str:
    if value is None:
        return ""
    value = Decimal(value).normalize()
    places = max(0, -value.as_tuple().exponent)
    return number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


@register.filter
def person(user) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.username


@register.filter
def stage_label(stage: str) -> str:
    try:
        return str(Stage(stage).label)
    except ValueError:
        return stage


@register.filter
def is_past(moment: dt.datetime | None) -> bool:
    return moment is not None and moment < timezone.now()


@register.filter
def due(moment: dt.datetime | None) -> str:
    """ "in 3 h", "2 days late": the nearest deadline at a glance."""
    if moment is None:
        return ""
    delta = moment - timezone.now()
    late = delta.total_seconds() < 0
    seconds = abs(delta.total_seconds())
    if seconds < 3600:
        amount = _("%(n)d min") % {"n": max(1, seconds // 60)}
    elif seconds < 48 * 3600:
        amount = _("%(n)d h") % {"n": seconds // 3600}
    else:
        amount = _("%(n)d d") % {"n": seconds // 86400}
    return (
        _("%(amount)s late") % {"amount": amount}
        if late
        else _("in %(amount)s") % {"amount": amount}
    )


@register.simple_tag
def move_targets(order: Order) -> list[tuple[str, str]]:
    return [(stage, str(Stage(stage).label)) for stage in selectors.manual_targets(order)]


@register.filter
def percent(part: int, whole: int) -> int:
    if not whole:
        return 0
    return round(100 * part / whole)
