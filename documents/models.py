"""Closing documents of a won order: the УПД (or an act and a waybill)."""

from django.db import models  # noqa: F401
