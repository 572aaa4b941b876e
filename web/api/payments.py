"""The accounting system's path (1C): payments it has seen on the bank account (config.api
mounts the router at /api/v1/payments/)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.db import IntegrityError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import BeforeValidator, ConfigDict, Field

from invoices.models import Invoice, Payment, PaymentSource
from orders.models import ApiScope, Order
from orders.rules import OrderError
from pipeline.payments import payment_register
from web.api.base import (
    ApiKeyAuth,
    Errors,
    Input,
    Refusal,
    Refused,
    column_limit,
    decimal_for,
    grouped,
    text,
)

# Money dates: nothing of ours was paid before 2000, and "tomorrow" leaves room for a bank
# day reported in another time zone.
EARLIEST_PAYMENT = dt.date(2000, 1, 1)

AMOUNT_INVALID = _("The amount must be a number more than 0, at most 2 decimals.")
PAID_AT_INVALID = _("Give the date of the payment (ISO 8601).")
PAID_AT_OUT_OF_RANGE = _("The date of the payment must be between 2000-01-01 and tomorrow.")
CURRENCY_INVALID = _("Use a three-letter currency code.")
UNKNOWN_INVOICE = _("Unknown invoice: %(number)s.")
REFERENCE_REUSED = _("Reference %(reference)s was already used for another payment.")
PAID_TOO_MUCH = _("With this payment the paid sum would not fit: it must stay below %(limit)s.")

router = Router(tags=["payments"])

# The fields' types are pydantic Annotated types built at run time (text(), decimal_for()):
# mypy cannot read a call as a type, hence the valid-type ignores below.


def paid_at_parse(value: Any) -> dt.datetime:
    """An ISO 8601 moment or day (a day is its midnight, a moment without an offset is in
    TIME_ZONE), real and between 2000-01-01 and a day from now."""
    if not isinstance(value, str) or len(value) > 40 or "\x00" in value:
        raise Refused(PAID_AT_INVALID)
    value = value.strip()
    try:
        moment = parse_datetime(value)
        if moment is None and (day := parse_date(value)) is not None:
            moment = dt.datetime.combine(day, dt.time.min)
    except ValueError:  # 2026-02-30, T24:00, an offset of +25:00
        moment = None
    if moment is None:
        raise Refused(PAID_AT_INVALID)
    # Years are checked before any arithmetic: 0001-01-01T00:00+05:00 overflows in UTC.
    if not EARLIEST_PAYMENT.year <= moment.year <= timezone.now().year + 1:
        raise Refused(PAID_AT_OUT_OF_RANGE)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    earliest = timezone.make_aware(dt.datetime.combine(EARLIEST_PAYMENT, dt.time.min))
    if not earliest <= moment <= timezone.now() + dt.timedelta(days=1):
        raise Refused(PAID_AT_OUT_OF_RANGE)
    return moment


def _currency(value: Any) -> str | None:
    if value is None:
        return None
    if not (isinstance(value, str) and len(value) == 3 and value.isascii() and value.isalpha()):
        raise Refused(CURRENCY_INVALID)
    return value.upper()


class PaymentIn(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "invoice": "INV-2026-00017",
                    "amount": "32000.00",
                    "paid_at": "2026-11-25T12:00:00+03:00",
                    "reference": "п/п 1234 от 25.11.2026",
                    "currency": "RUB",
                }
            ]
        }
    )

    invoice: text(Invoice._meta.get_field("number").max_length, required=True) = Field(  # type: ignore[valid-type]
        description="The invoice's number as printed on it."
    )
    amount: decimal_for(  # type: ignore[valid-type]
        Payment._meta.get_field("amount"), message=AMOUNT_INVALID, positive=True
    ) = Field(description="More than 0, at most 2 decimals; a string or a number.")
    paid_at: Annotated[dt.datetime, BeforeValidator(paid_at_parse)] = Field(
        description="When the money arrived: an ISO 8601 moment or day, from 2000-01-01 "
        "to tomorrow. Without an offset it is in the company's time zone."
    )
    reference: text(  # type: ignore[valid-type]
        Payment._meta.get_field("external_id").max_length, required=True, numbers=True
    ) = Field(description="The payment order's reference: the same one again is one payment.")
    currency: Annotated[str | None, BeforeValidator(_currency)] = Field(
        None, description="If sent, it must be the invoice's currency."
    )


class PaymentState(Schema):
    id: int
    invoice: str
    amount: str = Field(examples=["32000.00"])
    currency: str
    paid_at: str
    reference: str
    overpayment: bool = Field(description="More than the invoice still asked for.")


class InvoiceMoney(Schema):
    number: str
    status: str = Field(examples=["paid"])
    amount: str
    paid: str
    balance: str


class OrderStage(Schema):
    number: str
    stage: str = Field(examples=["production"])


class PaymentOut(Schema):
    payment: PaymentState
    invoice: InvoiceMoney
    order: OrderStage


def _answer(payment: Payment) -> dict[str, Any]:
    invoice = payment.invoice
    invoice.refresh_from_db()
    return {
        "payment": {
            "id": payment.pk,
            "invoice": invoice.number,
            "amount": str(payment.amount),
            "currency": payment.currency,
            "paid_at": payment.paid_at.isoformat(),
            "reference": payment.external_id,
            "overpayment": payment.is_overpayment,
        },
        "invoice": {
            "number": invoice.number,
            "status": invoice.status,
            "amount": str(invoice.amount),
            "paid": str(invoice.paid_amount),
            "balance": str(invoice.balance),
        },
        "order": {"number": invoice.order.number, "stage": invoice.order.stage},
    }


@router.post(
    "",
    auth=ApiKeyAuth(ApiScope.ACCOUNTING),
    response={
        200: PaymentOut,
        201: PaymentOut,
        400: Errors,
        401: Refusal,
        403: Refusal,
        409: Errors,
        413: Errors,
    },
    summary="Report a bank payment",
    operation_id="payment_import",
)
def payment_import(request: HttpRequest, payload: PaymentIn) -> Status:
    """Records a payment against an invoice: `201`. Idempotent on `reference`: the same
    reference again answers `200` with the payment already recorded; the same reference
    with another invoice or amount is a `409`, and so is a void invoice or another currency.
    Needs the `accounting` scope."""
    invoice = Invoice.objects.filter(number=payload.invoice).select_related("order").first()
    if invoice is None:
        return Status(
            400, {"errors": {"invoice": [str(UNKNOWN_INVOICE) % {"number": payload.invoice}]}}
        )
    # The invoice's and the order's paid sums are columns too: many large payments against
    # one invoice must not overflow them.
    limit = min(
        column_limit(Invoice._meta.get_field("paid_amount")),
        column_limit(Order._meta.get_field("paid_amount")),
    )
    if max(invoice.paid_amount, invoice.order.paid_amount) + payload.amount >= limit:
        return Status(
            400,
            {"errors": {"amount": [str(PAID_TOO_MUCH) % {"limit": grouped(limit)}]}},
        )
    try:
        payment, created = payment_register(
            invoice=invoice,
            amount=payload.amount,
            source=PaymentSource.ACCOUNTING,
            external_id=payload.reference,
            paid_at=payload.paid_at,
            reference=payload.reference,
            currency=payload.currency,
        )
    except IntegrityError:
        # The same reference arrived twice at once; the other request recorded it.
        payment = Payment.objects.get(
            source=PaymentSource.ACCOUNTING, external_id=payload.reference
        )
        created = False
    except OrderError as exc:
        # A bad field is the caller's mistake (400); a void invoice or another currency is
        # a conflict with what we hold (409).
        status = 409 if set(exc.errors) == {"__all__"} else 400
        return Status(status, {"errors": exc.errors})
    if not created and (payment.invoice_id != invoice.pk or payment.amount != payload.amount):
        message = str(REFERENCE_REUSED) % {"reference": payload.reference}
        return Status(409, {"errors": {"reference": [message]}})
    return Status(201 if created else 200, _answer(payment))
