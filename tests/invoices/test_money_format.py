"""The client's invoice page shows money as staff pages do: the currency's sign, not its code."""

from __future__ import annotations

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def _get(client, path: str, language: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("language", "due"), [("en", "32,000.00\xa0₽"), ("ru", "32\xa0000,00\xa0₽")]
)
def test_the_client_s_invoice_page_shows_the_sign_as_staff_pages_do(
    client, invoice, seller, language, due
):
    html = _get(client, invoice.public_url.replace("http://testserver", ""), language)
    assert f"{due}</b>" in html
    assert " RUB" not in html
