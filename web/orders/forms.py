"""Forms of the sales workspace. They check input; the services check the business rules."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, TypedDict, cast

from django import forms
from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from core.phones import PhoneError, phone_normalize
from invoices.models import Invoice
from orders.models import Customer, DeliveryMethod, Order, PaymentScheme
from orders.selectors.access import can_see_all_orders
from orders.selectors.board import CLOSED_PERIOD_DAYS, BoardFilter
from orders.selectors.people import managers_queryset
from orders.services.customers import (
    REQUISITE_FIELDS,
    customer_with_inn,
    inn_taken_message,
    requisites_errors,
)
from orders.services.orders import LineInput
from production.models import Product


class _Digits(TypedDict):
    max_digits: int
    decimal_places: int


MONEY: _Digits = {"max_digits": 14, "decimal_places": 2}
# Amounts the order form shows and takes in the reader's notation (15500,00 in Russian,
# beside totals written 15 500,00); a number input would force 15500.00 on everyone.
AMOUNT_INPUT: dict[str, Any] = {
    "localize": True,
    "widget": forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
}


# ----------------------------------------------------------------------------- board


class DatePicker(forms.DateInput):
    """The browser's date picker. It reads and writes ISO dates whatever the page's language:
    rendered in the locale's format ("26.11.2026") it would show empty."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class DayField(forms.DateField):
    """A day of a period to read (board, reports, journal), from the browser's date picker:
    from 2000 to 2099, so that the day after the period's end always exists."""

    widget = DatePicker

    def validate(self, value) -> None:
        super().validate(value)
        if value and not dt.date(2000, 1, 1) <= value < dt.date(2100, 1, 1):
            raise forms.ValidationError(_("Choose a day from 2000 to 2099."), code="out_of_range")


class BoardFilterForm(forms.Form):
    """The board's filter, read from the URL. Unknown or bad values fall back to defaults
    (a shared link with a stale manager id still opens a board)."""

    who = forms.CharField(required=False)  # "mine", "all" or a manager's id
    overdue = forms.BooleanField(required=False)
    at_risk = forms.BooleanField(required=False)
    q = forms.CharField(required=False, max_length=100)
    created_from = DayField(required=False)
    created_to = DayField(required=False)
    closed = forms.TypedChoiceField(
        required=False,
        coerce=int,
        choices=[(days, days) for days in CLOSED_PERIOD_DAYS],
        empty_value=30,  # type: ignore[arg-type]  # the stub allows only str; any value works
    )

    def __init__(self, data, *, user: User):
        super().__init__(data)
        self.user = user
        self.is_valid()

    def default_who(self) -> str:
        return "all" if can_see_all_orders(self.user) else "mine"

    def filters(self) -> BoardFilter:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        who = data.get("who") or self.default_who()
        manager_id: int | None = self.user.pk
        if can_see_all_orders(self.user):
            if who == "all":
                manager_id = None
            elif who.isascii() and who.isdigit():
                manager_id = int(who)
        return BoardFilter(
            manager_id=manager_id,
            overdue=bool(data.get("overdue")),
            at_risk=bool(data.get("at_risk")),
            q=(data.get("q") or "").strip(),
            created_from=data.get("created_from"),
            created_to=data.get("created_to"),
            closed_days=data.get("closed") or 30,
        )

    def chosen(self) -> str:
        """What the "whose orders" selector shows."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        who = data.get("who") or self.default_who()
        return who if can_see_all_orders(self.user) else "mine"


# ----------------------------------------------------------------------------- lines and terms


class LineForm(forms.Form):
    product = forms.CharField(
        label=_("Product"),
        max_length=64,
        widget=forms.TextInput(attrs={"list": "products", "autocomplete": "off"}),
    )
    name = forms.CharField(label=_("Name"), max_length=255, required=False)
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=12, decimal_places=3, min_value=Decimal("0.001")
    )
    price = forms.DecimalField(
        label=_("Price"), min_value=Decimal(0), required=False, **MONEY, **AMOUNT_INPUT
    )
    discount = forms.DecimalField(
        label=_("Discount"),
        min_value=Decimal(0),
        required=False,
        initial=0,
        **MONEY,
        **AMOUNT_INPUT,
    )

    def clean_product(self) -> Product:
        """The field holds a SKU (the search list offers "SKU — name")."""
        raw = self.cleaned_data["product"].strip()
        sku = raw.split(" — ")[0].strip()
        product = Product.objects.filter(Q(sku__iexact=sku) | Q(name__iexact=raw)).first()
        if product is None:
            raise forms.ValidationError(
                _("No product %(sku)s in the catalogue."), params={"sku": raw}
            )
        if not product.is_active:
            raise forms.ValidationError(
                _("Product %(sku)s is no longer sold."), params={"sku": sku}
            )
        return product

    def line_input(self) -> LineInput:
        data = self.cleaned_data
        return LineInput(
            product=data["product"],
            quantity=data["quantity"],
            price=data.get("price"),
            name=(data.get("name") or "").strip() or None,
            discount=data.get("discount") or Decimal(0),
        )


class BaseLineFormSet(forms.BaseFormSet):
    def line_inputs(self) -> list[LineInput]:
        return [
            form.line_input()
            for form in self.forms
            # Django's own (private) test, which the stubs do not declare.
            if form.has_changed() and not self._should_delete_form(form)  # type: ignore[attr-defined]
        ]


LineFormSet = forms.formset_factory(
    LineForm, formset=BaseLineFormSet, extra=1, can_delete=True, max_num=200
)


def line_formset_initial(order: Order) -> list[dict]:
    return [
        {
            "product": line.sku,
            "name": line.name,
            "quantity": format(line.quantity.normalize(), "f"),
            "price": line.price,
            "discount": line.discount,
        }
        for line in order.lines.all()
    ]


class TermsForm(forms.Form):
    """Payment scheme and delivery. Missing values for qualification are reported by the
    service with the funnel's own messages, so a draft can be saved half-filled."""

    payment_scheme = forms.ChoiceField(
        label=_("Payment scheme"),
        choices=PaymentScheme.choices,  # none checked until chosen: no "—" to read first
        required=False,
        widget=forms.RadioSelect,
    )
    prepayment_amount = forms.DecimalField(
        label=_("Prepayment"), min_value=Decimal(0), required=False, **MONEY, **AMOUNT_INPUT
    )
    delivery_method = forms.ChoiceField(label=_("Delivery"), choices=DeliveryMethod.choices)
    delivery_cost = forms.DecimalField(
        label=_("Delivery cost"), min_value=Decimal(0), required=False, **MONEY, **AMOUNT_INPUT
    )
    delivery_address = forms.CharField(
        label=_("Delivery address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    @classmethod
    def initial_for(cls, order: Order) -> dict:
        return {
            "payment_scheme": order.payment_scheme,
            "prepayment_amount": order.prepayment_amount,
            "delivery_method": order.delivery_method,
            "delivery_cost": order.delivery_cost,
            "delivery_address": order.delivery_address,
        }

    def update_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "payment_scheme": data["payment_scheme"],
            "prepayment_amount": data.get("prepayment_amount") or Decimal(0),
            "delivery_method": data["delivery_method"],
            "delivery_cost": data.get("delivery_cost"),
            "delivery_address": data.get("delivery_address", ""),
        }


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["name", "company", "phone", "email", "language"]

    def clean(self) -> dict:
        data = super().clean()
        assert data is not None  # ModelForm.clean returns cleaned_data
        # An invalid phone has its own message; this one is for a client given neither.
        if not data.get("phone") and not data.get("email") and "phone" not in self.errors:
            raise forms.ValidationError(_("Give a phone or an e-mail so we can reach the client."))
        return data

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean_phone(self) -> str:
        try:
            return phone_normalize(self.cleaned_data["phone"])
        except PhoneError as error:
            raise forms.ValidationError(str(error)) from None

    def duplicates(self) -> list[Customer]:
        """Clients already on file with the same phone or e-mail."""
        data = self.cleaned_data
        condition = Q(pk__in=[])
        if data.get("email"):
            condition |= Q(email__iexact=data["email"])
        if data.get("phone"):
            condition |= Q(phone=data["phone"])
        return list(Customer.objects.filter(condition).order_by("id")[:5])


KEPT = ("kind", "company")  # the contact's company is shown for a private buyer too
NUMERIC_CODE = {"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}


def _code(label: StrOrPromise, max_length: int, help_text: StrOrPromise = "") -> forms.CharField:
    # A little room over the column for the spaces and dashes people paste with a code.
    return forms.CharField(
        label=label,
        max_length=max_length + 8,
        required=False,
        help_text=help_text,
        widget=forms.TextInput(attrs=NUMERIC_CODE),
    )


class BuyerForm(forms.Form):
    """Who buys: a person, a sole trader or a company, with the requisites printed on its
    invoices. Checked with Customer.requisites_clean on a copy of the order's client; an
    INN already another client's is refused until the manager ticks "attach"."""

    # Not sent (a form without the buyer panel): the client's requisites stay as they are.
    kind = forms.ChoiceField(
        label=_("Kind of buyer"),
        choices=Customer.Kind.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    company = forms.CharField(
        label=_("Name on documents"),
        max_length=200,
        required=False,
        help_text=_("As registered: ООО «Ромашка», ИП Иванов Иван Иванович."),
    )
    inn = _code(_("INN"), 12, _("10 digits for an organisation, 12 for a sole trader."))
    kpp = _code(_("KPP"), 9, _("9 characters, for an organisation only."))
    ogrn = _code(_("OGRN / OGRNIP"), 15, _("13 digits (OGRN) or 15 (OGRNIP); optional."))
    legal_address = forms.CharField(
        label=_("Legal address"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    bank_name = forms.CharField(label=_("Bank"), max_length=200, required=False)
    bik = _code(_("BIK"), 9, _("9 digits."))
    account = _code(_("Settlement account"), 20, _("20 digits."))
    correspondent_account = _code(_("Correspondent account"), 20, _("20 digits."))
    # Ticked to attach the order to the client already holding the INN; its value is that
    # client's id, so the tick confirms the very client the manager was shown.
    attach = forms.IntegerField(required=False, widget=forms.HiddenInput)

    prefix = "buyer"

    def __init__(self, *args, customer: Customer, **kwargs) -> None:
        kwargs.setdefault("initial", {f: getattr(customer, f) for f in REQUISITE_FIELDS})
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.holder: Customer | None = None  # another client with the INN typed

    def clean(self) -> dict:
        data = super().clean()
        assert data is not None
        if self.errors or not data.get("kind"):
            return data
        if data["kind"] == Customer.Kind.PERSON:
            # A private buyer has no requisites: the fields hidden for one are not kept.
            data.update({field: "" for field in REQUISITE_FIELDS if field not in KEPT})
        draft = copy.copy(self.customer)
        for field, message in requisites_errors(draft, data).items():
            self.add_error(field, message)
        if draft.kind != Customer.Kind.PERSON and not data.get("company", "").strip():
            self.add_error("company", _("Required for a business buyer."))
        if "inn" in self.errors:
            return data
        data.update({field: getattr(draft, field) for field in REQUISITE_FIELDS})
        self.holder = customer_with_inn(draft.inn, other_than=self.customer.pk)
        if self.holder is not None and data.get("attach") != self.holder.pk:
            self.add_error("inn", inn_taken_message(self.holder))
        return data

    def requisites(self) -> dict[str, str]:
        """What to save on the client: nothing when the buyer's kind was not sent."""
        if not self.cleaned_data.get("kind"):
            return {}
        return {field: self.cleaned_data[field] for field in REQUISITE_FIELDS}

    def attach_to(self) -> Customer | None:
        return self.holder


class ExistingCustomerForm(forms.Form):
    customer = forms.ModelChoiceField(queryset=Customer.objects.all(), required=False)
    confirm_new = forms.BooleanField(required=False)


# ----------------------------------------------------------------------------- actions


def new_form_key() -> str:
    return uuid.uuid4().hex


class FormKeyField(forms.CharField):
    """A key drawn when the form is shown and sent back with it: the same form sent twice
    (a resubmit, a retry after a lost answer) is recognised and recorded once."""

    def __init__(self) -> None:
        super().__init__(
            widget=forms.HiddenInput, required=False, max_length=32, initial=new_form_key
        )


class PaymentForm(forms.Form):
    invoice = forms.ModelChoiceField(label=_("Invoice"), queryset=Invoice.objects.none())
    amount = forms.DecimalField(label=_("Amount"), min_value=Decimal("0.01"), **MONEY)
    paid_on = forms.DateField(label=_("Paid on"), widget=DatePicker(), initial=None)
    reference = forms.CharField(label=_("Reference"), max_length=200, required=False)
    key = FormKeyField()

    def __init__(self, *args, order: Order, **kwargs):
        super().__init__(*args, **kwargs)
        invoices = Invoice.objects.filter(order=order).exclude(status="void")
        cast(forms.ModelChoiceField, self.fields["invoice"]).queryset = invoices
        self.fields["paid_on"].initial = timezone.localdate()

    def clean_paid_on(self):
        paid_on = self.cleaned_data["paid_on"]
        if paid_on > timezone.localdate():
            raise forms.ValidationError(_("The payment date cannot be in the future."))
        return paid_on


class HandOverForm(forms.Form):
    manager: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Hand over to"), queryset=None)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)

        cast(forms.ModelChoiceField, self.fields["manager"]).queryset = managers_queryset()


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class RefundForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), min_value=Decimal("0.01"), **MONEY)
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    key = FormKeyField()


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    send_to_client = forms.BooleanField(label=_("Send to client"), required=False)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=[("en", "English"), ("ru", "Русский")])
    next = forms.CharField(required=False)
