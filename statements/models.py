"""Bank statements in the 1CClientBankExchange format and the payments matched from them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class StatementImport(models.Model):
    """One uploaded statement and what became of its documents."""

    file_name = models.CharField(_("file"), max_length=255)
    # The same file uploaded again is told apart from a new one on the list.
    digest = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    account = models.CharField(_("account"), max_length=34, blank=True)
    sender = models.CharField(_("exported by"), max_length=100, blank=True)
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    documents = models.PositiveIntegerField(_("documents"), default=0)
    incoming_matched = models.PositiveIntegerField(_("incoming, matched"), default=0)
    incoming_unmatched = models.PositiveIntegerField(_("incoming, not matched"), default=0)
    matched_by_hand = models.PositiveIntegerField(_("matched by hand"), default=0)
    outgoing_ignored = models.PositiveIntegerField(_("outgoing, ignored"), default=0)
    unrelated_ignored = models.PositiveIntegerField(_("unrelated, ignored"), default=0)
    duplicates = models.PositiveIntegerField(_("imported before"), default=0)

    class Meta:
        verbose_name = _("statement import")
        verbose_name_plural = _("statement imports")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.file_name


class LineStatus(models.TextChoices):
    MATCHED = "matched", pgettext_lazy("statement line", "Matched")
    UNMATCHED = "unmatched", pgettext_lazy("statement line", "Not matched")
    MATCHED_BY_HAND = "by_hand", pgettext_lazy("statement line", "Matched by hand")
    IGNORED = "ignored", pgettext_lazy("statement line", "Not an invoice payment")


class StatementLine(models.Model):
    """An incoming payment read from a statement. Its key (document number, date and the
    payer's INN, or account when a person pays without one) is the payment's external id:
    the same payment in a later statement is recognised and never recorded twice."""

    statement = models.ForeignKey(
        StatementImport,
        on_delete=models.CASCADE,
        related_name="lines",
        verbose_name=_("statement import"),
    )
    key = models.CharField(_("key"), max_length=100, unique=True)
    line = models.PositiveIntegerField(_("line in the file"))
    kind = models.CharField(_("document"), max_length=100)
    number = models.CharField(_("number"), max_length=30)
    date = models.DateField(_("date"))
    received_on = models.DateField(_("received"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    payer_name = models.CharField(_("payer"), max_length=300, blank=True)
    payer_inn = models.CharField(_("payer's INN"), max_length=12, blank=True)
    payer_kpp = models.CharField(_("payer's KPP"), max_length=9, blank=True)
    payer_account = models.CharField(_("payer's account"), max_length=34, blank=True)
    recipient_account = models.CharField(_("recipient's account"), max_length=34, blank=True)
    purpose = models.TextField(_("purpose of payment"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=LineStatus.choices)
    # Why it was matched, or why not (shown beside the line).
    note = models.CharField(_("note"), max_length=300, blank=True)
    invoice = models.ForeignKey(
        "invoices.Invoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invoice"),
    )
    payment = models.ForeignKey(
        "invoices.Payment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("payment"),
    )
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("matched by"),
    )
    matched_at = models.DateTimeField(_("matched at"), null=True, blank=True)

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["statement", "line"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="statement_line_amount_positive"
            ),
            # A matched line names the payment it made; an open one names none.
            models.CheckConstraint(
                condition=Q(status__in=["matched", "by_hand"], payment__isnull=False)
                | Q(status__in=["unmatched", "ignored"], payment__isnull=True),
                name="statement_line_payment_follows_status",
            ),
        ]
        indexes = [
            models.Index(
                fields=["statement", "line"],
                name="statement_line_open_idx",
                condition=Q(status="unmatched"),
            )
        ]

    def __str__(self) -> str:
        return f"№ {self.number} {self.date:%d.%m.%Y} {self.amount}"

    @property
    def is_open(self) -> bool:
        return self.status == LineStatus.UNMATCHED
