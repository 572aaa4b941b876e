"""Fiscal receipts (54-ФЗ) of card payments: see invoices/receipts.py."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from invoices.models.money import ZERO, Invoice, Payment


class ReceiptType(models.TextChoices):
    """CloudPayments' receipt types (kkt/receipt `Type`)."""

    INCOME = "Income", pgettext_lazy("receipt type", "Income")
    INCOME_RETURN = "IncomeReturn", pgettext_lazy("receipt type", "Return of income")


class SettlementMethod(models.IntegerChoices):
    """The settlement method of a receipt's lines (54-ФЗ tag 1214, CloudPayments `method`)."""

    FULL_PREPAYMENT = 1, pgettext_lazy("settlement method", "Full prepayment")
    PREPAYMENT = 2, pgettext_lazy("settlement method", "Partial prepayment")
    ADVANCE = 3, pgettext_lazy("settlement method", "Advance")
    FULL_SETTLEMENT = 4, pgettext_lazy("settlement method", "Full settlement")


PREPAYMENT_METHODS = (
    SettlementMethod.FULL_PREPAYMENT,
    SettlementMethod.PREPAYMENT,
    SettlementMethod.ADVANCE,
)


class ReceiptStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("receipt status", "Waiting to be sent")
    WITH_PAYMENT = "with_payment", pgettext_lazy("receipt status", "Sent with the payment")
    SENT = "sent", pgettext_lazy("receipt status", "Sent")
    FAILED = "failed", pgettext_lazy("receipt status", "Failed")


class Receipt(models.Model):
    """A fiscal receipt (54-ФЗ) for a card payment: the one CloudPayments issued with the
    payment (its link or widget carried it), or one we sent through its receipts API (the
    settlement at delivery, a refund's return). Its failure never touches the money."""

    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="receipts", verbose_name=_("order")
    )
    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receipts",
        verbose_name=_("invoice"),
    )
    # The payment (or the refund) it is the receipt of; none for a settlement receipt.
    payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receipts",
        verbose_name=_("payment"),
    )
    type = models.CharField(_("type"), max_length=16, choices=ReceiptType.choices)
    method = models.PositiveSmallIntegerField(
        _("settlement method"), choices=SettlementMethod.choices
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    # The advance it offsets (amounts.advancePayment): a settlement after prepayment.
    advance = models.DecimalField(
        _("advance offset"), max_digits=14, decimal_places=2, default=ZERO
    )
    # The CustomerReceipt exactly as it was (or is to be) sent.
    body = models.JSONField(_("receipt"), default=dict)
    status = models.CharField(
        _("status"), max_length=16, choices=ReceiptStatus.choices, default=ReceiptStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    external_id = models.CharField(_("CloudPayments id"), max_length=64, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("fiscal receipt")
        verbose_name_plural = _("fiscal receipts")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One receipt per payment or refund, one settlement per order: a repeated
            # notification or a second delivery event adds none.
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(payment__isnull=False),
                name="receipt_one_per_payment",
            ),
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(type="Income", method=4, payment__isnull=True),
                name="receipt_one_settlement_per_order",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="receipt_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.amount} ({self.get_status_display()})"
