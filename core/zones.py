"""The company's time zone as the statements that keep day-by-day totals write it."""

from __future__ import annotations

import re
import zoneinfo

from django.conf import settings


def company_zone() -> str:
    """settings.TIME_ZONE, checked to be a real zone whose name needs no quoting: it is
    written into SQL (`paid_at AT TIME ZONE '<zone>'`) and into the triggers and functions
    made with it, which keep it until they are made again."""
    zone = settings.TIME_ZONE
    if not re.fullmatch(r"[A-Za-z0-9_+\-/]+", zone):
        raise ValueError(f"TIME_ZONE {zone!r} is not a time zone name")
    zoneinfo.ZoneInfo(zone)
    return zone
