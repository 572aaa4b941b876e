"""A Russian business's requisites: INN, KPP, OGRN/OGRNIP, BIK and bank accounts.

The check digits of INN and OGRN are python-stdnum's (``stdnum.ru``); KPP has no check digit,
only a shape; a bank account's check digit is computed against the bank's BIK as the Bank
of Russia prescribes (stdnum has no module for it). Each ``*_clean`` returns the value as
stored (digits only, KPP upper-case) or raises ``RequisiteError`` with a message for the
person who typed it."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.ru import inn as stdnum_inn
from stdnum.ru import ogrn as stdnum_ogrn

KPP_SHAPE = re.compile(r"^\d{4}[0-9A-Z]{2}\d{3}$")
ACCOUNT_WEIGHTS = ((7, 1, 3) * 8)[
    :23
]  # 23 digits: three of the BIK, then the twenty of the account


class RequisiteError(ValueError):
    pass


def _digits(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "")


def inn_clean(value: str, *, length: int | None = None) -> str:
    """An INN: 10 digits for an organisation, 12 for a person or a sole trader; ``length``
    asks for one of them."""
    inn = _digits(value)
    if not inn.isdigit() or len(inn) not in (10, 12):
        raise RequisiteError(_("An INN has 10 digits (an organisation) or 12 (a person)."))
    if length is not None and len(inn) != length:
        if length == 10:
            raise RequisiteError(_("An organisation's INN has 10 digits."))
        raise RequisiteError(_("A sole trader's or a person's INN has 12 digits."))
    try:
        stdnum_inn.validate(inn)
    except StdnumError:
        raise RequisiteError(_("This INN's check digits do not match: check it.")) from None
    return inn


def kpp_clean(value: str) -> str:
    kpp = _digits(value).upper()
    if not KPP_SHAPE.match(kpp):
        raise RequisiteError(
            _("A KPP has 9 characters: four digits, two digits or letters, three digits.")
        )
    return kpp


def ogrn_clean(value: str, *, length: int | None = None) -> str:
    """OGRN (13 digits, an organisation) or OGRNIP (15, a sole trader)."""
    ogrn = _digits(value)
    if not ogrn.isdigit() or len(ogrn) not in (13, 15):
        raise RequisiteError(_("An OGRN has 13 digits, an OGRNIP 15."))
    if length is not None and len(ogrn) != length:
        if length == 13:
            raise RequisiteError(_("An organisation's OGRN has 13 digits."))
        raise RequisiteError(_("A sole trader's OGRNIP has 15 digits."))
    try:
        stdnum_ogrn.validate(ogrn)
    except StdnumError:
        raise RequisiteError(_("This OGRN's check digit does not match: check it.")) from None
    return ogrn


def bik_clean(value: str) -> str:
    bik = _digits(value)
    if not bik.isdigit() or len(bik) != 9:
        raise RequisiteError(_("A BIK has 9 digits."))
    return bik


def _account_key_ok(prefix: str, account: str) -> bool:
    digits = prefix + account
    return sum(int(d) * w for d, w in zip(digits, ACCOUNT_WEIGHTS, strict=True)) % 10 == 0


def account_clean(value: str, *, bik: str) -> str:
    """A settlement account (20 digits) whose check digit agrees with the bank's BIK."""
    account = _digits(value)
    if not account.isdigit() or len(account) != 20:
        raise RequisiteError(_("A bank account has 20 digits."))
    if bik and not _account_key_ok(bik[-3:], account):
        raise RequisiteError(_("This account does not match the bank's BIK: check both."))
    return account


def correspondent_account_clean(value: str, *, bik: str) -> str:
    account = _digits(value)
    if not account.isdigit() or len(account) != 20:
        raise RequisiteError(_("A correspondent account has 20 digits."))
    if bik and not _account_key_ok("0" + bik[4:6], account):
        raise RequisiteError(
            _("This correspondent account does not match the bank's BIK: check both.")
        )
    return account
