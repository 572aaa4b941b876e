"""The statement imports in admin, and every statement page read in Russian without an
English word left."""

from __future__ import annotations

import pytest
from django.conf import settings

from statements.models import StatementImport, StatementLine
from tests.conftest import make_user
from tests.statements.conftest import bank_statement, upload
from tests.workspace.test_russian import _get, _names, english_words

pytestmark = pytest.mark.django_db

# The format's own name, written as the banks write it; the alt text Django's admin writes
# in English on its search icon (admin/search_form.html), whatever the language.
NOT_OURS = {"CClientBankExchange", "Search"}


@pytest.fixture
def imported(client, accountant, invoices) -> StatementImport:
    client.force_login(accountant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    upload(client, bank_statement(invoices))
    return StatementImport.objects.get()


def test_admin_shows_the_imports_and_their_lines_read_only(client, imported):
    root = make_user("root", is_staff=True, is_superuser=True)
    listing = _get(client, root, "/admin/statements/statementimport/", "en")
    assert "kl_to_1c.txt" in listing
    page = _get(client, root, f"/admin/statements/statementimport/{imported.pk}/change/", "en")
    assert "АО «Дальний родственник»" in page  # the unmatched payment, among its lines
    assert f"/invoices/statements/{imported.pk}/" in page
    assert 'name="_save"' not in page
    line = StatementLine.objects.get(number="77")
    assert "Оплата за кухонный гарнитур" in _get(
        client, root, f"/admin/statements/statementline/{line.pk}/change/", "en"
    )
    assert "Not matched" in _get(client, root, "/admin/statements/statementline/", "en")
    assert client.get("/admin/statements/statementimport/add/").status_code == 403


def test_the_statement_pages_in_russian_have_no_english_word(client, accountant, imported):
    root = make_user("root", is_staff=True, is_superuser=True)
    line = StatementLine.objects.get(number="77")
    pages = [
        (accountant, "/invoices/statements/"),
        (accountant, f"/invoices/statements/{imported.pk}/"),
        (root, "/admin/statements/statementimport/"),
        (root, f"/admin/statements/statementimport/{imported.pk}/change/"),
        (root, "/admin/statements/statementline/"),
        (root, f"/admin/statements/statementline/{line.pk}/change/"),
    ]
    left = {}
    for user, path in pages:
        words = english_words(_get(client, user, path), _names()) - NOT_OURS
        if words:
            left[path] = sorted(words)
    assert not left, left
