from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from logistics.models import Carrier
from orders.models import DeliveryMethod, Order
from web.orders.forms import DatePicker

SHIPPED_IN_FUTURE = _("The shipping date cannot be in the future.")


class DeliveryDetailsForm(forms.Form):
    """The fields depend on the order's delivery method (set at qualification): a pickup
    needs only its date; a delivery needs the address and the planned date, and a carrier
    company delivery the carrier. The service checks what is required."""

    pickup_date = forms.DateField(label=_("Pickup date"), required=False, widget=DatePicker())
    carrier = forms.ModelChoiceField(
        label=_("Carrier"), queryset=Carrier.objects.filter(is_active=True), required=False
    )
    delivery_address = forms.CharField(
        label=_("Delivery address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    planned_ship_date = forms.DateField(
        label=_("Planned shipping date"),
        required=False,
        widget=DatePicker(),
    )
    comment = forms.CharField(
        label=_("Delivery comment (goes into the timeline)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, order: Order, **kwargs) -> None:
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("carrier", order.carrier_id)
        initial.setdefault("delivery_address", order.delivery_address)
        initial.setdefault("planned_ship_date", order.planned_ship_date)
        initial.setdefault("pickup_date", order.pickup_date)
        super().__init__(*args, **kwargs)
        self.order = order
        if order.delivery_method == DeliveryMethod.PICKUP:
            for name in ("carrier", "delivery_address", "planned_ship_date"):
                del self.fields[name]
        else:
            del self.fields["pickup_date"]
            if order.delivery_method != DeliveryMethod.CARRIER:
                del self.fields["carrier"]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        arguments = {"comment": data.get("comment", "")}
        if self.order.delivery_method == DeliveryMethod.PICKUP:
            arguments["pickup_date"] = data.get("pickup_date")
        else:
            arguments["delivery_address"] = data.get("delivery_address", "")
            arguments["planned_ship_date"] = data.get("planned_ship_date")
            if "carrier" in self.fields:
                arguments["carrier"] = data.get("carrier")
        return arguments


class DeliveryCompleteForm(forms.Form):
    shipped_on = forms.DateField(label=_("Actual shipping date"), widget=DatePicker())
    tracking_number = forms.CharField(label=_("Tracking number"), required=False, max_length=100)

    def clean_shipped_on(self):
        day = self.cleaned_data["shipped_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(SHIPPED_IN_FUTURE)
        return day


class CarrierForm(forms.ModelForm):
    class Meta:
        model = Carrier
        fields = ["name", "tracking_url", "is_active"]
        widgets = {"tracking_url": forms.URLInput(attrs={"placeholder": "https://…{number}"})}

    def clean_tracking_url(self) -> str:
        url = self.cleaned_data["tracking_url"].strip()
        if url and not url.startswith(("https://", "http://")):
            raise forms.ValidationError(_("Give a web address starting with https://."))
        if url and "{number}" not in url:
            raise forms.ValidationError(_("Put {number} where the tracking number goes."))
        return url
