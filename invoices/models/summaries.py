"""Totals kept beside the rows so the accountants' pages never add up every invoice or
payment: database triggers (invoices.summaries) change them in the writer's transaction,
whatever code path writes the invoice or the payment."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReceivableDay(models.Model):
    """What clients owe, and what is owed back to them, per currency and due date: the
    receivables' totals and the overdue part (due dates before today) without reading
    the invoices."""

    currency = models.CharField(_("currency"), max_length=3)
    due_key = models.DateField(_("due date"))
    open_count = models.BigIntegerField(_("open invoices"), default=0)
    due = models.DecimalField(_("due"), max_digits=18, decimal_places=2, default=Decimal(0))
    owed_back_count = models.BigIntegerField(_("invoices owing money back"), default=0)
    owed_back = models.DecimalField(
        _("owed back"), max_digits=18, decimal_places=2, default=Decimal(0)
    )

    class Meta:
        verbose_name = _("receivables by due date")
        verbose_name_plural = _("receivables by due date")
        # A few rows a key at times (see invoices.summaries): readers add them up.
        indexes = [models.Index(fields=["currency", "due_key"], name="receivable_day_key_idx")]

    def __str__(self) -> str:
        return f"{self.due_key} {self.currency}"


class PaymentDay(models.Model):
    """Money received and given back per day (in the company's time zone), source and
    currency: the payments journal's totals over a period."""

    day = models.DateField(_("day"))
    source = models.CharField(_("source"), max_length=16)
    currency = models.CharField(_("currency"), max_length=3)
    received = models.DecimalField(
        _("received"), max_digits=18, decimal_places=2, default=Decimal(0)
    )
    given_back = models.DecimalField(
        _("given back"), max_digits=18, decimal_places=2, default=Decimal(0)
    )
    movements = models.BigIntegerField(_("movements"), default=0)

    class Meta:
        verbose_name = _("payments by day")
        verbose_name_plural = _("payments by day")
        indexes = [models.Index(fields=["day", "source", "currency"], name="payment_day_key_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.source} {self.currency}"
