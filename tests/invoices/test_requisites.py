"""The client's page shows the seller's requisites it has and no empty rows."""

from __future__ import annotations

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_the_client_s_page_hides_empty_requisites(client, invoice, seller):
    seller.kpp = ""
    seller.bank_name = ""
    seller.save()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    html = client.get(invoice.public_url.replace("http://testserver", "")).content.decode()
    bank = html.split('id="bank-details">', 1)[1].split("</table>", 1)[0]
    assert f"<tr><th>ИНН</th><td>{seller.inn}</td></tr>" in bank
    assert "КПП" not in bank and "<th>Банк</th>" not in bank
