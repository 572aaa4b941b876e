"""The promised date as a sentence writes it: "28 мая", with the year when not this one."""

from __future__ import annotations

import datetime as dt

from django import template

from orders.rules import day as day_words

register = template.Library()


@register.filter
def promise_day(value: dt.date | None) -> str:
    return "" if value is None else day_words(value)
