"""A won order's closing documents: one УПД (or a waybill and an act), numbered in their
own yearly sequence, the PDF holding both parties' requisites, the lines, the totals and
the total in words, e-mailed to a business client (a person's rendered only when first
asked for), regenerated only when asked."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from documents.models import ClosingDocument, DocumentKind
from documents.pdf import document_pdf_bytes
from documents.services import (
    closing_document_pdf_request,
    closing_documents_issue,
    closing_documents_regenerate,
)
from documents.tasks import closing_document_render
from orders.models import Customer, TimelineEvent, Work
from orders.rules import OrderError
from tests.documents.conftest import company, pdf_text, person, ru
from tests.factories import order_in_production

SUBJECT = "Закрывающие документы по заказу"


def documents_mail() -> list:
    return [m for m in mail.outbox if m.subject.startswith(SUBJECT)]


@pytest.fixture
def won(win, django_capture_on_commit_callbacks):
    """Win an order and run what its commit queued (the renders, the e-mails)."""

    def won(client: Customer):
        with django_capture_on_commit_callbacks(execute=True):
            return win(client)

    return won


def test_a_won_order_of_a_company_gets_one_upd_of_status_2_without_vat(won):
    order = won(company())
    [document] = order.closing_documents.all()
    assert (document.kind, document.upd_status, document.vat_rate) == (DocumentKind.UPD, 2, None)
    assert (document.number, document.year, document.version) == (1, timezone.localdate().year, 1)
    assert document.total == order.total_amount
    assert document.pdf_is_current
    event = TimelineEvent.objects.get(order=order, data__closing_document_id=document.pk)
    assert event.text == "UPD No. 1 issued, status 2"


def test_the_upd_pdf_holds_both_parties_requisites_lines_totals_and_the_total_in_words(won):
    order = won(company())
    document = order.closing_documents.get()
    text = pdf_text(document_pdf_bytes(document))
    today = f"{timezone.localdate():%d.%m.%Y}"
    assert "Универсальный передаточный документ" in text
    assert "Статус: 2" in text
    assert f"Счет-фактура № 1 от {today}" in text
    # The seller.
    assert "Продавец: ООО «Мебельная мастерская»" in text
    assert "Адрес: 125009, г. Москва, ул. Столярная, д. 5" in text
    assert "ИНН/КПП продавца: 7701234567/770101001" in text
    # The buyer.
    assert "Покупатель: ООО «Северный ветер»" in text
    assert "Адрес: 117997, г. Москва, ул. Вавилова, д. 19" in text
    assert "ИНН/КПП покупателя: 7707083893/773601001" in text
    assert "Российский рубль, 643" in text
    # The lines: code, name, ОКЕИ unit, quantity, price, amounts, no VAT.
    assert (
        "1 TBL-1 Oak table — 796 шт 1 15 000,00 15 000,00 без акциза без НДС без НДС 15 000,00"
        in text
    )
    assert "2 CHR-1 Oak chair — 796 шт 4 4 000,00 16 000,00" in text
    assert "3 — Доставка — 876 усл. ед 1 1 000,00 1 000,00" in text
    assert f"Всего к оплате (9) {ru(order.total_amount)} X без НДС {ru(order.total_amount)}" in text
    assert "Всего к оплате: Тридцать две тысячи рублей 00 копеек, без НДС." in text
    assert f"Заказ № {order.number}" in text
    # Line 5: the prepayment it was paid by (a payment without a reference: its invoice).
    invoice = order.invoices.get()
    assert f"К платежно-расчетному документу № {invoice.number} от {today}" in text
    assert "Иванов И. И." in text and "Петрова А. С." in text


def test_with_vat_the_upd_has_status_1_and_each_line_s_vat_taken_out_of_its_amount(won, settings):
    settings.INVOICE_VAT_RATE = "20"
    order = won(company())
    document = order.closing_documents.get()
    assert (document.upd_status, str(document.vat_amount)) == (1, "5333.34")
    text = pdf_text(document_pdf_bytes(document))
    assert "Статус: 1" in text
    # 15 000 with 20 % inside: 12 500 without it and 2 500 of VAT.
    assert (
        "1 TBL-1 Oak table — 796 шт 1 12 500,00 12 500,00 без акциза 20% 2 500,00 15 000,00" in text
    )
    assert "4 3 333,33 13 333,33 без акциза 20% 2 666,67 16 000,00" in text
    assert "Всего к оплате (9) 26 666,66 X 5 333,34 32 000,00" in text
    assert (
        "Всего к оплате: Тридцать две тысячи рублей 00 копеек, "
        "в том числе НДС: пять тысяч триста тридцать три рубля 34 копейки." in text
    )


def test_an_order_issued_again_keeps_its_one_set_and_the_next_order_takes_the_next_number(won):
    first = won(company())
    again = closing_documents_issue(order=first)
    assert [d.pk for d in again] == list(first.closing_documents.values_list("pk", flat=True))
    assert ClosingDocument.objects.count() == 1
    second = won(company(inn="7728168971", kpp="772801001", company="АО «Альфа»"))
    assert second.closing_documents.get().number == 2


def test_it_refuses_to_issue_for_an_order_not_won(staff, catalogue, seller):
    order = order_in_production(manager=staff["manager"], catalogue=catalogue)
    with pytest.raises(OrderError) as refused:
        closing_documents_issue(order=order)
    assert refused.value.message == "Closing documents are issued for a won order only."
    assert not ClosingDocument.objects.exists()


def test_regenerating_keeps_the_number_and_date_goes_up_a_version_and_sends_it_again(
    won, accountant, django_capture_on_commit_callbacks
):
    order = won(company())
    document = order.closing_documents.get()
    old_file = document.pdf.name
    customer = order.customer
    customer.company = "ООО «Южный ветер»"
    customer.legal_address = "350000, г. Краснодар, ул. Красная, д. 1"
    customer.save()
    assert "Южный" not in pdf_text(document_pdf_bytes(document))  # issued, it stays as it was
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        closing_documents_regenerate(order=order, actor=accountant)
    document.refresh_from_db()
    assert (document.number, document.version, document.pdf_version) == (1, 2, 2)
    assert document.pdf.name != old_file
    assert not document.pdf.storage.exists(old_file)
    text = pdf_text(document_pdf_bytes(document))
    today = f"{timezone.localdate():%d.%m.%Y}"
    assert f"Счет-фактура № 1 от {today}" in text
    assert f"Исправление № 1 от {today}" in text
    assert "Покупатель: ООО «Южный ветер»" in text
    assert "Адрес: 350000, г. Краснодар, ул. Красная, д. 1" in text
    [message] = documents_mail()
    assert [name for name, *_ in message.attachments] == [f"UPD-{document.year}-00001.pdf"]
    assert TimelineEvent.objects.filter(
        order=order, actor=accountant, text="Closing documents regenerated (version 2)"
    ).exists()


def test_with_the_act_and_waybill_setting_the_goods_go_on_a_waybill_and_the_delivery_on_an_act(
    won, settings
):
    settings.CLOSING_DOCUMENTS = "act_waybill"
    order = won(company())
    waybill = order.closing_documents.get(kind=DocumentKind.WAYBILL)
    act = order.closing_documents.get(kind=DocumentKind.ACT)
    assert (waybill.number, waybill.upd_status, act.number, act.upd_status) == (1, None, 1, None)
    waybill_text = pdf_text(document_pdf_bytes(waybill))
    assert "Товарная накладная № 1 от" in waybill_text
    assert "Oak table" in waybill_text and "Oak chair" in waybill_text
    assert "Доставка" not in waybill_text
    assert "Плательщик: ООО «Северный ветер», ИНН 7707083893, КПП 773601001" in waybill_text
    assert "Всего по накладной 31 000,00" in waybill_text
    assert "Всего отпущено 2 наименования на сумму Тридцать одна тысяча рублей 00 копеек" in (
        waybill_text
    )
    act_text = pdf_text(document_pdf_bytes(act))
    assert "Акт № 1 от" in act_text
    assert "Исполнитель: ООО «Мебельная мастерская», ИНН 7701234567, КПП 770101001" in act_text
    assert "Заказчик: ООО «Северный ветер», ИНН 7707083893, КПП 773601001" in act_text
    assert "1 Доставка 1 усл. ед 1 000,00 1 000,00" in act_text
    assert "Одна тысяча рублей 00 копеек" in act_text
    [message] = documents_mail()
    assert sorted(name for name, *_ in message.attachments) == [
        f"ACT-{act.year}-00001.pdf",
        f"TORG12-{waybill.year}-00001.pdf",
    ]


def test_the_business_client_receives_the_upd_attached_and_only_once(won):
    mail.outbox.clear()
    order = won(company())
    document = order.closing_documents.get()
    [message] = documents_mail()
    assert message.to == ["buh@veter.example"]
    assert message.subject == f"{SUBJECT} {order.number}"
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == (f"UPD-{document.year}-00001.pdf", "application/pdf")
    assert "ИНН/КПП покупателя: 7707083893/773601001" in pdf_text(content)
    assert f"Универсальный передаточный документ № 1 от {document.issued_on:%d.%m.%Y}" in (
        message.body
    )
    assert document.sent_at is not None
    closing_document_render.delay(document.pk)  # a redelivered render sends nothing twice
    assert len(documents_mail()) == 1


def test_a_sole_trader_gets_them_too_and_a_person_does_not(won):
    mail.outbox.clear()
    trader = won(
        Customer.objects.create(
            name="ИП Кузнецов Сергей Иванович",
            kind=Customer.Kind.SOLE_TRADER,
            inn="500100732259",
            email="kuznetsov@example.com",
        )
    )
    private = won(person())
    assert [m.to for m in documents_mail()] == [["kuznetsov@example.com"]]
    assert trader.closing_documents.get().sent_at is not None
    document = private.closing_documents.get()  # a person's order has its УПД all the same
    assert (document.number, document.sent_at) == (2, None)


def test_a_person_s_pdf_is_rendered_only_when_first_asked_for_and_once(
    won, django_capture_on_commit_callbacks
):
    order = won(person())
    document = order.closing_documents.get()
    assert (document.pdf_is_current, document.pdf_requested_at) == (False, None)
    assert not Work.objects.filter(task=closing_document_render.name).exists()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert closing_document_pdf_request(document=document)
    assert len(queued) == 1
    assert Work.objects.filter(task=closing_document_render.name, key=str(document.pk)).exists()
    # Opened again before the worker got to it: nothing more is queued.
    assert not closing_document_pdf_request(document=document)
    for callback in queued:
        callback()
    document.refresh_from_db()
    assert document.pdf_is_current
    assert document.sent_at is None  # a person is sent no documents
    assert not closing_document_pdf_request(document=document)


def test_a_failed_render_is_retried_and_the_e_mail_waits_for_it(
    won, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(document):
        raise OSError("disk full")

    monkeypatch.setattr("documents.pdf.document_render_pdf_bytes", broken)
    mail.outbox.clear()
    order = won(company())
    document = order.closing_documents.get()
    assert not document.pdf
    work = Work.objects.get(task=closing_document_render.name, key=str(document.pk))
    assert (work.attempts, work.failed_at is None) == (1, True)
    assert documents_mail() == []
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        closing_document_render.delay(document.pk)  # the sweep's retry
    document.refresh_from_db()
    assert document.pdf_is_current
    assert len(documents_mail()) == 1
    assert not Work.objects.filter(task=closing_document_render.name).exists()


def test_a_person_s_upd_names_them_with_the_delivery_address_and_no_inn(
    won, django_capture_on_commit_callbacks
):
    order = won(person())
    document = order.closing_documents.get()
    with django_capture_on_commit_callbacks(execute=True):
        closing_document_pdf_request(document=document)
    document.refresh_from_db()
    text = pdf_text(document_pdf_bytes(document))
    assert "Покупатель: Анна Иванова" in text
    assert "Адрес: Moscow, Tverskaya 1 (6а)" in text
    assert "ИНН/КПП покупателя: — (6б)" in text
