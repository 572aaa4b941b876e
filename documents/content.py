"""What a closing document shows, frozen as JSON when it is issued or regenerated: both
parties' requisites, the lines with their VAT, the totals. The PDF is drawn from this
alone, so a later edit of the order, the client or the seller changes no issued
document until someone regenerates it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import translation

from core.units import unit_code
from invoices.models import Payment, SellerProfile
from invoices.services import invoice_lines_snapshot
from orders.models import Customer, DeliveryMethod, Order

CENT = Decimal("0.01")

# ОКЕИ (the all-Russian classifier of units): code and the short name printed beside it.
OKEI = {
    "pcs": ("796", "шт"),
    "m": ("006", "м"),
    "m2": ("055", "м2"),
    "m3": ("113", "м3"),
    "l": ("112", "л"),
    "kg": ("166", "кг"),
    "set": ("839", "компл"),
}
SERVICE_UNIT = ("876", "усл. ед")

# ОКВ (the classifier of currencies): the name and code line 7 of the УПД prints.
OKV = {
    "RUB": ("Российский рубль", "643"),
    "USD": ("Доллар США", "840"),
    "EUR": ("Евро", "978"),
    "KZT": ("Тенге", "398"),
    "BYN": ("Белорусский рубль", "933"),
}


@dataclass(frozen=True)
class Line:
    """A row of the document, amounts already split into net, VAT and gross."""

    name: str
    sku: str
    is_service: bool
    unit_code: str
    unit_name: str
    quantity: Decimal
    price: Decimal  # per unit, without VAT
    net: Decimal
    tax: Decimal | None  # None: without VAT
    gross: Decimal

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "sku": self.sku,
            "is_service": self.is_service,
            "unit_code": self.unit_code,
            "unit_name": self.unit_name,
            "quantity": str(self.quantity),
            "price": str(self.price),
            "net": str(self.net),
            "tax": None if self.tax is None else str(self.tax),
            "gross": str(self.gross),
        }


def order_lines(order: Order, vat_rate: Decimal | None) -> list[Line]:
    """The order's lines and its delivery as document rows. Prices include VAT (as on the
    invoices): each row's VAT is taken out of its amount, rounded to the kopeck."""
    with translation.override("ru"):
        rows = invoice_lines_snapshot(order)
    lines = []
    for row in rows:
        service = bool(row.get("is_delivery"))
        code, unit_name = SERVICE_UNIT if service else OKEI.get(unit_code(row["unit"]), ("", ""))
        quantity = Decimal(row["quantity"])
        gross = Decimal(row["amount"])
        tax = None
        if vat_rate is not None:
            tax = (gross * vat_rate / (100 + vat_rate)).quantize(CENT, ROUND_HALF_UP)
        net = gross - (tax or 0)
        price = (net / quantity).quantize(CENT, ROUND_HALF_UP) if quantity else net
        lines.append(
            Line(
                name=row["name"],
                sku=row.get("sku", ""),
                is_service=service,
                unit_code=code,
                unit_name=unit_name or row["unit"],
                quantity=quantity,
                price=price,
                net=net,
                tax=tax,
                gross=gross,
            )
        )
    return lines


def totals(lines: list[Line]) -> dict[str, str | None]:
    taxes = [line.tax for line in lines if line.tax is not None]
    return {
        "net": str(sum((line.net for line in lines), Decimal("0.00"))),
        "tax": str(sum(taxes, Decimal("0.00"))) if taxes else None,
        "gross": str(sum((line.gross for line in lines), Decimal("0.00"))),
    }


def seller_requisites(seller: SellerProfile) -> dict[str, str]:
    fields = ["name", "inn", "kpp", "ogrn", "address", "phone", "director", "accountant"]
    fields += ["bank_name", "bik", "account", "correspondent_account"]
    return {name: getattr(seller, name) for name in fields}


def buyer_requisites(order: Order) -> dict[str, str]:
    customer = order.customer
    return {
        "name": customer.buyer_name,
        "inn": customer.inn,
        "kpp": customer.kpp,
        "ogrn": customer.ogrn,
        # A person has no legal address: where the goods went is theirs.
        "address": customer.legal_address or order.delivery_address,
        "kind": customer.kind,
        "is_business": str(customer.kind != Customer.Kind.PERSON),
    }


def payment_documents(order: Order) -> list[str]:
    """Line 5 of the УПД: the payment documents of the money received for the order."""
    payments = Payment.objects.filter(
        order=order, amount__gt=0, reversed_by__isnull=True
    ).select_related("invoice")
    return [
        f"№ {(p.reference or p.transaction_id or p.invoice.number)[:40]} от {p.paid_at:%d.%m.%Y}"
        for p in payments.order_by("paid_at", "id")
    ]


def document_content(
    *, order: Order, lines: list[Line], issued_on: dt.date, seller: SellerProfile
) -> dict[str, Any]:
    buyer = buyer_requisites(order)
    currency_name, currency_code = OKV.get(order.currency, (order.currency, ""))
    shipped = order.shipped_on or order.pickup_date or issued_on
    delivered_to = order.delivery_address if order.delivery_method != DeliveryMethod.PICKUP else ""
    return {
        "seller": seller_requisites(seller),
        "buyer": buyer,
        "consignee": ", ".join(part for part in (buyer["name"], delivered_to) if part),
        "order": {"number": order.number, "date": f"{order.created_at:%d.%m.%Y}"},
        "shipped_on": f"{shipped:%d.%m.%Y}",
        "payment_documents": payment_documents(order),
        "currency": {"code": order.currency, "name": currency_name, "okv": currency_code},
        "lines": [line.as_json() for line in lines],
        "totals": totals(lines),
    }
