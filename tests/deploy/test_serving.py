"""The deployed site in a browser: gunicorn with DEBUG=0 and .env.example, as compose runs
it. The development server hides what breaks here (static files, hosts, cookies)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from tests.browser.conftest import DESKTOP
from tests.conftest import make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

HASHED_CSS = re.compile(r"/static/css/app\.[0-9a-f]{12}\.css$")


@pytest.fixture
def masha(transactional_db):
    from orders import roles

    user = make_user("masha", roles.SALES_MANAGERS, first_name="Masha")
    # The test run hashes with MD5 for speed, which the deployed site does not accept; a
    # PBKDF2 hash with few rounds it verifies (and upgrades) quickly.
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode("pass-12345", hasher.salt(), iterations=1000)
    user.save(update_fields=["password"])
    return user


def test_the_board_is_styled_and_runs_htmx_under_gunicorn_without_debug(site, browser, masha):
    context = browser.new_context(viewport=DESKTOP, base_url=site.url)
    context.set_default_timeout(15_000)
    failed: list[str] = []
    page = context.new_page()
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else 0)
    try:
        page.goto("/login/")
        page.fill("input[name=username]", "masha")
        page.fill("input[name=password]", "pass-12345")
        page.click("button[type=submit]")
        page.wait_for_url(f"{site.url}/")
        page.wait_for_load_state("networkidle")

        # app.css is applied: the columns are grey panels laid out in a grid.
        column = page.locator(".column").first
        assert column.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(233, 237, 243)"
        columns = page.locator(".board .columns")
        assert columns.evaluate("e => getComputedStyle(e).display") == "grid"
        assert page.evaluate("typeof window.htmx") == "object"
        assert page.evaluate("typeof window.htmx.ajax") == "function"
        stylesheet = page.locator("link[rel=stylesheet]").first.get_attribute("href")
        assert HASHED_CSS.search(stylesheet), stylesheet
        assert failed == []
    finally:
        context.close()


def test_static_files_are_compressed_hashed_and_cached_for_a_year(site, browser):
    page = browser.new_page(base_url=site.url)
    try:
        page.goto("/login/")
        stylesheet = page.locator("link[rel=stylesheet]").first.get_attribute("href")
    finally:
        page.close()
    status, headers, _body = site.get(stylesheet, **{"Accept-Encoding": "br, gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "br"
    assert "max-age=315360000" in headers["Cache-Control"]
    assert "immutable" in headers["Cache-Control"]
    # A file that changes gets a new name, so the long cache never serves a stale one.
    plain_status, _headers, plain = site.get(stylesheet)
    assert plain_status == 200 and b".column" in plain


def test_favicon_ico_leads_to_the_icon(site):
    status, headers, _body = site.get("/favicon.ico", Host="127.0.0.1")
    assert status == 302
    icon = headers["Location"]
    assert re.fullmatch(r"/static/img/favicon\.[0-9a-f]{12}\.svg", icon), icon
    status, headers, body = site.get(icon, Host="127.0.0.1")
    assert status == 200
    assert headers["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in body


def test_the_compose_healthcheck_gets_200_from_an_address_not_in_allowed_hosts(site):
    # What the web service's healthcheck sends: Host is the container's own address.
    status, answer = site.get_json("/readyz/", Host="127.0.0.1:8000")
    assert status == 200, answer
    assert answer["checks"]["database"] == "ok"
    assert answer["checks"]["migrations"] == "ok"
    status, answer = site.get_json("/healthz/", Host="10.0.3.7:8000")
    assert (status, answer["status"]) == (200, "ok")
    # The site itself still refuses that host.
    assert site.get("/login/", Host="10.0.3.7:8000")[0] == 400
