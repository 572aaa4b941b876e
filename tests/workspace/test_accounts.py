"""Signing in, roles in the navigation, the password, the language."""

from __future__ import annotations

import pytest
from django.conf import settings

from orders.models import StaffProfile

pytestmark = pytest.mark.django_db


def test_it_redirects_anonymous_people_to_sign_in(client):
    response = client.get("/board/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_signing_in_brings_back_the_persons_language(client, manager):
    StaffProfile.objects.filter(user=manager).update(language="ru")
    response = client.post("/login/", {"username": "masha", "password": "pass-12345"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    assert "Доска" in client.get("/board/").content.decode()


def test_a_wrong_password_is_refused_on_the_styled_page(client, manager):
    response = client.post("/login/", {"username": "masha", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_the_language_switch_is_kept_for_the_person(client, manager):
    client.force_login(manager)
    response = client.post("/account/language/", {"language": "ru", "next": "/tasks/"})
    assert response["Location"] == "/tasks/"
    assert StaffProfile.objects.get(user=manager).language == "ru"
    assert "Мои задачи" in client.get("/tasks/").content.decode()


def test_russian_is_the_default_when_the_browser_asks_for_it(client):
    html = client.get("/login/", HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9,en;q=0.8").content.decode()
    assert "Вход" in html and 'lang="ru"' in html
    assert "Sign in" in client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()


def test_it_ignores_a_foreign_next_address(client, manager):
    client.force_login(manager)
    response = client.post(
        "/account/language/", {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_the_navigation_follows_the_role(client, manager, production_worker, head_of_sales):
    client.force_login(manager)
    html = client.get("/tasks/").content.decode()
    assert "/board/" in html and "/orders/new/" in html and "Sales manager" in html

    client.force_login(production_worker)
    html = client.get("/tasks/").content.decode()
    assert 'href="/board/"' not in html and "/orders/new/" not in html and "Production" in html
    assert client.get("/board/")["Location"] == "/tasks/"


def test_the_password_can_be_changed(client, manager):
    client.force_login(manager)
    assert client.get("/account/password/").status_code == 200
    response = client.post(
        "/account/password/",
        {
            "old_password": "pass-12345",
            "new_password1": "Wood-and-glue-77",
            "new_password2": "Wood-and-glue-77",
        },
    )
    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.check_password("Wood-and-glue-77")
