"""The promise on the order page and in the qualification form: the date proposed, the
manager's choice, the pay-by date of an order paid in advance, the plan and the risk, and
the head of production's priority with its preview."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.texts import Msg
from invoices.models import InvoiceKind, InvoiceStatus
from orders.models import OPEN_STAGES, Department, Order
from orders.rules import day
from orders.selectors.access import can_change_order, departments_headed
from pipeline.promise import PROMISE_STAGES, Offer, order_promise, promise_offer
from web.orders.forms import DatePicker

# How far ahead a promise may be set: a year and a half, past any real order's making.
PROMISE_HORIZON_DAYS = 550
PRIORITY_LIMIT = 100  # the priority's range, either way: -100 … 100

PROMISE_DATE_MISSING = _("Choose the date to promise.")
PROMISE_TOO_FAR = _("Choose a date within a year and a half from today.")


class PromiseForm(forms.Form):
    """The manager's choice: the earliest date proposed, a date of their own, or (once
    promised) the date already promised."""

    EARLIEST, DATE, KEEP = "earliest", "date", "keep"

    promise = forms.ChoiceField(
        label=_("Promised date"),
        choices=[(EARLIEST, _("The earliest possible")), (DATE, _("Another date"))],
        widget=forms.RadioSelect,
        required=False,  # not sent: the promise stays as it is
    )
    promised_date = forms.DateField(
        label=pgettext_lazy("promise", "Date"), required=False, widget=DatePicker()
    )

    def __init__(self, *args: Any, order: Order, offer: Offer | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.order = order
        field: Any = self.fields["promise"]
        choices: list[tuple[str, Any]] = []
        if order.promised_date is not None:
            choices.append(
                (self.KEEP, _("As promised: %(date)s") % {"date": day(order.promised_date)})
            )
        earliest = (
            _("The earliest possible: %(date)s") % {"date": day(offer.earliest)}
            if offer is not None
            else _("The earliest possible")
        )
        choices += [(self.EARLIEST, earliest), (self.DATE, _("Another date"))]
        field.choices = choices
        field.initial = self.KEEP if order.promised_date is not None else self.EARLIEST

    def clean_promised_date(self) -> dt.date | None:
        value = self.cleaned_data.get("promised_date")
        if value is not None and value > timezone.localdate() + dt.timedelta(
            days=PROMISE_HORIZON_DAYS
        ):
            raise forms.ValidationError(PROMISE_TOO_FAR)
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        missing = data.get("promise") == self.DATE and data.get("promised_date") is None
        if missing and "promised_date" not in self.errors:
            self.add_error("promised_date", PROMISE_DATE_MISSING)
        return data

    def save(self, *, actor: User) -> Order | None:
        """The choice, through the service (which may refuse a date too early); None when
        the promise stays as it is."""
        choice = self.cleaned_data["promise"]
        if choice in ("", self.KEEP):
            return None
        date = self.cleaned_data["promised_date"] if choice == self.DATE else None
        return order_promise(order=self.order, actor=actor, promised_date=date)


class PriorityForm(forms.Form):
    priority = forms.IntegerField(
        label=_("Production priority"),
        min_value=-PRIORITY_LIMIT,
        max_value=PRIORITY_LIMIT,
        help_text=_("Higher goes first; 0 is the usual."),
    )


def is_head_of_production(user: User) -> bool:
    """Heads production (read with the page's other rights, no query of its own)."""
    return Department.PRODUCTION in departments_headed(user)


@dataclass
class PromisePanel:
    """What the order page's promise panel shows."""

    order: Order
    can_promise: bool
    offer: Offer | None
    pay_by: dt.date | None
    risk: str
    form: PromiseForm | None
    priority_form: PriorityForm | None
    preview: str = ""  # a preview's token, while one is computed

    @property
    def waits_for_payment(self) -> bool:
        return self.pay_by is not None and self.order.promise_days is not None


def promise_panel(
    user: User, order: Order, invoices: list, sent: dict[str, Any] | None = None
) -> PromisePanel:
    """The panel's data: the offer only while the promise may be made (one proposal, read
    from the schedule); the pay-by date from the prepayment invoice already read for the
    page (`invoices`), else the one it will get."""
    sent = sent or {}
    can_promise = order.stage in PROMISE_STAGES and can_change_order(user, order)
    offer = promise_offer(order) if can_promise else None
    pay_by = _pay_by(order, invoices, offer)
    risk = str(Msg.from_data(order.at_risk_reason)) if order.at_risk_reason else ""
    priority_form = None
    if order.stage in OPEN_STAGES and is_head_of_production(user):
        priority_form = sent.get("priority_form") or PriorityForm(
            initial={"priority": order.priority}
        )
    return PromisePanel(
        order=order,
        can_promise=can_promise,
        offer=offer,
        pay_by=pay_by,
        risk=risk,
        form=(sent.get("promise_form") or PromiseForm(order=order, offer=offer))
        if can_promise
        else None,
        priority_form=priority_form,
        preview=sent.get("preview", ""),
    )


def _pay_by(order: Order, invoices: list, offer: Offer | None) -> dt.date | None:
    if order.promise_days is None:
        return None
    for invoice in invoices:
        if invoice.kind == InvoiceKind.PREPAYMENT and invoice.status != InvoiceStatus.VOID:
            return invoice.due_date
    return offer.pay_by if offer is not None else None
