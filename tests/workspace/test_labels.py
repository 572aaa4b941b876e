"""Every input has a name a screen reader can read: the order lines' inputs are labelled,
the payment scheme is a fieldset with its legend, and no table header cell is empty."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from logistics.models import Carrier
from orders.models import Stage
from tests.workspace.conftest import make_order

pytestmark = pytest.mark.django_db


class Page(HTMLParser):
    """What the checks need: labels' targets, inputs, header cells' text, legends."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.label_for: list[str] = []
        self.inputs: list[dict[str, str]] = []
        self.headers: list[str] = []
        self.legends: list[str] = []
        self.fieldsets: list[str] = []
        self._open: list[str] = []  # th / legend being read
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = {name: value or "" for name, value in attrs}
        if tag == "label" and "for" in attrs:
            self.label_for.append(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") != "hidden":
            self.inputs.append(attrs)
        if tag == "fieldset":
            self.fieldsets.append(attrs.get("data-field", ""))
        if tag in ("th", "legend"):
            self._open.append(tag)
            (self.headers if tag == "th" else self.legends).append("")

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._open:
            target = self.headers if self._open[-1] == "th" else self.legends
            target[-1] += data.strip()


def _check_order_form(html: str) -> None:
    page = Page(html)
    lines = [i for i in page.inputs if i.get("name", "").startswith("lines-")]
    named = [i for i in lines if not i["name"].endswith("-DELETE")]
    assert named, "no order line on the page"
    for field in named:
        assert field.get("id") in page.label_for, f"{field['name']} has no label"
    assert "" not in page.label_for, '<label for=""> on the page'
    assert "payment_scheme" in page.fieldsets
    assert "Payment scheme" in page.legends
    schemes = [i for i in page.inputs if i.get("name") == "payment_scheme"]
    assert schemes and all(i.get("value") for i in schemes), "a blank “—” scheme is offered"
    assert all(page.headers), f"empty table header cell: {page.headers}"


def test_the_new_order_form_labels_every_input(client, staff):
    client.force_login(staff["manager"])
    _check_order_form(client.get("/orders/new/").content.decode())


def test_qualification_labels_every_input(client, staff, catalogue):
    order = make_order(
        manager=staff["manager"], catalogue=catalogue, stage=Stage.QUALIFICATION, lines=2
    )
    client.force_login(staff["manager"])
    _check_order_form(client.get(f"/orders/{order.number}/edit/").content.decode())


def test_no_table_has_an_empty_header_cell(client, staff, catalogue, accountant):
    order = make_order(
        manager=staff["manager"], catalogue=catalogue, stage=Stage.PREPAYMENT, lines=1
    )
    Carrier.objects.create(name="Delovye Linii", tracking_url="", is_active=True)
    pages = [
        (accountant, order.get_absolute_url()),
        (accountant, "/invoices/"),
        (staff["logistics"], "/logistics/carriers/"),
    ]
    for user, url in pages:
        client.force_login(user)
        page = Page(client.get(url).content.decode())
        assert page.headers, f"{url}: no table"
        assert all(page.headers), f"{url}: empty table header cell: {page.headers}"


def test_every_table_on_the_order_page_names_its_columns(client, staff, catalogue):
    """A screen reader announces a cell with its column: each table has a header row."""
    order = make_order(
        manager=staff["manager"], catalogue=catalogue, stage=Stage.PRODUCTION, lines=2
    )
    assert order.tasks.exists()
    client.force_login(staff["manager"])
    html = client.get(order.get_absolute_url()).content.decode()
    assert html.count("<table") >= 3
    assert html.count("<table") == html.count("<thead>"), "a table without a header row"
