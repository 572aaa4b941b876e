"""Requisites as an accountant types them: real numbers pass, a mistyped digit is named."""

import pytest

from core.requisites import (
    RequisiteError,
    account_clean,
    bik_clean,
    correspondent_account_clean,
    inn_clean,
    kpp_clean,
    ogrn_clean,
)

SBERBANK_BIK = "044525225"


@pytest.mark.parametrize(
    "inn",
    [
        "7707083893",  # ПАО Сбербанк
        "7736207543",  # ООО «Яндекс»
        "7736050003",  # ПАО «Газпром»
        "500100732259",  # a person's INN from the tax service's examples
        " 7707 083893 ",
    ],
)
def test_real_inns_pass_with_spaces_removed(inn):
    assert inn_clean(inn) == inn.replace(" ", "")


@pytest.mark.parametrize(
    ("inn", "message"),
    [
        ("7707083894", "check digits"),  # the last digit mistyped
        ("7736207534", "check digits"),  # two digits swapped
        ("500100732258", "check digits"),
        ("77070838", "10 digits"),
        ("77070838AB", "10 digits"),
        ("", "10 digits"),
    ],
)
def test_a_wrong_inn_is_refused_with_its_reason(inn, message):
    with pytest.raises(RequisiteError, match=message):
        inn_clean(inn)


def test_an_organisation_needs_ten_digits_and_a_sole_trader_twelve():
    assert inn_clean("7707083893", length=10) == "7707083893"
    with pytest.raises(RequisiteError, match="12 digits"):
        inn_clean("7707083893", length=12)
    with pytest.raises(RequisiteError, match="10 digits"):
        inn_clean("500100732259", length=10)


def test_kpp_has_a_shape_and_is_stored_upper_case():
    assert kpp_clean("773601001") == "773601001"
    assert kpp_clean("7736ab001") == "7736AB001"
    for wrong in ("77360100", "7736010011", "77360!001"):
        with pytest.raises(RequisiteError, match="9 characters"):
            kpp_clean(wrong)


def test_ogrn_and_ogrnip_check_digits():
    assert ogrn_clean("1027700132195") == "1027700132195"  # ПАО Сбербанк
    assert ogrn_clean("304500116000157", length=15) == "304500116000157"
    with pytest.raises(RequisiteError, match="check digit"):
        ogrn_clean("1027700132196")
    with pytest.raises(RequisiteError, match="13 digits"):
        ogrn_clean("304500116000157", length=13)


def test_accounts_are_checked_against_the_banks_bik():
    assert bik_clean("04 45 25 225") == SBERBANK_BIK
    assert correspondent_account_clean("30101810400000000225", bik=SBERBANK_BIK)
    assert account_clean("40702810938000012345", bik=SBERBANK_BIK)
    with pytest.raises(RequisiteError, match="BIK"):
        account_clean("40702810938000012346", bik=SBERBANK_BIK)
    with pytest.raises(RequisiteError, match="BIK"):
        correspondent_account_clean("30101810400000000226", bik=SBERBANK_BIK)
    with pytest.raises(RequisiteError, match="20 digits"):
        account_clean("4070281093800001234", bik=SBERBANK_BIK)
