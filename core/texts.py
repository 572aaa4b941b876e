"""Texts the system writes for staff (timeline entries, the bell) kept as a message and its
arguments, so each reader sees them in their own language.

A `Msg` is stored as JSON beside the text rendered in the site's default language (for
admin, search and anything that reads the column directly). Arguments keep their kind:
money (an `Amount`, or a bare Decimal in the company's currency) is kept as its digits and
currency and written with the sign in the reader's locale, a `Quantity` as its digits and
written in the reader's locale, moments and days in the reader's locale too, a choice (a
stage, a source, a department) is shown by its label in the reader's language, a message
inside a message (a task's title) in the reader's language too, and anything else (a
number, a name) as it was written."""

from __future__ import annotations

import datetime as dt
import enum
import importlib
import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import formats, timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext

from core.money import Amount, Quantity, money, quantity

logger = logging.getLogger(__name__)

_OUR_APPS = {"orders", "invoices", "production", "logistics"}


class Msg:
    """`Msg(gettext_noop("Task done: %(title)s"), title=task.title)`."""

    def __init__(self, msgid: str | Promise, /, **args: Any) -> None:
        with translation.override(None):  # a lazy constant gives its msgid, untranslated
            self.msgid = str(msgid)
        self.args = args

    def as_data(self) -> dict[str, Any]:
        return {"id": self.msgid, "args": {name: _encode(v) for name, v in self.args.items()}}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Msg:
        msg = cls(data["id"])
        msg.args = {name: _decode(value) for name, value in data.get("args", {}).items()}
        return msg

    def __str__(self) -> str:
        """In the active language."""
        return gettext(self.msgid) % {name: _show(value) for name, value in self.args.items()}

    def render(self, language: str | None = None) -> str:
        with translation.override(language or settings.LANGUAGE_CODE):
            return str(self)


def moment(value: dt.datetime) -> str:
    """A date and time as the reader's locale writes it, in the company's time zone."""
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def _show(value: Any) -> str:
    if isinstance(value, models.Choices):
        return str(value.label)
    if isinstance(value, Amount):
        return money(value.value, value.currency)
    if isinstance(value, Quantity):
        return quantity(value.value)
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, dt.datetime):
        return moment(value)
    if isinstance(value, dt.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def _encode(value: Any) -> Any:
    if isinstance(value, models.Choices):
        kind = type(value)
        return {"choice": f"{kind.__module__}.{kind.__qualname__}", "value": value.value}
    if isinstance(value, Amount):
        return {"money": str(value.value), "currency": value.currency}
    if isinstance(value, Quantity):
        return {"quantity": str(value.value)}
    if isinstance(value, Decimal):
        return {"money": str(value)}
    if isinstance(value, dt.datetime):
        return {"when": value.isoformat()}
    if isinstance(value, dt.date):
        return {"day": value.isoformat()}
    if isinstance(value, Msg):
        return {"msg": value.as_data()}
    if isinstance(value, int | float | str) or value is None:
        return value
    return str(value)


def _decode(value: Any) -> Any:
    if not isinstance(value, dict):
        return "" if value is None else value
    if "money" in value:
        try:
            amount = Decimal(value["money"])
        except InvalidOperation:
            return value["money"]
        # Rows written before the currency was kept beside the amount: the company's.
        currency = value.get("currency")
        return Amount(amount, currency if isinstance(currency, str) else None)
    if "quantity" in value:
        try:
            return Quantity(Decimal(value["quantity"]))
        except InvalidOperation:
            return value["quantity"]
    if "when" in value:
        return dt.datetime.fromisoformat(value["when"])
    if "day" in value:
        return dt.date.fromisoformat(value["day"])
    if "msg" in value:
        return Msg.from_data(value["msg"])
    if "choice" in value:
        module, _, name = value["choice"].rpartition(".")
        try:
            # Only our own choices: the stored JSON never names what gets imported or called.
            if module.split(".")[0] not in _OUR_APPS:
                raise ImportError(module)
            kind: type[enum.Enum] = getattr(importlib.import_module(module), name)
            if not (isinstance(kind, type) and issubclass(kind, models.Choices)):
                raise AttributeError(name)
            return kind(value["value"])
        except (ImportError, AttributeError, ValueError):
            logger.warning("unknown choice %s=%r in a stored message", value["choice"], value)
            return value["value"]
    return str(value)


def msg_text(text: str, data: dict[str, Any] | None) -> str:
    """What a stored text reads in the active language: its message when it has one."""
    stored = (data or {}).get("msg")
    if not stored:
        return text
    try:
        return str(Msg.from_data(stored))
    except (KeyError, TypeError, ValueError):  # a message id whose arguments changed
        logger.warning("stored message %r could not be rendered", stored)
        return text
