from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from production.selectors import production_workers
from web.orders.forms import DayField

MAX_REPORT_DAYS = 3 * 366


class TaskDoneForm(forms.Form):
    """Both costs are optional: one tap on "Done" with nothing filled in is the usual case."""

    materials_cost = forms.DecimalField(
        label=_("Materials used, cost"),
        required=False,
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    labour_minutes = forms.IntegerField(
        label=_("Minutes worked"),
        required=False,
        min_value=0,
        max_value=100_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReassignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Worker"), queryset=production_workers(), empty_label=None
    )


class MarginReportForm(forms.Form):
    start = DayField(label=_("From"))
    end = DayField(label=_("To"))

    @classmethod
    def for_request(cls, data) -> MarginReportForm:
        today = timezone.localdate()
        initial = {"start": today.replace(day=1).isoformat(), "end": today.isoformat()}
        return cls({**initial, **{k: v for k, v in data.items() if k in ("start", "end")}})

    def clean(self) -> dict:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean returns cleaned_data
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The start of the period is after its end."))
            if end - start > dt.timedelta(days=MAX_REPORT_DAYS):
                raise forms.ValidationError(_("Choose a period of at most three years."))
        return cleaned
