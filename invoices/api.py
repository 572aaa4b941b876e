"""The accounting system's path (1C): payments it has seen on the bank account."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from invoices.models import Invoice, Payment, PaymentSource
from invoices.services import payment_register
from orders.api import api_key_required
from orders.rules import OrderError


def _parse(payload: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {}

    def err(field: str, message: str) -> None:
        errors.setdefault(field, []).append(str(message))

    if not isinstance(payload, dict):
        return {}, {"__all__": [_("The body must be a JSON object.")]}
    number = payload.get("invoice")
    if not isinstance(number, str) or not number.strip():
        err("invoice", _("This field is required."))
    else:
        invoice = Invoice.objects.filter(number=number.strip()).first()
        if invoice is None:
            err("invoice", _("Unknown invoice: %(number)s.") % {"number": number})
        data["invoice"] = invoice
    raw = payload.get("amount")
    try:
        if isinstance(raw, bool) or raw is None:
            raise InvalidOperation
        amount = Decimal(str(raw))
        if not amount.is_finite() or amount <= 0 or amount.as_tuple().exponent < -2:
            raise InvalidOperation
        data["amount"] = amount
    except (InvalidOperation, ValueError):
        err("amount", _("The amount must be a number more than 0, at most 2 decimals."))
    raw_date = payload.get("paid_at")
    paid_at = None
    if isinstance(raw_date, str) and raw_date.strip():
        paid_at = parse_datetime(raw_date.strip())
        if paid_at is None and (day := parse_date(raw_date.strip())) is not None:
            paid_at = timezone.make_aware(
                timezone.datetime.combine(day, timezone.datetime.min.time())
            )
        elif paid_at is not None and timezone.is_naive(paid_at):
            paid_at = timezone.make_aware(paid_at)
    if paid_at is None:
        err("paid_at", _("Give the date of the payment (ISO 8601)."))
    data["paid_at"] = paid_at
    reference = payload.get("reference")
    if not isinstance(reference, str | int) or not str(reference).strip():
        err("reference", _("This field is required."))
    elif len(str(reference)) > 100:
        err("reference", _("At most 100 characters."))
    else:
        data["reference"] = str(reference).strip()
    currency = payload.get("currency")
    if currency is not None and not (isinstance(currency, str) and len(currency) == 3):
        err("currency", _("Use a three-letter currency code."))
    data["currency"] = currency.upper() if isinstance(currency, str) else None
    return data, errors


def _answer(payment: Payment, *, status: int) -> JsonResponse:
    invoice = payment.invoice
    invoice.refresh_from_db()
    return JsonResponse(
        {
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
        },
        status=status,
    )


@csrf_exempt
@require_http_methods(["POST"])
@api_key_required
def payment_import(request: HttpRequest) -> JsonResponse:
    """Idempotent on `reference`: the same reference again answers 200 with the payment
    already recorded; the same reference with a different invoice or amount is a 409."""
    try:
        payload = json.loads(request.body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"errors": {"__all__": [_("The body is not valid JSON.")]}}, status=400)
    data, errors = _parse(payload)
    if errors:
        return JsonResponse({"errors": errors}, status=400)
    try:
        payment, created = payment_register(
            invoice=data["invoice"],
            amount=data["amount"],
            source=PaymentSource.ACCOUNTING,
            external_id=data["reference"],
            paid_at=data["paid_at"],
            reference=data["reference"],
            currency=data["currency"],
        )
    except IntegrityError:
        # The same reference arrived twice at once; the other request recorded it.
        payment = Payment.objects.get(
            source=PaymentSource.ACCOUNTING, external_id=data["reference"]
        )
        created = False
    except OrderError as exc:
        # A bad field is the caller's mistake (400); a void invoice or another currency is
        # a conflict with what we hold (409).
        status = 409 if set(exc.errors) == {"__all__"} else 400
        return JsonResponse({"errors": exc.errors}, status=status)
    if not created and (
        payment.invoice_id != data["invoice"].pk or payment.amount != data["amount"]
    ):
        return JsonResponse(
            {
                "errors": {
                    "reference": [
                        _("Reference %(reference)s was already used for another payment.")
                        % {"reference": data["reference"]}
                    ]
                }
            },
            status=409,
        )
    return _answer(payment, status=201 if created else 200)
