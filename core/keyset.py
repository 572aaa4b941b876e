"""Keyset positions in links: "<moment>~<id>", the last row a page showed."""

from __future__ import annotations

import datetime as dt

from django.utils.dateparse import parse_datetime

# A bigint's digits: a longer id is no row of ours.
ID_DIGITS = 18


def keyset_parse(raw: str | None, *, separator: str = "~") -> tuple[dt.datetime, int] | None:
    """The moment and id a "<moment>~<id>" link carries; None for anything else (a mangled
    or hand-made link opens the first page): no time zone, a date that is none (month 13,
    year 0), an id that is not a row's ("²" is a digit to Python, not to int())."""
    stamp, _sep, pk = (raw or "").rpartition(separator)
    try:
        moment = parse_datetime(stamp) if stamp else None
    except ValueError:  # looks like a moment, is not one
        return None
    if (
        moment is None
        or moment.tzinfo is None
        or not (pk.isascii() and pk.isdigit())
        or len(pk) > ID_DIGITS
    ):
        return None
    return moment, int(pk)
