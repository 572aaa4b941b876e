"""Invoices and the payments against them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0.00")


class InvoiceKind(models.TextChoices):
    PREPAYMENT = "prepayment", _("Prepayment")
    POSTPAYMENT = "postpayment", _("Postpayment")
    MANUAL = "manual", _("Manual")


class InvoiceStatus(models.TextChoices):
    ISSUED = "issued", _("Awaiting payment")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", _("Paid")
    VOID = "void", _("Void")


UNPAID_STATUSES = [InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID]


class Invoice(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True)
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="invoices", verbose_name=_("order")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=InvoiceKind.choices)
    amount = models.DecimalField(_("amount due"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    paid_amount = models.DecimalField(_("paid"), max_digits=14, decimal_places=2, default=ZERO)
    status = models.CharField(
        _("status"), max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.ISSUED
    )
    # What the invoice was issued for, frozen: later edits of the order do not change it.
    lines = models.JSONField(_("lines"), default=list)
    order_total = models.DecimalField(
        _("order total"), max_digits=14, decimal_places=2, default=ZERO
    )
    paid_before = models.DecimalField(
        _("already paid"), max_digits=14, decimal_places=2, default=ZERO
    )
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True)
    # Paid more than due (a second transaction on a paid invoice): shown to accountants.
    overpaid = models.BooleanField(_("overpaid"), default=False)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_amount_positive")
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def balance(self) -> Decimal:
        return self.amount - self.paid_amount

    @property
    def is_open(self) -> bool:
        return self.status in UNPAID_STATUSES


class PaymentSource(models.TextChoices):
    MANUAL = "manual", _("Registered by staff")
    CLOUDPAYMENTS = "cloudpayments", _("CloudPayments")
    ACCOUNTING = "accounting", _("Accounting system")


class Payment(models.Model):
    """A movement of money against an invoice. Never edited or deleted: a reversal or a
    refund is a new row with a negative amount."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    source = models.CharField(_("source"), max_length=16, choices=PaymentSource.choices)
    # The provider's transaction id or the accounting reference: one payment per id.
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    paid_at = models.DateTimeField(_("paid at"), default=timezone.now)
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    reversal_of = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reversal of"),
    )
    reason = models.TextField(_("reason"), blank=True)
    is_overpayment = models.BooleanField(_("overpayment"), default=False)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        permissions = [("register_payment", _("Can register and reverse payments"))]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="payment_external_id_unique_per_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} → {self.invoice}"
