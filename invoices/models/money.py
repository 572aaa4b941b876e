"""Invoices, the payments against them, the seller's requisites, the payment system's
notifications and the discrepancies found in them."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ZERO = Decimal("0.00")


class InvoiceKind(models.TextChoices):
    PREPAYMENT = "prepayment", _("Prepayment")
    POSTPAYMENT = "postpayment", _("Postpayment")
    MANUAL = "manual", _("Manual")


class InvoiceStatus(models.TextChoices):
    ISSUED = "issued", _("Awaiting payment")
    PARTIALLY_PAID = "partially_paid", pgettext_lazy("invoice status", "Partially paid")
    PAID = "paid", pgettext_lazy("invoice status", "Paid")
    VOID = "void", pgettext_lazy("invoice status", "Void")


UNPAID_STATUSES = [InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID]

# Money owed back to the client: an overpayment, or what a voided invoice (a lost order)
# had received and has not refunded yet.
OWED_BACK = Q(overpaid=True) | Q(status=InvoiceStatus.VOID, paid_amount__gt=0)
# What the receivables list shows: open invoices and those owing money back.
RECEIVABLE = Q(status__in=UNPAID_STATUSES) | OWED_BACK
# The receivables' order, soonest due first, an invoice without a due date last.
NO_DUE_DATE_KEY = dt.date.max
RECEIVABLE_DUE_KEY = Coalesce("due_date", Value(NO_DUE_DATE_KEY))


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
    # Who the invoice was issued to, frozen the same way: the buyer's name and requisites
    # (invoices.services.invoice_buyer_snapshot); a later edit of the client leaves it.
    buyer = models.JSONField(_("buyer"), default=dict, blank=True)
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
    # VAT included in the amount, frozen at issue; null: without VAT.
    vat_rate = models.DecimalField(
        _("VAT rate, %"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    # The client's link and the card payment window end here (see invoice_issue).
    expires_at = models.DateTimeField(_("link expires"), null=True, blank=True)
    # Payment reminders sent to the client (settings.INVOICE_REMINDER_DAYS), claimed by
    # invoices.reminders with a conditional UPDATE on this count.
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    reminded_at = models.DateTimeField(_("last reminder"), null=True, blank=True)

    # The public link. The token is HMAC(SECRET_KEY, salt): staff can always show it again,
    # while the database alone (a dump, a replica) holds only its SHA-256, used for lookup.
    public_salt = models.CharField(
        max_length=32, blank=True, editable=False, verbose_name=_("public salt")
    )
    public_token_hash = models.CharField(
        max_length=64, blank=True, editable=False, verbose_name=_("public token hash")
    )
    public_revoked_at = models.DateTimeField(_("link revoked"), null=True, blank=True)

    # The PDF: content_version goes up whenever what the PDF shows changes; the file is
    # current when pdf_version catches up. The rendering task claims by version.
    content_version = models.PositiveIntegerField(
        default=1, editable=False, verbose_name=_("content version")
    )
    pdf = models.FileField(_("PDF"), upload_to="invoices/%Y/", blank=True)
    pdf_version = models.PositiveIntegerField(
        default=0, editable=False, verbose_name=_("PDF version")
    )
    pdf_rendered_at = models.DateTimeField(_("PDF rendered"), null=True, blank=True)
    pdf_queued_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("PDF queued at")
    )
    pdf_error = models.TextField(_("PDF error"), blank=True)

    # CloudPayments' hosted payment page (orders/create), when CloudPayments is configured.
    payment_link_id = models.CharField(_("payment link id"), max_length=64, blank=True)
    payment_url = models.URLField(_("payment link"), blank=True)
    payment_link_error = models.TextField(_("payment link error"), blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_amount_positive"),
            models.UniqueConstraint(
                fields=["public_token_hash"],
                condition=~Q(public_token_hash=""),
                name="invoice_public_token_unique",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_date"],
                name="invoice_open_due_idx",
                condition=Q(status__in=["issued", "partially_paid"]),
            ),
            # The receivables page: a page soonest due first, and the next after a cursor.
            models.Index(
                RECEIVABLE_DUE_KEY, "id", name="invoice_receivable_due_idx", condition=RECEIVABLE
            ),
            # The sweep, every 15 s: PDFs older than their invoice, and invoices without
            # their payment link; a handful of rows each, found without reading them all.
            models.Index(
                fields=["pdf_queued_at"],
                name="invoice_pdf_stale_idx",
                condition=Q(pdf_version__lt=F("content_version")) & ~Q(status="void"),
            ),
            models.Index(
                fields=["issued_at"],
                name="invoice_linkless_idx",
                condition=Q(
                    status__in=["issued", "partially_paid"],
                    payment_link_id="",
                    payment_link_error="",
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    # ------------------------------------------------------------------ public link
    @property
    def public_token(self) -> str | None:
        if not self.public_salt:
            return None
        return public_token_for(self.public_salt)

    @property
    def link_is_live(self) -> bool:
        return bool(
            self.public_token_hash
            and self.public_revoked_at is None
            and self.status != InvoiceStatus.VOID
            and (self.expires_at is None or self.expires_at > timezone.now())
        )

    @property
    def public_url(self) -> str | None:
        """The client's link, for staff to copy and for the e-mail; None once revoked,
        expired or void."""
        token = self.public_token
        if token is None or not self.link_is_live:
            return None
        if public_token_hash(token) != self.public_token_hash:
            # SECRET_KEY changed since the link was made: the client's old link still
            # works, but we can no longer show it; staff issue a new one.
            return None
        return settings.SITE_URL + reverse("invoices:public", args=[token])

    @property
    def pdf_is_current(self) -> bool:
        return bool(self.pdf) and self.pdf_version >= self.content_version

    @property
    def vat_amount(self) -> Decimal | None:
        if self.vat_rate is None:
            return None
        return (self.amount * self.vat_rate / (100 + self.vat_rate)).quantize(Decimal("0.01"))

    @property
    def balance(self) -> Decimal:
        return self.amount - self.paid_amount

    @property
    def is_open(self) -> bool:
        return self.status in UNPAID_STATUSES


def public_token_for(salt: str) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"invoice-link:{salt}".encode(), hashlib.sha256
    ).hexdigest()
    return digest[:40]  # 160 bits


def public_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Money moves between these moments: earlier is a typo or an attack (a year-1 date cannot
# even be read back), later than a day ahead has not happened yet. The database holds the
# fixed bounds (payment_paid_at_sane); the services refuse anything beyond tomorrow.
MONEY_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
MONEY_HORIZON = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)

# A payment is money received: more than 0. A refund or a reversal gives money back: less
# than 0. Nothing is ever 0. Which one a row is follows from what it points at.
PAYMENT_SIGN_FOLLOWS_KIND = (
    Q(refund_of__isnull=True, reversal_of__isnull=True, amount__gt=0)
    | Q(refund_of__isnull=False, reversal_of__isnull=True, amount__lt=0)
    | Q(refund_of__isnull=True, reversal_of__isnull=False, amount__lt=0)
)


class PaymentSource(models.TextChoices):
    MANUAL = "manual", _("Registered by staff")
    CLOUDPAYMENTS = "cloudpayments", _("CloudPayments")
    ACCOUNTING = "accounting", _("Accounting system")
    EXCHANGE_1C = "1c", _("1C exchange")
    BANK_STATEMENT = "bank_statement", _("Bank statement")


class Payment(models.Model):
    """A movement of money against an invoice. Never edited or deleted: a reversal or a
    refund is a new row with a negative amount."""

    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="payments", verbose_name=_("invoice")
    )
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="payments", verbose_name=_("order")
    )
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
    # A refund (full or partial, possibly several) points at the payment it gives back.
    refund_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refunds",
        verbose_name=_("refund of"),
    )
    reason = models.TextField(_("reason"), blank=True)
    is_overpayment = models.BooleanField(_("overpayment"), default=False)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        permissions = [("register_payment", _("Can register and reverse payments"))]
        # The payments journal reads a period of money movements.
        indexes = [models.Index(fields=["paid_at", "id"], name="payment_paid_at_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="payment_external_id_unique_per_source",
            ),
            models.CheckConstraint(
                condition=PAYMENT_SIGN_FOLLOWS_KIND, name="payment_amount_sign_follows_kind"
            ),
            models.CheckConstraint(
                condition=Q(paid_at__gte=MONEY_EPOCH, paid_at__lt=MONEY_HORIZON),
                name="payment_paid_at_sane",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} → {self.invoice}"

    @property
    def transaction_id(self) -> str:
        """The payment system's or the accounting system's id; not our forms' keys."""
        return "" if self.external_id.startswith("form:") else self.external_id


class SellerProfile(models.Model):
    """The company's requisites printed on every invoice; one row, edited in admin."""

    name = models.CharField(_("legal name"), max_length=300, default="")
    inn = models.CharField(_("INN"), max_length=12, blank=True)
    kpp = models.CharField(_("KPP"), max_length=9, blank=True)
    ogrn = models.CharField(_("OGRN"), max_length=15, blank=True)
    address = models.TextField(_("legal address"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    bank_name = models.CharField(_("bank"), max_length=300, blank=True)
    bik = models.CharField(_("BIK"), max_length=9, blank=True)
    account = models.CharField(_("settlement account"), max_length=20, blank=True)
    correspondent_account = models.CharField(_("correspondent account"), max_length=20, blank=True)
    director = models.CharField(_("director"), max_length=200, blank=True)
    accountant = models.CharField(_("chief accountant"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("seller's requisites")
        verbose_name_plural = _("seller's requisites")

    def __str__(self) -> str:
        return self.name or str(_("Seller's requisites"))

    @classmethod
    def load(cls) -> SellerProfile:
        seller, _created = cls.objects.get_or_create(pk=1)
        return seller


class ProviderEventKind(models.TextChoices):
    CHECK = "check", "Check"
    PAY = "pay", "Pay"
    FAIL = "fail", "Fail"
    CONFIRM = "confirm", "Confirm"
    REFUND = "refund", "Refund"
    CANCEL = "cancel", "Cancel"


class ProviderEvent(models.Model):
    """Every notification exactly as it arrived, stored before it is acted on. It is also
    the outbox of its follow-up work: when the broker could not take the e-mails after the
    payment was recorded, followup_pending stays set and the sweep queues them later."""

    provider = models.CharField(max_length=20, default="cloudpayments", verbose_name=_("provider"))
    kind = models.CharField(
        max_length=10, choices=ProviderEventKind.choices, verbose_name=_("kind")
    )
    body = models.TextField(blank=True, verbose_name=_("body"))
    content_type = models.CharField(max_length=100, blank=True, verbose_name=_("content type"))
    signature = models.CharField(max_length=200, blank=True, verbose_name=_("signature"))
    signature_ok = models.BooleanField(default=False, verbose_name=_("signature ok"))
    remote_addr = models.GenericIPAddressField(
        null=True, blank=True, verbose_name=_("remote address")
    )
    transaction_id = models.CharField(
        max_length=64, blank=True, db_index=True, verbose_name=_("transaction id")
    )
    invoice_number = models.CharField(max_length=64, blank=True, verbose_name=_("invoice number"))
    received_at = models.DateTimeField(default=timezone.now, verbose_name=_("received at"))
    processed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("processed at"))
    result_code = models.IntegerField(null=True, blank=True, verbose_name=_("result code"))
    outcome = models.CharField(max_length=300, blank=True, verbose_name=_("outcome"))
    payment = models.ForeignKey(
        Payment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("payment"),
    )
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("order"),
    )
    followup_pending = models.BooleanField(default=False, verbose_name=_("follow-up pending"))

    class Meta:
        verbose_name = _("payment notification")
        verbose_name_plural = _("payment notifications")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(
                fields=["received_at"],
                name="provider_event_followup_idx",
                condition=Q(followup_pending=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.transaction_id} {self.invoice_number}"


class IssueKind(models.TextChoices):
    UNKNOWN_INVOICE = "unknown_invoice", _("Unknown invoice")
    AMOUNT_MISMATCH = "amount_mismatch", _("Amount differs from the amount due")
    CURRENCY_MISMATCH = "currency_mismatch", _("Currency differs from the invoice")
    INVOICE_CLOSED = "invoice_closed", _("Payment for a void invoice")
    REFUND_UNMATCHED = "refund_unmatched", _("Refund of a payment we do not know")
    REFUND_EXCEEDS = "refund_exceeds", _("Refund larger than what is left of the payment")
    ACCOUNT_MISMATCH = "account_mismatch", _("Paid under another client's account")
    AMOUNT_NOT_POSITIVE = "amount_not_positive", _("Amount of 0 or less")
    DATE_OUT_OF_RANGE = "date_out_of_range", _("Impossible payment date")
    WRONG_SIGN = "wrong_sign", _("Refund recorded with the wrong sign")
    UNREADABLE = "unreadable", _("Signed notification we could not read")


class ReconciliationIssue(models.Model):
    """A payment the robots could not apply by themselves: for an accountant to resolve."""

    kind = models.CharField(_("problem"), max_length=20, choices=IssueKind.choices)
    transaction_id = models.CharField(_("transaction"), max_length=64)
    invoice_number = models.CharField(_("invoice number given"), max_length=64, blank=True)
    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="issues",
        verbose_name=_("invoice"),
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    details = models.TextField(_("details"), blank=True)
    found_by = models.CharField(_("found by"), max_length=20)
    created_at = models.DateTimeField(_("found"), default=timezone.now)
    notified_at = models.DateTimeField(_("accountants told"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )

    class Meta:
        verbose_name = _("payment discrepancy")
        verbose_name_plural = _("payment discrepancies")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Reconciliation runs every few minutes; one row per problem and transaction.
            models.UniqueConstraint(
                fields=["kind", "transaction_id"], name="reconciliation_issue_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.transaction_id}"
