"""Signing in is throttled: a username that keeps failing from one address is locked
there for the cool-off, on our sign-in page and on the admin's."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from axes.helpers import get_client_ip_address
from django.contrib.auth.models import User
from django.test import RequestFactory
from django.utils import timezone

from tests.conftest import make_user
from web.accounts import client_ip

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed attempts. Try again in 15 minutes."
LOCKED_RU = "Слишком много неудачных попыток. Попробуйте снова через 15 минут."
WRONG = "Please enter a correct username and password"


def sign_in(client, username: str, password: str, address: str = "203.0.113.7", **extra):
    return client.post(
        "/login/", {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def fail(client, username: str, times: int, address: str = "203.0.113.7") -> None:
    for _ in range(times):
        sign_in(client, username, "wrong-password", address)


def signed_in_as(client) -> str | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id).username if user_id else None


def test_a_wrong_password_before_the_limit_is_just_wrong(client, manager):
    fail(client, "masha", 3)
    response = sign_in(client, "masha", "wrong-password")
    assert response.status_code == 200
    assert WRONG in response.content.decode() and LOCKED not in response.content.decode()


def test_ten_wrong_passwords_then_the_right_one_is_refused_on_the_sign_in_page(client, manager):
    fail(client, "masha", 10)
    response = sign_in(client, "masha", "pass-12345")
    assert response.status_code == 429
    html = response.content.decode()
    assert LOCKED in html and WRONG not in html
    # The sign-in form itself, so the person knows where they are and what to do.
    assert 'name="password"' in html and 'role="alert"' in html
    assert response["Retry-After"] == "900"
    assert signed_in_as(client) is None


def test_the_fifth_failure_already_says_so(client, manager):
    fail(client, "masha", 4)
    response = sign_in(client, "masha", "wrong-password")
    assert response.status_code == 429 and LOCKED in response.content.decode()


def test_the_lockout_is_said_in_russian_to_a_russian_browser(client, manager):
    fail(client, "masha", 5)
    response = sign_in(client, "masha", "pass-12345", HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9")
    assert response.status_code == 429
    assert LOCKED_RU in response.content.decode()


def test_a_colleague_at_the_same_address_still_signs_in(client, manager, head_of_sales):
    fail(client, "masha", 10)
    response = sign_in(client, "olga", "pass-12345")
    assert response.status_code == 302
    assert signed_in_as(client) == "olga"


def test_the_person_still_signs_in_from_another_address(client, manager):
    # Someone guessing Masha's password elsewhere cannot lock her out of the office.
    fail(client, "masha", 10, address="198.51.100.66")
    response = sign_in(client, "masha", "pass-12345", address="203.0.113.7")
    assert response.status_code == 302
    assert signed_in_as(client) == "masha"


def test_the_lockout_ends_after_the_cool_off(client, manager):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail(client, "masha", 10)
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert sign_in(client, "masha", "pass-12345").status_code == 429
    # Each refused attempt restarted the cool-off: 15 minutes from the last one.
    with time_machine.travel(start + timedelta(minutes=14 + 15, seconds=1), tick=False):
        response = sign_in(client, "masha", "pass-12345")
    assert response.status_code == 302
    assert signed_in_as(client) == "masha"


def test_a_successful_sign_in_forgets_the_earlier_typos(client, manager):
    fail(client, "masha", 4)
    assert sign_in(client, "masha", "pass-12345").status_code == 302
    client.logout()
    fail(client, "masha", 4)
    assert sign_in(client, "masha", "pass-12345").status_code == 302


def test_an_address_trying_many_usernames_is_locked_for_every_username(client, manager, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 6
    for n in range(6):  # one guess each: no single username reaches its limit
        sign_in(client, f"guess{n}", "wrong-password", address="192.0.2.50")
    response = sign_in(client, "masha", "pass-12345", address="192.0.2.50")
    assert response.status_code == 429 and LOCKED in response.content.decode()
    assert sign_in(client, "masha", "pass-12345", address="203.0.113.7").status_code == 302


def test_the_admin_sign_in_is_throttled_too(client, db):
    make_user("root", is_staff=True, is_superuser=True)
    for _ in range(10):
        client.post(
            "/admin/login/?next=/admin/",
            {"username": "root", "password": "wrong-password"},
            REMOTE_ADDR="203.0.113.7",
        )
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "root", "password": "pass-12345"},
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 429
    html = response.content.decode()
    assert LOCKED in html and 'class="errornote"' in html
    assert client.get("/admin/").status_code == 302  # still not signed in


def test_a_forged_forwarded_for_header_does_not_escape_the_lockout(client, manager):
    # No proxy in front (TRUSTED_PROXY_COUNT 0): the header is the client's own words.
    for n in range(5):
        client.post(
            "/login/",
            {"username": "masha", "password": "wrong-password"},
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        )
    response = client.post(
        "/login/",
        {"username": "masha", "password": "pass-12345"},
        REMOTE_ADDR="203.0.113.7",
        HTTP_X_FORWARDED_FOR="10.0.0.99",
    )
    assert response.status_code == 429


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        (0, "", "198.51.100.1"),
        (0, "203.0.113.9", "198.51.100.1"),
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (2, "203.0.113.9", "198.51.100.1"),  # fewer entries than proxies: the connection
    ],
)
def test_sign_in_reads_the_client_address_the_site_reads_everywhere(
    settings, proxies, forwarded_for, expected
):
    # Axes asks orders.accounts.login_client_ip; the invoice links and CloudPayments ask
    # client_ip: both follow TRUSTED_PROXY_COUNT the same way.
    settings.TRUSTED_PROXY_COUNT = proxies
    extra = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    request = RequestFactory().post("/login/", REMOTE_ADDR="198.51.100.1", **extra)
    assert get_client_ip_address(request) == expected
    assert client_ip(request) == expected


def test_a_forwarded_entry_that_is_not_an_address_is_not_taken(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().post(
        "/login/", REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="6.6.6.6, <script>"
    )
    assert get_client_ip_address(request) == "198.51.100.1"


def test_a_garbage_forwarded_for_header_is_refused_like_any_wrong_password(
    client, manager, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    response = client.post(
        "/login/",
        {"username": "masha", "password": "wrong-password"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="not-an-address",
    )
    assert response.status_code == 200 and WRONG in response.content.decode()


def test_an_unreadable_client_address_does_not_switch_throttling_off(client, manager):
    # gunicorn on a unix socket with no proxy counted: the connection has no address.
    fail(client, "masha", 5, address="")
    assert sign_in(client, "masha", "pass-12345", address="").status_code == 429
