"""Closing documents of a won order: the УПД (or an act and a waybill)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    UPD = "upd", _("Universal transfer document")
    ACT = "act", _("Act of services")
    WAYBILL = "waybill", _("Waybill")


class ClosingDocument(models.Model):
    """One closing document of an order. What it shows (both parties' requisites, the
    lines, the totals) is frozen when it is issued and changes only when someone
    regenerates it: the client holds a signed copy of what was sent."""

    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        related_name="closing_documents",
        verbose_name=_("order"),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=DocumentKind.choices)
    # Each kind has its own gapless yearly sequence (orders.YearCounter "closing-<kind>").
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    issued_on = models.DateField(_("date"), default=timezone.localdate)
    # A УПД's status: 1 (it is also the VAT invoice), 2 (only a transfer document, no VAT).
    upd_status = models.PositiveSmallIntegerField(_("UPD status"), null=True, blank=True)
    vat_rate = models.DecimalField(
        _("VAT rate, %"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    vat_amount = models.DecimalField(
        _("VAT"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    # The snapshot the PDF is rendered from (documents.content).
    content = models.JSONField(_("content"), default=dict)

    # Goes up with each regeneration; the number stays. The PDF is current when
    # pdf_version catches up; the rendering task claims by version.
    version = models.PositiveIntegerField(_("version"), default=1)
    regenerated_on = models.DateField(_("regenerated"), null=True, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="documents/%Y/", blank=True)
    pdf_version = models.PositiveIntegerField(_("PDF version"), default=0, editable=False)
    pdf_rendered_at = models.DateTimeField(_("PDF rendered"), null=True, blank=True)
    pdf_error = models.TextField(_("PDF error"), blank=True)
    # When the PDF was first asked for: at the issue for a business client (its e-mail
    # carries it), at the first download for a person (whose documents no e-mail carries,
    # so most are never opened). Until then nothing renders it.
    pdf_requested_at = models.DateTimeField(_("PDF requested"), null=True, blank=True)
    # Handed to the client's e-mail (business clients only); cleared by a regeneration so
    # the corrected document goes out too.
    sent_at = models.DateTimeField(_("sent to the client"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("closing document")
        verbose_name_plural = _("closing documents")
        ordering = ["order", "kind"]
        permissions = [("regenerate_closingdocument", _("Can regenerate closing documents"))]
        constraints = [
            # One set per order, however often it is won or the service is called.
            models.UniqueConstraint(fields=["order", "kind"], name="closing_document_per_order"),
            models.UniqueConstraint(
                fields=["kind", "year", "number"], name="closing_document_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(upd_status__isnull=True) | Q(upd_status__in=[1, 2]),
                name="closing_document_upd_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} № {self.number} ({self.year})"

    @property
    def title(self) -> str:
        """The document's own Russian name and number, as printed on it."""
        return f"{RUSSIAN_TITLES[self.kind]} № {self.number} от {self.issued_on:%d.%m.%Y}"

    @property
    def file_name(self) -> str:
        return f"{FILE_PREFIXES[self.kind]}-{self.year}-{self.number:05d}.pdf"

    @property
    def pdf_is_current(self) -> bool:
        return bool(self.pdf) and self.pdf_version >= self.version


# The document is Russian by law, whatever language the reader uses.
RUSSIAN_TITLES: dict[str, str] = {
    DocumentKind.UPD: "УПД",
    DocumentKind.ACT: "Акт",
    DocumentKind.WAYBILL: "Товарная накладная",
}
FILE_PREFIXES: dict[str, str] = {
    DocumentKind.UPD: "UPD",
    DocumentKind.ACT: "ACT",
    DocumentKind.WAYBILL: "TORG12",
}
