"""Forms of the money pages."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from invoices.models import MONEY_EPOCH, MONEY_HORIZON, PaymentSource
from web.orders.forms import DatePicker

MAX_JOURNAL_DAYS = 366


class JournalFilterForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=DatePicker())
    end = forms.DateField(label=_("To"), widget=DatePicker())
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
        for name, day in (("start", start), ("end", end)):
            # Money moved from 2000 on (Payment's paid_at bounds); 31 December 9999 would
            # not even have a next day to end the period at.
            if day and not MONEY_EPOCH.date() <= day < MONEY_HORIZON.date():
                self.add_error(name, _("Choose a day from 2000 to 2099."))
                return data
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The period starts after it ends."))
            if end - start > dt.timedelta(days=MAX_JOURNAL_DAYS):
                raise forms.ValidationError(
                    _("Choose at most %(days)s days.") % {"days": MAX_JOURNAL_DAYS}
                )
        return data
