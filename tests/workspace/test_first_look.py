"""What a newcomer sees in the first minutes: the product's name and icon, a bell that is a
drawing, the work before empty sections, a quiet "Cancel", a demo with requisites and only
a few unread bells."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from invoices.models import SellerProfile
from orders import roles
from orders.models import Notification, Order, Stage
from tests.factories import order_in_delivery

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_the_login_page_names_the_product(client):
    html = client.get("/login/").content.decode()
    assert '<p class="brand-name" data-testid="product-name">' in html
    assert "Conveyor</p>" in html


def test_every_page_links_the_icon_and_the_icon_exists(client):
    html = client.get("/login/").content.decode()
    assert 'rel="icon"' in html and "img/favicon" in html
    assert (ROOT / "static" / "img" / "favicon.svg").read_text().startswith("<svg")


def test_the_bell_is_a_drawing_not_an_emoji(client, manager):
    client.force_login(manager)
    html = client.get("/board/").content.decode()
    bell = html.split('class="bell', 1)[1].split("</a>", 1)[0]
    assert '<svg class="bell-icon"' in bell and 'aria-hidden="true"' in bell
    assert "\U0001f514" not in html and "&#128276;" not in html


def test_deliveries_show_the_work_first_and_empty_sections_in_one_line(client, staff, catalogue):
    order_in_delivery(manager=staff["manager"], worker=staff["production"], catalogue=catalogue)
    client.force_login(staff["logistics"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    html = client.get(reverse("logistics:deliveries")).content.decode()
    assert "Здесь пусто." not in html
    assert html.count("<section") == 1
    line = html.split('id="empty-sections">', 1)[1].split("</p>", 1)[0]
    assert line.count(": 0") == 3
    assert html.index("<section") < html.index('id="empty-sections"')


def test_nothing_to_deliver_is_one_line(client, logistics_worker):
    client.force_login(logistics_worker)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("logistics:deliveries")).content.decode()
    assert "<section" not in html
    assert (
        'id="empty-sections">Nothing here. Overdue: 0 · Today: 0 · Tomorrow: 0 · Later: 0</p>'
        in html
    )


def test_cancelling_is_the_last_and_an_outlined_action(client, staff, order_factory):
    order = order_factory(stage=Stage.NEW)
    client.force_login(staff["manager"])
    html = client.get(order.get_absolute_url()).content.decode()
    actions = html.split('data-testid="stage-actions">', 1)[1].split("</details>", 1)[0]
    assert '<details class="action bare cancel-order">' in actions
    assert actions.index('class="primary"') < actions.index("cancel-order")
    assert "<button" not in actions.split("cancel-order", 1)[1].split("<form", 1)[0]


def test_the_demo_fills_the_requisites_and_leaves_few_bells_unread(client, db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    seller = SellerProfile.load()
    for field in ("name", "inn", "kpp", "bank_name", "bik", "account", "correspondent_account"):
        assert getattr(seller, field), field
    for user in User.objects.all():
        assert Notification.objects.filter(user=user, read_at__isnull=True).count() <= 3
    assert Notification.objects.filter(read_at__isnull=True).exists()
    accountant = User.objects.get(groups__name=roles.ACCOUNTANTS)
    client.force_login(accountant)
    assert f'href="{reverse("admin:index")}"' not in client.get("/board/").content.decode()
    invoice = Order.objects.filter(stage=Stage.PREPAYMENT).first().invoices.first()
    page = client.get(invoice.public_url.replace("http://testserver", "")).content.decode()
    assert seller.account in page and seller.bik in page and seller.inn in page
