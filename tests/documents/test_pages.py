"""Closing documents for staff: the order page's block, the PDF behind a permission
check, "Regenerate" for accountants and admins only (POST), and admin."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from orders import roles
from tests.conftest import make_user
from tests.documents.conftest import company, pdf_text, person


@pytest.fixture
def won_order(win, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return win(company())


def test_the_order_s_manager_downloads_the_upd_pdf(client, staff, won_order):
    document = won_order.closing_documents.get()
    client.force_login(staff["manager"])
    response = client.get(reverse("documents:pdf", args=[document.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="UPD-{document.year}-00001.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert "ИНН/КПП покупателя: 7707083893/773601001" in pdf_text(response.content)


def test_the_pdf_is_refused_to_whoever_may_not_see_the_order_s_money(
    client, staff, outsider, won_order
):
    document = won_order.closing_documents.get()
    url = reverse("documents:pdf", args=[document.pk])
    for user in (staff["logistics"], staff["production"], outsider):
        client.force_login(user)
        assert client.get(url).status_code == 403, user
    client.force_login(make_user("vera", roles.SALES_MANAGERS))
    assert client.get(url).status_code == 403  # another manager's order
    client.logout()
    assert client.get(url).status_code == 302  # to the sign-in page


def test_an_accountant_regenerates_keeping_the_number(
    client, accountant, won_order, django_capture_on_commit_callbacks
):
    client.force_login(accountant)
    url = reverse("documents:regenerate", args=[won_order.number])
    assert client.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == won_order.get_absolute_url()
    document = won_order.closing_documents.get()
    assert (document.number, document.version, document.pdf_version) == (1, 2, 2)
    assert "The closing documents are being drawn again; their numbers stay." in (
        response.content.decode()
    )


def test_a_manager_may_not_regenerate(client, staff, won_order):
    client.force_login(staff["manager"])
    response = client.post(reverse("documents:regenerate", args=[won_order.number]))
    assert response.status_code == 403
    assert won_order.closing_documents.get().version == 1


@pytest.fixture
def admin_client(client, db) -> object:
    user = User.objects.create_superuser("root", "root@example.com", "pass-12345")
    client.force_login(user)
    return client


def test_admin_lists_the_documents_and_regenerates_the_selected(
    admin_client, won_order, django_capture_on_commit_callbacks
):
    document = won_order.closing_documents.get()
    changelist = reverse("admin:documents_closingdocument_changelist")
    page = admin_client.get(changelist, {"q": won_order.number}).content.decode()
    assert won_order.number in page
    assert f"UPD-{document.year}-00001.pdf" in page
    assert (
        admin_client.get(
            reverse("admin:documents_closingdocument_change", args=[document.pk])
        ).status_code
        == 200
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            changelist, {"action": "regenerate", "_selected_action": [document.pk]}
        )
    assert response.status_code == 302
    document.refresh_from_db()
    assert (document.number, document.version) == (1, 2)


def test_an_accountant_sees_them_in_admin(client, won_order):
    accountant = make_user("lida", roles.ACCOUNTANTS, is_staff=True)
    client.force_login(accountant)
    page = client.get(reverse("admin:documents_closingdocument_changelist")).content.decode()
    assert won_order.number in page
    assert 'value="regenerate"' in page


def test_a_pdf_not_rendered_yet_is_never_rendered_in_the_request(
    client, staff, win, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the worker has not run
        order = win(company())
    document = order.closing_documents.get()
    client.force_login(staff["manager"])
    url = reverse("documents:pdf", args=[document.pk])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.get(url)
    assert response.status_code == 202
    assert queued == []  # its render was queued when it was issued
    page = response.content.decode()
    assert '<meta http-equiv="refresh" content="3">' in page
    assert "The PDF is being prepared. This page opens it as soon as it is ready." in page
    assert order.get_absolute_url() in page


def test_a_person_s_upd_is_rendered_when_first_opened_and_the_page_waits_for_it(
    client, staff, win, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = win(person())
    document = order.closing_documents.get()
    client.force_login(staff["manager"])
    page = client.get(order.get_absolute_url()).content.decode()
    assert "PDF is being prepared" not in page  # nobody asked for it yet
    url = reverse("documents:pdf", args=[document.pk])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert client.get(url).status_code == 202
        assert client.get(url).status_code == 202  # the page reloading itself
    assert len(queued) == 1  # one render, however often it is opened
    assert "PDF is being prepared" in client.get(order.get_absolute_url()).content.decode()
    queued[0]()  # the worker renders it
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "Покупатель: Анна Иванова" in pdf_text(response.content)


def test_a_pdf_that_could_not_be_made_stops_the_waiting_page(client, staff, win):
    order = win(person())
    document = order.closing_documents.get()
    document.__class__.objects.filter(pk=document.pk).update(
        pdf_requested_at=document.created_at, pdf_error="OSError('disk full')"
    )
    client.force_login(staff["manager"])
    response = client.get(reverse("documents:pdf", args=[document.pk]))
    page = response.content.decode()
    assert 'http-equiv="refresh"' not in page
    assert "The PDF could not be made." in page
