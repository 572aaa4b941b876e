"""The order page of a won order lists its closing documents, each with its PDF, and
offers «Regenerate» to those allowed to; one query more than any other order's page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.documents.conftest import company


@pytest.fixture
def won_order(win, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return win(company())


def test_the_won_order_s_page_lists_the_upd_with_its_pdf(client, staff, won_order):
    document = won_order.closing_documents.get()
    client.force_login(staff["manager"])
    html = client.get(won_order.get_absolute_url()).content.decode()
    assert 'data-testid="closing-documents"' in html
    assert f"УПД № 1 от {document.issued_on:%d.%m.%Y}" in html
    assert reverse("documents:pdf", args=[document.pk]) in html
    assert "Universal transfer document · status 2" in html
    assert f"Sent to the client {document.sent_at:%m/%d/%Y}" in html
    # A manager reads them; regenerating is for accountants and admins.
    assert reverse("documents:regenerate", args=[won_order.number]) not in html


def test_an_accountant_sees_the_regenerate_button_in_russian(
    client, accountant, won_order, settings
):
    client.force_login(accountant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    html = client.get(won_order.get_absolute_url()).content.decode()
    assert "Закрывающие документы" in html
    assert "Универсальный передаточный документ · статус 2" in html
    assert f'action="{reverse("documents:regenerate", args=[won_order.number])}"' in html
    assert "Сформировать заново" in html


def test_the_won_order_s_page_reads_its_documents_in_one_query(
    client, staff, won_order, django_assert_num_queries
):
    client.force_login(staff["manager"])
    # session, user, the order with client, manager and carrier, user's and groups'
    # permissions, lines, tasks, invoices, payments, fiscal receipts, timeline, the company
    # calendar and its holidays (the two clocks), closing documents, open task count,
    # unread notifications, role: the 16 of tests/workspace/test_order_page.py and the
    # closing documents.
    with django_assert_num_queries(17):
        response = client.get(won_order.get_absolute_url())
    assert response.status_code == 200
