"""The client's invoice page on a phone, in Russian, as a client opens it from the e-mail."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, screenshot
from tests.invoices import conftest as money
from tests.invoices.conftest import make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The money tests' fixtures, here where the browser's session fixture lives.
seller = money.seller
cloudpayments = money.cloudpayments
media_in_tmp = money.media_in_tmp


def test_a_client_sees_the_invoice_downloads_the_pdf_and_gets_bank_details(
    new_page, catalogue, staff, seller, manager
):
    invoice = make_order(catalogue=catalogue, manager=manager).invoices.get()
    page = new_page(viewport=PHONE, locale="ru-RU")
    page.goto(invoice.public_url.replace("http://testserver", ""))
    assert page.locator("h1").inner_text().startswith(f"Счёт на оплату № {invoice.number}")
    assert page.locator("#invoice-state").inner_text() == "Ожидает оплаты"
    bank = page.locator("#bank-details").inner_text()
    assert seller.account in bank and seller.bik in bank
    assert page.locator("#pay-by-card").count() == 0
    # Nothing on the page leads anywhere else in the company's system.
    hrefs = page.eval_on_selector_all("a", "links => links.map(a => a.getAttribute('href'))")
    assert hrefs == [invoice.public_url.replace("http://testserver", "") + "pdf/"]
    pdf = page.request.get(hrefs[0])
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    # It fits a phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, "invoice-public-phone")


def test_the_pay_button_explains_when_the_payment_form_cannot_load(
    new_page, catalogue, staff, seller, manager, cloudpayments
):
    invoice = make_order(catalogue=catalogue, manager=manager).invoices.get()
    page = new_page(viewport=PHONE, locale="ru-RU")
    # CloudPayments' widget script is not reachable from the test machine.
    page.route("https://widget.cloudpayments.ru/**", lambda route: route.abort())
    page.goto(invoice.public_url.replace("http://testserver", ""))
    page.click("#pay-by-card")
    assert page.get_by_text("Платёжная форма не загрузилась").is_visible()
    assert page.locator("#bank-details").count() == 0
