"""Every page is served with a Content-Security-Policy that allows no inline code, and the
templates carry none (no <script> with code, <style>, style="" or on…= handlers)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from tests.security.pages import main_pages

ROOT = Path(settings.BASE_DIR)


def policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in directives}


@pytest.fixture
def pages(manager, head_of_sales, head_of_production, accountant, staff, catalogue):
    return main_pages(
        manager=manager,
        head_of_sales=head_of_sales,
        head_of_production=head_of_production,
        accountant=accountant,
        staff=staff,
        catalogue=catalogue,
    )


@pytest.mark.django_db
def test_every_page_forbids_inline_code_and_framing(client, pages):
    for page in pages:
        client.logout()
        if page.username:
            client.force_login(User.objects.get(username=page.username))
        response = client.get(page.url)
        assert response.status_code == 200, (page.name, response.status_code)
        assert response["Content-Type"].startswith("text/html"), page.name
        csp = policy(response)
        assert csp.get("default-src") == ["'self'"], (page.name, csp)
        assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
        assert csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"]
        for directive in ("script-src", "style-src"):
            assert csp[directive][0] == "'self'", (page.name, directive)
            assert not {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(csp[directive])


@pytest.mark.django_db
def test_only_the_clients_invoice_page_lets_the_card_widget_in(client, pages):
    widget = "https://widget.cloudpayments.ru"
    by_name = {page.name: page for page in pages}
    csp = policy(client.get(by_name["client's invoice"].url))
    assert widget in csp["script-src"] and widget in csp["frame-src"]
    csp = policy(client.get(by_name["sign-in"].url))
    assert widget not in csp["script-src"] and "frame-src" not in csp


@pytest.mark.django_db
def test_the_lockout_page_and_the_not_found_page_carry_the_policy_too(client, manager):
    for _ in range(5):
        locked = client.post("/login/", {"username": "masha", "password": "wrong"})
    assert locked.status_code == 429 and policy(locked)["script-src"] == ["'self'"]
    client.force_login(manager)
    missing = client.get("/orders/NO-SUCH-ORDER/")
    assert missing.status_code == 404 and policy(missing)["script-src"] == ["'self'"]


# ----------------------------------------------------------------------- the templates
# E-mails are not web pages, and the invoice PDF is drawn by WeasyPrint: their inline
# styles are the only way to style them.
WEB_TEMPLATES = sorted(
    path
    for path in [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")]
    if "emails" not in path.parts and "pdf" not in path.parts and ".venv" not in path.parts
)
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
INLINE = {
    "a <style> element": re.compile(r"<style\b", re.IGNORECASE),
    'a style="" attribute': re.compile(r"<[^<>]*\sstyle\s*=", re.IGNORECASE),
    "an on…= event handler": re.compile(r"<[^<>]*\son[a-z]+\s*=", re.IGNORECASE),
    "a javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    # htmx evaluates these with Function(), which the policy refuses ('unsafe-eval').
    "an hx-on handler": re.compile(r"\shx-on[:-]", re.IGNORECASE),
    "an hx-trigger filter": re.compile(r"hx-trigger=\"[^\"]*\[", re.IGNORECASE),
    "a js: value": re.compile(r"hx-va(?:ls|rs)='\s*js:", re.IGNORECASE),
}


def inline_code(source: str) -> list[str]:
    found = [name for name, pattern in INLINE.items() if pattern.search(source)]
    for attributes, body in SCRIPT.findall(source):
        data = re.search(r"type=[\"']application/(?:ld\+)?json[\"']", attributes)
        if body.strip() and not data:
            found.append("a <script> with code in it")
        elif not body.strip() and "src=" not in attributes and not data:
            found.append("a <script> without src")
    return found


def test_the_templates_are_found():
    names = {path.relative_to(ROOT).as_posix() for path in WEB_TEMPLATES}
    assert "templates/base.html" in names and "invoices/templates/invoices/public.html" in names
    assert not any("emails/" in name for name in names)


@pytest.mark.parametrize("path", WEB_TEMPLATES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_template_carries_inline_code_or_style(path):
    assert inline_code(path.read_text()) == []


@pytest.mark.parametrize(
    "snippet",
    [
        '<button style="width:100%">',
        "<style>.x{}</style>",
        '<select onchange="this.form.submit()">',
        "<script>alert(1)</script>",
        '<div hx-get="/" hx-trigger="every 10s [visible]">',
        '<a href="javascript:void(0)">',
    ],
)
def test_the_scan_recognises_inline_code(snippet):
    assert inline_code(snippet)


def test_the_scan_lets_json_data_and_script_files_through():
    assert inline_code('<script type="application/json" id="x">{"a": 1}</script>') == []
    assert inline_code('<script src="/static/js/app.js" defer></script>') == []
