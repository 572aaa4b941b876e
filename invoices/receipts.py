"""Fiscal receipts (54-ФЗ) through CloudPayments' online cash register.

A card payment carries its receipt: the payment link (orders/create `JsonData`) and the
widget (`data`) hold `CloudPayments.CustomerReceipt`, and CloudPayments issues it with the
payment. Money taken before the goods are handed over is a prepayment (in full, or in part);
when the order is delivered the settlement receipt (full settlement, offsetting that
advance) goes through the receipts API (kkt/receipt), and so does a card refund's return
receipt. Those are rows of Receipt, sent by invoices.tasks.receipt_send with retries; a
receipt that fails is reported to the accountants and never touches the money."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, override

from core.money import Amount
from core.phones import PhoneError, phone_normalize
from core.texts import Msg
from core.units import unit_label
from invoices.cloudpayments import CloudPaymentsAPI
from invoices.models import (
    PREPAYMENT_METHODS,
    ZERO,
    Invoice,
    Payment,
    PaymentSource,
    Receipt,
    ReceiptStatus,
    ReceiptType,
    SellerProfile,
    SettlementMethod,
)
from notifications.staff import tell_staff
from orders import roles
from orders.models import Order, Stage

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")

# CloudPayments' `vat`: null is "without VAT" (not the same as 0 %). Money taken in advance
# carries the calculated rate (10/110, 20/120…), as 54-ФЗ asks of prepayments.
VAT_CODES: dict[str, int | None] = {
    "none": None,
    "0": 0,
    "5": 5,
    "7": 7,
    "10": 10,
    "20": 20,
    "22": 22,
}
CALCULATED_VAT = {5: 105, 7: 107, 10: 110, 20: 120, 22: 122}

# CloudPayments' `object` (the subject of settlement, tag 1212): goods, and a service.
OBJECT_GOODS = 1
OBJECT_SERVICE = 4

# Longest label a receipt line takes (tag 1030).
LABEL_MAX = 128


def receipts_enabled() -> bool:
    return bool(
        settings.RECEIPTS_ENABLED
        and settings.CLOUDPAYMENTS_PUBLIC_ID
        and settings.CLOUDPAYMENTS_API_SECRET
    )


def receipts_inn() -> str:
    return settings.RECEIPTS_INN or SellerProfile.load().inn


def vat_code(rate: str, method: int) -> int | None:
    """A line's VAT for CloudPayments: the product's rate, or the company's when blank."""
    rate = (rate or settings.INVOICE_VAT_RATE or "none").strip().lower()
    if rate not in VAT_CODES:
        rate = format(Decimal(rate).normalize(), "f") if rate.replace(".", "", 1).isdigit() else ""
    code = VAT_CODES.get(rate)
    if method in PREPAYMENT_METHODS and code:
        return CALCULATED_VAT.get(code, code)
    return code


def _split(amounts: Sequence[Decimal], total: Decimal) -> list[Decimal]:
    """`total` shared in proportion to `amounts`, to the kopeck: each share rounded down,
    the kopecks left over going one each to the shares that lost most (the later of equal
    ones), so the shares add up to `total` exactly and none passes its exact part."""
    whole = sum(amounts, ZERO)
    if total == whole:
        return list(amounts)
    exact = [amount * total / whole for amount in amounts]
    shares = [part.quantize(CENT, rounding=ROUND_DOWN) for part in exact]
    left = int((total - sum(shares, ZERO)) / CENT)
    by_loss = sorted(range(len(shares)), key=lambda n: (exact[n] - shares[n], n), reverse=True)
    for n in by_loss[:left]:
        shares[n] += CENT
    return shares


def receipt_items(lines: list[dict[str, str]], *, amount: Decimal, method: int) -> list[dict]:
    """The invoice's lines as the receipt's items, their sums scaled to `amount` (a part
    prepaid, a part refunded); the items add up to `amount` exactly."""
    lines = [line for line in lines if Decimal(line["amount"]) > 0]
    if not lines:
        return []
    shares = _split([Decimal(line["amount"]) for line in lines], amount)
    items = []
    with override("ru"):
        for line, share in zip(lines, shares, strict=True):
            if share <= 0:  # a kopeck's share rounded away: nothing of it is paid
                continue
            delivery = bool(line.get("is_delivery"))
            quantity = Decimal(line["quantity"])
            if share == Decimal(line["amount"]):
                price = Decimal(line["price"])  # the amount is after the line's discount
            else:
                # A share of the line: its price per unit, rounded up so that price ×
                # quantity never falls below the amount.
                price = (share / quantity).quantize(CENT, rounding=ROUND_UP)
            items.append(
                {
                    "label": (str(_("Delivery")) if delivery else line["name"])[:LABEL_MAX],
                    "price": float(price),
                    "quantity": float(quantity),
                    "amount": float(share),
                    "vat": vat_code(line.get("vat", ""), method),
                    "method": int(method),
                    "object": OBJECT_SERVICE if delivery else OBJECT_GOODS,
                    "measurementUnit": str(unit_label(line.get("unit") or "pcs"))
                    if not delivery
                    else str(_("service")),
                }
            )
    return items


def _subject(order: Order) -> tuple[str, str]:
    """Where the client gets the receipt: the e-mail, or else the phone (E.164)."""
    customer = order.customer
    if customer.email:
        return customer.email, ""
    try:
        return "", phone_normalize(customer.phone or "")
    except PhoneError:
        return "", ""


def customer_receipt(
    *,
    order: Order,
    lines: list[dict[str, str]],
    amount: Decimal,
    method: int,
    advance: Decimal = ZERO,
) -> dict[str, Any]:
    """CloudPayments' CustomerReceipt: `amount` in all, of which `advance` was paid before
    (offset against it) and the rest by card now."""
    email, phone = _subject(order)
    return {
        "Items": receipt_items(lines, amount=amount, method=method),
        "taxationSystem": settings.RECEIPTS_TAXATION_SYSTEM,
        "email": email,
        "phone": phone,
        "isBso": False,
        "amounts": {
            "electronic": float(amount - advance),
            "advancePayment": float(advance),
            "credit": 0.0,
            "provision": 0.0,
        },
    }


def income_method(invoice: Invoice, amount: Decimal, *, order: Order | None = None) -> int:
    """Paid after delivery: a settlement; before it, a prepayment, in full when this one
    payment covers the whole order."""
    if (order or invoice.order).stage == Stage.WON:
        return SettlementMethod.FULL_SETTLEMENT
    if invoice.paid_before <= 0 and invoice.paid_amount <= 0 and amount >= invoice.order_total:
        return SettlementMethod.FULL_PREPAYMENT
    return SettlementMethod.PREPAYMENT


def payment_receipt(invoice: Invoice, amount: Decimal | None = None) -> dict[str, Any] | None:
    """The CustomerReceipt a card payment of `amount` (the balance by default) of this
    invoice carries; None when receipts are off."""
    if not receipts_enabled():
        return None
    amount = invoice.balance if amount is None else amount
    if amount <= 0:
        return None
    method = income_method(invoice, amount)
    return customer_receipt(order=invoice.order, lines=invoice.lines, amount=amount, method=method)


def receipt_record_with_payment(
    *, order: Order, invoice: Invoice, payment: Payment
) -> Receipt | None:
    """A card payment arrived through the link or the widget, which carried its receipt:
    CloudPayments issued it with the payment. Recorded under the caller's locks, inside a
    savepoint: whatever goes wrong here, the payment stays."""
    if not receipts_enabled() or payment.source != PaymentSource.CLOUDPAYMENTS:
        return None
    try:
        with transaction.atomic():
            # What the invoice was before this payment: the link was made for that.
            invoice.paid_amount -= payment.amount
            try:
                method = income_method(invoice, payment.amount, order=order)
            finally:
                invoice.paid_amount += payment.amount
            body = customer_receipt(
                order=order, lines=invoice.lines, amount=payment.amount, method=method
            )
            return Receipt.objects.create(
                order=order,
                invoice=invoice,
                payment=payment,
                type=ReceiptType.INCOME,
                method=method,
                amount=payment.amount,
                body=body,
                status=ReceiptStatus.WITH_PAYMENT,
                sent_at=timezone.now(),
            )
    except Exception:
        logger.exception("the receipt of payment %s was not recorded", payment.pk)
        return None


def _advance_receipted(order: Order) -> Decimal:
    """What the order's prepayment receipts took in, less what their returns gave back."""
    # A failed one counts too: the money moved all the same, and the accountants issue
    # that receipt by hand.
    rows = Receipt.objects.filter(order=order, method__in=PREPAYMENT_METHODS)
    taken = rows.filter(type=ReceiptType.INCOME).aggregate(s=Sum("amount"))["s"] or ZERO
    back = rows.filter(type=ReceiptType.INCOME_RETURN).aggregate(s=Sum("amount"))["s"] or ZERO
    return taken - back


def receipt_settlement_record(*, order: Order, lines: list[dict[str, str]]) -> Receipt | None:
    """The order is delivered: the settlement receipt offsetting the advance its card
    prepayments carried (none when there was none). Once per order; inside a savepoint,
    so nothing here stops the delivery."""
    if not receipts_enabled():
        return None
    try:
        with transaction.atomic():
            advance = _advance_receipted(order)
            if advance <= 0:
                return None
            method = SettlementMethod.FULL_SETTLEMENT
            body = customer_receipt(
                order=order, lines=lines, amount=advance, method=method, advance=advance
            )
            return Receipt.objects.create(
                order=order,
                type=ReceiptType.INCOME,
                method=method,
                amount=advance,
                advance=advance,
                body=body,
            )
    except IntegrityError:  # already settled
        return None
    except Exception:
        logger.exception("the settlement receipt of order %s was not recorded", order.pk)
        return None


def receipt_return_record(*, refund: Payment, order: Order, invoice: Invoice) -> Receipt | None:
    """A card payment given back: the return receipt of what was refunded, with the
    method of what it returns (a prepayment, or the settled goods after delivery)."""
    original = refund.refund_of
    if not receipts_enabled() or original is None or original.source != PaymentSource.CLOUDPAYMENTS:
        return None
    try:
        with transaction.atomic():
            settled = order.receipts.filter(
                type=ReceiptType.INCOME, method=SettlementMethod.FULL_SETTLEMENT
            )
            method: int
            if settled.exists():
                method = SettlementMethod.FULL_SETTLEMENT
            else:
                first = original.receipts.first()
                method = first.method if first is not None else SettlementMethod.PREPAYMENT
            amount = -refund.amount
            body = customer_receipt(order=order, lines=invoice.lines, amount=amount, method=method)
            return Receipt.objects.create(
                order=order,
                invoice=invoice,
                payment=refund,
                type=ReceiptType.INCOME_RETURN,
                method=method,
                amount=amount,
                body=body,
            )
    except IntegrityError:  # the same refund reported again
        return None
    except Exception:
        logger.exception("the return receipt of refund %s was not recorded", refund.pk)
        return None


def receipt_send(receipt_id: int, *, api: CloudPaymentsAPI | None = None) -> bool:
    """Send a pending receipt through kkt/receipt; False when there is nothing to send.
    Its id is the request id, so a retry after a lost answer gets the first receipt."""
    receipt = Receipt.objects.select_related("order", "invoice").get(pk=receipt_id)
    if receipt.status in (ReceiptStatus.SENT, ReceiptStatus.WITH_PAYMENT):
        return False
    Receipt.objects.filter(pk=receipt.pk).update(attempts=receipt.attempts + 1)
    external_id = (api or CloudPaymentsAPI()).send_receipt(
        inn=receipts_inn(),
        receipt_type=receipt.type,
        customer_receipt=receipt.body,
        invoice_id=receipt.invoice.number if receipt.invoice else receipt.order.number,
        account_id=receipt.order.number,
        request_id=f"conveyor-receipt-{receipt.pk}",
    )
    Receipt.objects.filter(pk=receipt.pk).update(
        status=ReceiptStatus.SENT, external_id=external_id, last_error="", sent_at=timezone.now()
    )
    return True


def receipt_failed(receipt_id: int, error: BaseException, *, final: bool) -> None:
    """A failed attempt, written where people see it; `final`: retries are over, and the
    accountants are told to issue it by hand."""
    receipt = Receipt.objects.select_related("order").get(pk=receipt_id)
    status = ReceiptStatus.FAILED if final else receipt.status
    Receipt.objects.filter(pk=receipt.pk).update(status=status, last_error=str(error)[:1000])
    if final:
        tell_staff(
            role=roles.ACCOUNTANTS,
            order=receipt.order,
            email=True,
            text=Msg(
                gettext_noop(
                    "The fiscal receipt of %(amount)s for order %(number)s was not sent: %(error)s"
                ),
                amount=Amount(receipt.amount, receipt.order.currency),
                number=receipt.order.number,
                error=str(error)[:200],
            ),
        )


def receipts_retry(receipts: Sequence[Receipt]) -> list[int]:
    """An admin's "retry": failed or pending receipts go back to be sent; their ids."""
    ids = [r.pk for r in receipts if r.status in (ReceiptStatus.FAILED, ReceiptStatus.PENDING)]
    Receipt.objects.filter(pk__in=ids).update(status=ReceiptStatus.PENDING, last_error="")
    return ids
