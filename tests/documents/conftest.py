"""Won orders of a company, a sole trader and a person, through the real pipeline, with
the seller's requisites filled in and the PDFs stored in a temporary folder."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from pypdf import PdfReader

from invoices.models import SellerProfile
from orders.models import Customer, Order, TaskKind
from pipeline.work import task_complete
from tests.factories import order_in_delivery, refreshed


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def seller(db) -> SellerProfile:
    seller = SellerProfile.load()
    seller.name = "ООО «Мебельная мастерская»"
    seller.inn = "7701234567"
    seller.kpp = "770101001"
    seller.address = "125009, г. Москва, ул. Столярная, д. 5"
    seller.bank_name = "ПАО «Сбербанк»"
    seller.bik = "044525225"
    seller.account = "40702810900000012345"
    seller.correspondent_account = "30101810400000000225"
    seller.director = "Иванов И. И."
    seller.accountant = "Петрова А. С."
    seller.save()
    return seller


def company(**extra) -> Customer:
    return Customer.objects.create(
        **{
            "name": "Пётр Сидоров",
            "company": "ООО «Северный ветер»",
            "kind": Customer.Kind.COMPANY,
            "inn": "7707083893",
            "kpp": "773601001",
            "legal_address": "117997, г. Москва, ул. Вавилова, д. 19",
            "email": "buh@veter.example",
            **extra,
        }
    )


def person(**extra) -> Customer:
    return Customer.objects.create(
        **{"name": "Анна Иванова", "email": "anna@example.com", "kind": Customer.Kind.PERSON}
        | extra
    )


@pytest.fixture
def win(staff, catalogue, seller) -> Callable[..., Order]:
    """Deliver an order (a table and four chairs, 31,000 + 1,000 delivery, prepaid in
    full) to `client`: the pipeline wins it."""

    def win(client: Customer, *, actor: User | None = None) -> Order:
        order = order_in_delivery(
            manager=staff["manager"], worker=staff["production"], catalogue=catalogue, client=client
        )
        task_complete(
            task=order.tasks.get(kind=TaskKind.DELIVER),
            actor=actor or staff["logistics"],
            shipped_on=timezone.localdate(),
            tracking_number="CD-1",
        )
        return refreshed(order)

    return win


def pdf_text(pdf: bytes) -> str:
    """The PDF's text on one line, spaces as they read (no-break ones too)."""
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(text.replace("\xa0", " ").replace("\u202f", " ").split())


def ru(amount: Decimal | str) -> str:
    """12345.5 → "12 345,50", as the Russian locale prints it."""
    return f"{Decimal(amount):,.2f}".replace(",", " ").replace(".", ",")
