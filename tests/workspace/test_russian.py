"""The Russian interface reads as if written in Russian: short words in their context,
product names left as written, units in the reader's language."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation

from invoices.models import InvoiceStatus
from orders.models import LineStatus, Stage, TaskStatus

pytestmark = pytest.mark.django_db


def _get(client, user, path: str, language: str = "ru") -> str:
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def test_a_status_and_a_button_are_different_russian_words():
    with translation.override("ru"):
        assert str(TaskStatus.OPEN.label) == "Открыта"
        assert str(TaskStatus.DONE.label) == "Выполнена"
        assert str(LineStatus.MADE.label) == "Изготовлена"
        assert str(InvoiceStatus.PAID.label) == "Оплачен"
        assert str(InvoiceStatus.VOID.label) == "Аннулирован"
        assert str(Stage.NEW.label) == "Новый"
        assert translation.pgettext("button", "Open") == "Открыть"
        assert translation.pgettext("button", "Done") == "Готово"
    with translation.override("en"):
        assert str(TaskStatus.OPEN.label) == "Open"
        assert str(LineStatus.MADE.label) == "Made"


def test_my_tasks_open_a_task_with_a_verb_and_name_the_product_as_written(
    client, staff, order_factory
):
    order = order_factory(stage=Stage.PRODUCTION, lines=1)
    page = _get(client, staff["production"], "/tasks/")
    assert "Изготовить: Oak table × 1" in page
    assert "Открыть" in page or "Готово" in page

    page = _get(client, staff["manager"], order.get_absolute_url())
    assert "Успешный" not in page
