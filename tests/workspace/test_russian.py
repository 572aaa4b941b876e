"""The Russian interface reads as if written in Russian: short words in their context,
product names left as written, units in the reader's language."""

from __future__ import annotations

import re
from html.parser import HTMLParser

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
        assert translation.pgettext("action", "Cancel") == "Отменить"  # the order
        assert translation.pgettext("leave a form", "Cancel") == "Отмена"
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


# --- Every main page, in Russian, has no English word left --------------------------------

# Words that are not English prose: the product's name and codes read the same in Russian.
# "English" is the language switcher's choice, named in its own language.
ALLOWED = {
    "English",
    "Conveyor",
    "CloudPayments",
    "CSV",
    "PDF",
    "API",
    "HTMX",
    "SKU",
    "ID",
    "IP",
    "URL",
    "RUB",
    "SLA",
}
SKIPPED_TAGS = {"script", "style", "template", "noscript"}
SHOWN_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt"}


class _VisibleText(HTMLParser):
    """The text a person reads or hears: the text of the page and the attributes shown or
    announced, without scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in SKIPPED_TAGS:
            self.skipping += 1
        for name, value in attrs:
            if name in SHOWN_ATTRIBUTES and value:
                self.parts.append(value)
            if tag == "input" and name == "value" and value and ("type", "submit") in attrs:
                self.parts.append(value)

    def handle_endtag(self, tag) -> None:
        if tag in SKIPPED_TAGS and self.skipping:
            self.skipping -= 1

    def handle_data(self, data) -> None:
        if not self.skipping:
            self.parts.append(data)


def english_words(html: str, names: list[str]) -> set[str]:
    parser = _VisibleText()
    parser.feed(html)
    text = " ".join(parser.parts)
    text = re.sub(r"\S+@\S+", " ", text)  # e-mail addresses
    for name in sorted(names, key=len, reverse=True):  # people's, clients' and products' names
        if name:
            text = text.replace(name, " ")
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9’'_.-]*", text))
    codes = {
        w for w in words if re.search(r"[0-9_]", w) or re.fullmatch(r"[A-Z]{2,}(-[A-Z0-9]+)*", w)
    }
    words = {w.rstrip(".-") for w in words - codes} - {"e-mail", "E-mail"}
    return {w for w in words if len(w) > 1} - ALLOWED  # a single letter: a person's initial


def _names() -> list[str]:
    from django.contrib.auth.models import User

    from orders.models import Customer
    from production.models import Material, Product

    names: list[str] = []
    for user in User.objects.all():
        names += [user.get_full_name(), user.first_name, user.last_name, user.username]
    names += [c.name for c in Customer.objects.all()] + [c.company for c in Customer.objects.all()]
    names += [p.name for p in Product.objects.all()] + [m.name for m in Material.objects.all()]
    names += ["Moscow, Tverskaya 1"]
    return names


def test_the_main_staff_pages_in_russian_have_no_english_word(client, staff, order_factory):
    from django.contrib.auth.models import User

    new = order_factory(stage=Stage.NEW, lines=1)
    qualifying = order_factory(stage=Stage.QUALIFICATION, lines=2, name="Boris Buyer")
    producing = order_factory(stage=Stage.PRODUCTION, lines=2, name="Vera Client")
    manager = staff["manager"]
    pages = {
        "board": "/",
        "order page": producing.get_absolute_url(),
        "new order's page": new.get_absolute_url(),
        "qualification": f"/orders/{qualifying.number}/edit/",
        "new order": "/orders/new/",
        "my tasks": "/tasks/",
    }
    left = {}
    for title, path in pages.items():
        words = english_words(_get(client, manager, path), _names())
        if words:
            left[title] = sorted(words)
    production_tasks = english_words(_get(client, staff["production"], "/tasks/"), _names())
    if production_tasks:
        left["production's tasks"] = sorted(production_tasks)

    root = User.objects.create_superuser("root", "root@example.com", "pass-12345")
    for title, path in {
        "admin order": f"/admin/orders/order/{producing.pk}/change/",
        "admin index": "/admin/",
    }.items():
        words = english_words(_get(client, root, path), _names())
        if words:
            left[title] = sorted(words)
    assert not left, "; ".join(f"{page}: {' '.join(words)}" for page, words in left.items())


def test_units_read_in_each_language_whichever_way_they_were_stored(client, staff, order_factory):
    from core.units import unit_label

    with translation.override("en"):
        assert [unit_label(u) for u in ("pcs", "шт.", "шт", "м²", "компл.", "box")] == [
            "pcs",
            "pcs",
            "pcs",
            "m²",
            "set",
            "box",
        ]
    with translation.override("ru"):
        assert [unit_label(u) for u in ("pcs", "шт.", "m2", "l", "box")] == [
            "шт.",
            "шт.",
            "м²",
            "л",
            "box",
        ]

    order = order_factory(stage=Stage.PRODUCTION, lines=1)
    order.lines.update(unit="шт.")  # as rows written before units had codes
    english = _get(client, staff["manager"], order.get_absolute_url(), "en")
    assert "шт" not in english
    assert "1 pcs" in english
    assert "1 шт." in _get(client, staff["manager"], order.get_absolute_url(), "ru")


def test_the_admin_names_the_product_people_and_events(client, staff, order_factory):
    from django.contrib.auth.models import User

    order = order_factory(stage=Stage.PRODUCTION, lines=1)
    staff["manager"].last_name = "Sokolova"
    staff["manager"].save()
    event = order.events.order_by("id").first()
    with translation.override("ru"):
        assert str(event).startswith("Заказ создан, ")
        assert str(order.events.filter(kind="stage").first()).startswith("Смена этапа, ")
        assert str(order.tasks.get(department="production")) == "Изготовить: Oak table × 1"

    root = User.objects.create_superuser("root", "root@example.com", "pass-12345")
    page = _get(client, root, f"/admin/orders/order/{order.pk}/change/")
    assert "Администрирование Django" not in page
    assert "Conveyor" in page
    assert "Masha Sokolova" in page
    assert ">masha<" not in page
    assert "Lines count" not in page and "Позиций" in page
    assert f"{order.pk} Смена этапа" not in page
    assert "Администрирование" in _get(client, root, "/admin/")
    english = _get(client, root, "/admin/", "en")
    assert "Django administration" not in english and "Administration" in english


def test_the_other_departments_pages_in_russian_have_no_english_word(
    client, staff, order_factory, head_of_production, head_of_sales, accountant
):
    order_factory(stage=Stage.PRODUCTION, lines=2)
    order_factory(stage=Stage.PREPAYMENT, lines=1, name="Boris Buyer")
    pages = [
        (accountant, "/invoices/"),
        (accountant, "/invoices/payments/"),
        (staff["logistics"], "/logistics/"),
        (staff["logistics"], "/logistics/carriers/"),
        (staff["production"], "/production/"),
        (head_of_production, "/production/board/"),
        (head_of_sales, "/production/margin/"),
    ]
    left = {}
    for user, path in pages:
        words = english_words(_get(client, user, path), _names())
        if words:
            left[path] = sorted(words)
    assert not left, left
