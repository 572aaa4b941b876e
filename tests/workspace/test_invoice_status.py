"""An invoice's status looks the same wherever it is listed: the order page's badge."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from invoices.models import PaymentSource
from orders.models import Stage
from pipeline.payments import payment_register

pytestmark = pytest.mark.django_db


def _status_class(page: str, status: str) -> str:
    """The class of the element that shows the status text."""
    found = re.search(rf'<span class="([^"]*)"[^>]*>{re.escape(status)}</span>', page)
    assert found, f"{status!r} is not shown in an element of its own"
    return found.group(1)


def test_the_receivables_show_an_invoice_status_as_the_order_page_does(
    client, staff, order_factory
):
    manager = staff["manager"]
    order = order_factory(stage=Stage.PREPAYMENT)
    invoice = order.invoices.get()
    payment_register(
        invoice=invoice, amount=Decimal("1000.00"), source=PaymentSource.MANUAL, actor=manager
    )
    invoice.refresh_from_db()
    status = invoice.get_status_display()
    client.force_login(manager)

    on_order_page = _status_class(client.get(order.get_absolute_url()).content.decode(), status)
    receivables = client.get("/invoices/").content.decode()
    row = re.search(
        rf"<tr[^>]*>\s*<td[^>]*>{re.escape(invoice.number)}</td>.*?</tr>", receivables, re.S
    )
    assert row, "the invoice is not in the receivables"
    in_receivables = _status_class(row.group(0), status)

    assert "badge" in on_order_page.split()
    assert in_receivables == on_order_page
