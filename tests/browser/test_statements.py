"""An accountant imports the bank's statement in Chromium, in Russian, and matches the
payment nobody could match with one click on the suggested invoice."""

from __future__ import annotations

import pytest

from invoices.models import InvoiceStatus
from tests.browser.conftest import screenshot, sign_in
from tests.statements.conftest import bank_statement, invoices, seller  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_accountant_imports_a_statement_and_matches_the_rest_in_one_click(
    new_page,
    accountant,
    invoices,  # noqa: F811
    tmp_path,
):
    statement = tmp_path / "kl_to_1c.txt"
    statement.write_bytes(bank_statement(invoices))
    page = new_page(locale="ru-RU")
    sign_in(page, accountant.username)
    page.goto("/invoices/statements/")
    screenshot(page, "statements-ru")
    page.set_input_files("#statement-upload input[type=file]", str(statement))
    page.get_by_role("button", name="Загрузить").click()
    page.wait_for_load_state("networkidle")

    assert page.locator('[data-count="matched"]').inner_text() == "2"
    assert page.locator('[data-count="unmatched"]').inner_text() == "1"
    assert page.locator('[data-count="outgoing"]').inner_text() == "1"
    screenshot(page, "statement-ru")

    kitchen = invoices["kitchen"]
    page.get_by_role("button", name=f"Сопоставить со счётом {kitchen.number}").click()
    page.wait_for_load_state("networkidle")

    assert f"Учтено как оплата счёта {kitchen.number}." in page.inner_text("body")
    assert page.locator('[data-count="unmatched"]').inner_text() == "0"
    assert page.locator('[data-count="by_hand"]').inner_text() == "1"
    kitchen.refresh_from_db()
    assert kitchen.status == InvoiceStatus.PAID
    screenshot(page, "statement-ru-matched")
