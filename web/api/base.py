"""What every JSON API of ours shares: Bearer keys with scopes, and declared input fields
(numbers bounded to their column, strings bounded and NUL-free) whose refusals carry the
message shown to the caller under the field's name."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db import models
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from ninja import Schema
from ninja.security import HttpBearer
from pydantic import BaseModel, BeforeValidator, Field, ValidationError, WrapValidator
from pydantic_core import PydanticCustomError

from orders.models import ApiKey
from orders.services.api_keys import api_key_authenticate

REQUIRED = _("This field is required.")
MUST_BE_TEXT = _("Must be text.")
NO_NUL = _("Must not contain the NUL character or broken Unicode.")
AT_MOST_CHARACTERS = _("At most %(n)s characters.")
TOO_BIG = _("Must be less than %(limit)s.")
KEY_REFUSED = _("Missing, unknown or revoked API key.")
SCOPE_MISSING = _("This API key may not do this: it needs the “%(scope)s” scope.")


# ----------------------------------------------------------------------------- keys


class ScopeMissing(Exception):
    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__(scope)


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer <key>`; the key must hold `scope`. No key, or a bad one, is a
    401; a good key without the scope is a 403 (ScopeMissing)."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = api_key_authenticate(token.strip())
        if key is None:
            return None
        if not key.allows(self.scope):
            raise ScopeMissing(self.scope)
        return key


# ----------------------------------------------------------------------------- fields


class Refused(PydanticCustomError):
    """A refusal whose message is ours, already in the caller's language."""

    def __new__(cls, message: str | Promise) -> Refused:
        # The message goes in as context: braces in it (a SKU as sent) stay as they are.
        return super().__new__(cls, "refused", "{message}", {"message": str(message)})


def _clean_text(value: str) -> str:
    # PostgreSQL stores no NUL in text, and a lone surrogate cannot be encoded at all.
    if "\x00" in value:
        raise Refused(NO_NUL)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Refused(NO_NUL) from None
    return value.strip()


def text(
    max_length: int,
    *,
    required: bool = False,
    numbers: bool = False,
    message: str | Promise | None = None,
) -> Any:
    """A string of at most `max_length` characters (stripped, no NUL). A required one may
    not be blank; an optional one reads null as "". `numbers` takes 42 as "42" (ids the
    outside system keeps as numbers). `message`, when given, is the one refusal shown for a
    wrong type or length."""

    def validate(value: Any) -> str:
        if value is None and not required:
            return ""
        if value is None:
            raise Refused(REQUIRED)
        if numbers and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise Refused(message or MUST_BE_TEXT)
        value = _clean_text(value)
        if required and not value:
            raise Refused(REQUIRED)
        if len(value) > max_length:
            raise Refused(message or str(AT_MOST_CHARACTERS) % {"n": max_length})
        return value

    return Annotated[
        str, BeforeValidator(validate), Field(max_length=max_length, min_length=int(required))
    ]


def column_limit(field: models.DecimalField) -> Decimal:
    """The first amount a DecimalField cannot hold."""
    return Decimal(10) ** (field.max_digits - field.decimal_places)


def grouped(number: Decimal) -> str:
    """1000000000000 → "1 000 000 000 000", readable in either language."""
    return f"{number:,}".replace(",", " ")


def decimal_for(
    field: models.DecimalField, *, message: str | Promise, positive: bool = False
) -> Any:
    """A number (or a numeric string) that fits `field`'s column: finite, at most its
    decimal places, below its limit, and ≥ 0 (> 0 when `positive`). Any refusal reads
    `message`, except a number too big for the column, which says the limit."""
    limit = column_limit(field)

    def validate(value: Any, handler: Callable[[Any], Decimal]) -> Decimal:
        try:
            return handler(value)
        except ValidationError as error:
            kinds = {e["type"] for e in error.errors()}
            if kinds & {"decimal_max_digits", "decimal_whole_digits"} and not (
                isinstance(value, Decimal | int | float | str) and str(value).startswith("-")
            ):
                raise Refused(str(TOO_BIG) % {"limit": grouped(limit)}) from None
            raise Refused(message) from None

    bound: dict[str, Any] = {"gt": 0} if positive else {"ge": 0}
    return Annotated[
        Decimal,
        Field(max_digits=field.max_digits, decimal_places=field.decimal_places, **bound),
        WrapValidator(validate),
    ]


def blank_is_none(value: Any) -> Any:
    return None if value == "" else value


def choice(values: list[str], *, message: str | Promise, default: str | None = None) -> Any:
    """One of `values`; null reads as `default` when there is one."""

    def validate(value: Any) -> str:
        if value is None and default is not None:
            return default
        if not isinstance(value, str) or value not in values:
            raise Refused(message)
        return value

    return Annotated[Literal.__getitem__(tuple(values)), BeforeValidator(validate)]


class Input(BaseModel):
    """A document from outside. Plain pydantic rather than ninja's Schema, which reads any
    object's attributes: here a null or a string where an object belongs is refused."""


class Errors(Schema):
    """Every problem, under the field it concerns (`lines[0].sku`, `customer.email`;
    `__all__` for the request as a whole)."""

    errors: dict[str, list[str]] = Field(
        examples=[{"lines[0].sku": ["Unknown product SKU: TBL-9."]}]
    )


class Refusal(Schema):
    """Why the request was refused as a whole (the key, its scope, an unknown order)."""

    error: str = Field(examples=["Missing, unknown or revoked API key."])
