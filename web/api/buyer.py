"""The buyer in the intake API: a person, a sole trader or a company with its requisites.
Each requisite is checked by Customer.requisites_clean, the rule the qualification form and
the admin use, and a refusal is under its own field (`buyer.inn`, `buyer.bank.account`)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from pydantic import Field, ValidationInfo, field_validator

from orders.models import Customer
from web.api.base import Input, Refused, choice, text

KIND_INVALID = lazy(
    lambda: str(_("Use one of: %(choices)s.")) % {"choices": ", ".join(Customer.Kind.values)}, str
)()
NAME_REQUIRED = _("Required for a business buyer.")
# Wide enough for a code pasted with spaces or dashes; cleaned to its digits.
CODE_INPUT = 40


def _column(name: str) -> int:
    field = Customer._meta.get_field(name)
    assert isinstance(field, models.CharField) and field.max_length is not None
    return field.max_length


def _checked(field: str, value: str, **context: Any) -> str:
    """`value` as Customer.requisites_clean stores it, or its refusal. `context` holds the
    fields the rule depends on (the kind, the bank's BIK)."""
    draft = Customer(**{**context, field: value})
    message = draft.requisites_clean().get(field)
    if message:
        raise Refused(message)
    return getattr(draft, field)


class BankIn(Input):
    name: text(_column("bank_name")) = Field("", description="The bank's name.")  # type: ignore[valid-type]
    bik: text(CODE_INPUT) = Field("", description="9 digits.")  # type: ignore[valid-type]
    account: text(CODE_INPUT) = Field(  # type: ignore[valid-type]
        "", description="The settlement account, 20 digits, its key checked against the BIK."
    )
    correspondent_account: text(CODE_INPUT) = Field("", description="20 digits.")  # type: ignore[valid-type]

    @field_validator("bik", "account", "correspondent_account")
    @classmethod
    def _code(cls, value: str, info: ValidationInfo) -> str:
        if not value or info.field_name is None:
            return value
        bik = "" if info.field_name == "bik" else info.data.get("bik", "")
        return _checked(info.field_name, value, kind=Customer.Kind.COMPANY, bik=bik)


class BuyerIn(Input):
    kind: choice(Customer.Kind.values, message=KIND_INVALID) = Field(  # type: ignore[valid-type]
        description="`person`, `sole_trader` or `company`."
    )
    name: text(_column("company")) = Field(  # type: ignore[valid-type]
        "",
        validate_default=True,
        description="The name printed on documents: «ООО «Ромашка»», «ИП Иванов Иван "
        "Иванович». Required for a sole trader or a company.",
    )
    inn: text(CODE_INPUT) = Field(  # type: ignore[valid-type]
        "",
        validate_default=True,
        description="10 digits for a company, 12 for a sole trader (required for both) or "
        "a person (optional); the check digits are verified. An INN already on file is "
        "that customer: the order is theirs, and their requisites on file stay.",
    )
    kpp: text(CODE_INPUT) = Field(  # type: ignore[valid-type]
        "", validate_default=True, description="9 characters; a company's only, required."
    )
    ogrn: text(CODE_INPUT) = Field(  # type: ignore[valid-type]
        "", description="OGRN (13 digits, a company) or OGRNIP (15, a sole trader); optional."
    )
    legal_address: text(_column("legal_address")) = Field("", description="Optional.")  # type: ignore[valid-type]
    bank: BankIn | None = Field(None, description="Optional bank details.")

    @field_validator("name")
    @classmethod
    def _name(cls, name: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        if kind in (Customer.Kind.COMPANY, Customer.Kind.SOLE_TRADER) and not name:
            raise Refused(NAME_REQUIRED)
        return name

    @field_validator("inn", "kpp", "ogrn")
    @classmethod
    def _requisite(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        if kind is None or info.field_name is None:  # the kind was refused: said there
            return value
        return _checked(info.field_name, value, kind=kind)

    def requisites(self) -> dict[str, str]:
        """The customer's fields, as stored."""
        bank = self.bank or BankIn()
        return {
            "kind": self.kind,
            "company": self.name,
            "inn": self.inn,
            "kpp": self.kpp,
            "ogrn": self.ogrn,
            "legal_address": self.legal_address,
            "bank_name": bank.name,
            "bik": bank.bik,
            "account": bank.account,
            "correspondent_account": bank.correspondent_account,
        }
