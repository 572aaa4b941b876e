"""Forms of the money pages."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from invoices.models import PaymentSource
from web.orders.forms import DayField

MAX_JOURNAL_DAYS = 366


class JournalFilterForm(forms.Form):
    start = DayField(label=_("From"))
    end = DayField(label=_("To"))
    source = forms.ChoiceField(
        label=_("Source"),
        choices=[("", _("Every source")), *PaymentSource.choices],
        required=False,
    )

    @staticmethod
    def defaults() -> dict[str, object]:
        """This month so far."""
        today = timezone.localdate()
        return {"start": today.replace(day=1), "end": today, "source": ""}

    def clean(self):
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The period starts after it ends."))
            if end - start > dt.timedelta(days=MAX_JOURNAL_DAYS):
                raise forms.ValidationError(
                    _("Choose at most %(days)s days.") % {"days": MAX_JOURNAL_DAYS}
                )
        return data
