"""Invoices and payments in admin. Payments are registered and reversed through the
services (never edited or deleted), so the order moves and the balance stays right."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from invoices.models import Invoice, Payment, PaymentSource
from invoices.services import payment_register, payment_reverse
from orders.rules import OrderError


class RegisterPaymentForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    paid_at = forms.DateTimeField(label=_("Paid at"), required=False)
    reference = forms.CharField(label=_("Reference"), max_length=200, required=False)


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "order",
        "kind",
        "amount",
        "paid_amount",
        "status",
        "overpaid",
        "issued_at",
    ]
    list_filter = ["status", "kind", "overpaid"]
    search_fields = ["number", "order__number", "order__customer__name"]
    list_select_related = ["order"]
    readonly_fields = [
        "number",
        "order",
        "kind",
        "amount",
        "currency",
        "paid_amount",
        "status",
        "lines",
        "order_total",
        "paid_before",
        "issued_at",
        "paid_at",
        "voided_at",
        "overpaid",
    ]
    change_form_template = "admin/invoices/invoice/change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Invoice | None = None) -> bool:
        return False

    def get_urls(self):
        return [
            path(
                "<int:pk>/register-payment/",
                self.admin_site.admin_view(self.register_view),
                name="invoices_invoice_register_payment",
            ),
            *super().get_urls(),
        ]

    def register_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = get_object_or_404(Invoice, pk=pk)
        if not request.user.has_perm("invoices.register_payment"):
            return HttpResponse(status=403)
        form = RegisterPaymentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                payment_register(
                    invoice=invoice,
                    amount=form.cleaned_data["amount"],
                    source=PaymentSource.MANUAL,
                    actor=request.user,
                    paid_at=form.cleaned_data["paid_at"],
                    reference=form.cleaned_data["reference"],
                )
            except OrderError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, _("Payment registered."))
            return HttpResponseRedirect(reverse("admin:invoices_invoice_change", args=[pk]))
        return render(
            request,
            "admin/invoices/invoice/register_payment.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "invoice": invoice,
                "opts": self.model._meta,
                "title": _("Register a payment for %(number)s") % {"number": invoice.number},
            },
        )


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "invoice",
        "order",
        "amount",
        "source",
        "external_id",
        "recorded_by",
        "is_overpayment",
        "reversal_of",
    ]
    list_filter = ["source", "is_overpayment"]
    search_fields = ["invoice__number", "order__number", "external_id", "reference"]
    list_select_related = ["invoice", "order", "recorded_by", "reversal_of"]
    readonly_fields = [f.name for f in Payment._meta.fields]
    change_form_template = "admin/invoices/payment/change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Payment | None = None) -> bool:
        return False

    def get_urls(self):
        return [
            path(
                "<int:pk>/reverse/",
                self.admin_site.admin_view(self.reverse_view),
                name="invoices_payment_reverse",
            ),
            *super().get_urls(),
        ]

    def reverse_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        payment = get_object_or_404(Payment, pk=pk)
        if not request.user.has_perm("invoices.register_payment"):
            return HttpResponse(status=403)
        form = ReverseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                payment_reverse(
                    payment=payment, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except OrderError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, _("Payment reversed."))
            return HttpResponseRedirect(reverse("admin:invoices_payment_change", args=[pk]))
        return render(
            request,
            "admin/invoices/invoice/register_payment.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "opts": self.model._meta,
                "title": _("Reverse payment %(payment)s") % {"payment": payment},
            },
        )
