"""The exchange log in admin: every call of 1C's with its counts and errors, in the
reader's language, read only."""

from __future__ import annotations

import pytest
from django.conf import settings

from exchange.models import Direction, ExchangeLog, Mode
from exchange.services import ImportResult, exchange_log


@pytest.fixture
def entries(db) -> list[ExchangeLog]:
    return [
        exchange_log(
            mode=Mode.IMPORT,
            ok=True,
            login="1С:УНФ",
            direction=Direction.FROM_1C,
            filename="orders.xml",
            result=ImportResult(documents=3, payments=2, repeated=1, shipments=1, skipped=1),
        ),
        exchange_log(
            mode=Mode.IMPORT,
            ok=False,
            login="1С:УНФ",
            direction=Direction.FROM_1C,
            errors="Файл содержит некорректный XML: no element found: line 1, column 0.",
            document="<?xml version='1.0'?>\x00<Комм",
        ),
    ]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["1C exchange log entries", "Orders imported", "from 1C", "Payments recorded"]),
        ("ru", ["Записи обмена с 1С", "Загрузка заказов", "из 1С", "Оплат записано"]),
    ],
)
def test_the_log_lists_each_call_with_its_counts_in_the_readers_language(
    admin_client, entries, language, words
):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = admin_client.get("/admin/exchange/exchangelog/").content.decode()
    for word in words:
        assert word in page
    assert "некорректный XML" in page


def test_an_entry_is_read_not_edited(admin_client, entries):
    page = admin_client.get(f"/admin/exchange/exchangelog/{entries[1].pk}/change/")
    assert page.status_code == 200
    assert "&lt;Комм" in page.content.decode()  # the document's beginning, NUL replaced
    assert admin_client.get("/admin/exchange/exchangelog/add/").status_code == 403
    assert 'name="_save"' not in page.content.decode()
