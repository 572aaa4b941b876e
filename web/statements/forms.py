"""The statement upload and the choice of an invoice for an unmatched payment."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from invoices.models import Invoice
from statements.parser import MAX_BYTES, TOO_LARGE

NO_SUCH_INVOICE = _("There is no invoice %(number)s.")


class StatementUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Statement file"),
        help_text=_("The bank's export for 1C (1CClientBankExchange), usually kl_to_1c.txt."),
        max_length=255,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(TOO_LARGE % {"limit": MAX_BYTES // (1024 * 1024)})
        return upload

    def body(self) -> bytes:
        upload = self.cleaned_data["file"]
        upload.seek(0)
        return upload.read(MAX_BYTES + 1)


class LineMatchForm(forms.Form):
    invoice = forms.CharField(label=_("Invoice number"), max_length=20, strip=True)

    def clean_invoice(self) -> Invoice:
        number = self.cleaned_data["invoice"].upper()
        invoice = Invoice.objects.filter(number=number).first()
        if invoice is None:
            raise forms.ValidationError(NO_SUCH_INVOICE % {"number": number})
        return invoice
