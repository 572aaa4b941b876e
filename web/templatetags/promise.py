"""The promise as pages write it: the date in a sentence ("28 мая", with the year when not
this one) and a board card's promised date and risk."""

from __future__ import annotations

import datetime as dt
from html import escape

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.texts import Msg
from orders.rules import day as day_words
from orders.selectors.board import Card

register = template.Library()


@register.filter
def promise_day(value: dt.date | None) -> str:
    return "" if value is None else day_words(value)


class CardPromise:
    """A board card's promise and risk (web/templatetags/workspace.py CardRenderer): the
    words looked up once per board, each date written once."""

    def __init__(self) -> None:
        self.by = escape(pgettext("board card", "by %(date)s"))
        self.promised = escape(_("Promised to the client"))
        self.at_risk = escape(pgettext("order", "At risk"))
        self.days: dict[dt.date, str] = {}

    def __call__(self, card: Card) -> list[str]:
        bits = []
        if card.promised_date is not None:
            if card.promised_date not in self.days:
                self.days[card.promised_date] = escape(day_words(card.promised_date))
            date = self.by % {"date": self.days[card.promised_date]}
            bits.append(f'<span class="promise" title="{self.promised}">{date}</span>')
        if card.at_risk_since is not None:
            reason = Msg.from_data(card.at_risk_reason) if card.at_risk_reason else ""
            title = f' title="{escape(str(reason))}"' if reason else ""
            bits.append(f'<span class="badge badge-bad at-risk"{title}>{self.at_risk}</span>')
        return bits
