"""Invoices and payments in admin. Payments are registered and reversed through the
services (never edited or deleted), so the order moves and the balance stays right."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from invoices.models import (
    Invoice,
    Payment,
    PaymentSource,
    ProviderEvent,
    Receipt,
    ReconciliationIssue,
    SellerProfile,
)
from invoices.payments import payment_reverse
from invoices.services import (
    invoice_link_renew,
    invoice_link_revoke,
    receipts_resend,
    seller_requisites_changed,
)
from orders.rules import OrderError
from pipeline.payments import payment_register
from web.admin.big import BigListAdmin
from web.admin.read_only import ReadOnlyAdmin
from web.requests import admin_user


class RegisterPaymentForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    paid_at = forms.DateTimeField(label=_("Paid at"), required=False)
    reference = forms.CharField(label=_("Reference"), max_length=200, required=False)


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(Invoice)
class InvoiceAdmin(BigListAdmin):
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
        "vat_rate",
        "due_date",
        "expires_at",
        "reminders_sent",
        "reminded_at",
        "client_link",
        "pdf_link",
        "pdf_rendered_at",
        "pdf_error",
        "payment_url",
        "payment_link_error",
        "public_revoked_at",
    ]
    exclude = ["pdf", "payment_link_id"]
    change_form_template = "admin/invoices/invoice/change_form.html"
    actions = ["revoke_links", "renew_links"]

    @admin.display(description=_("client's link"))
    def client_link(self, obj: Invoice) -> str:
        url = obj.public_url
        return format_html('<a href="{}">{}</a>', url, url) if url else "—"

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj: Invoice) -> str:
        return format_html('<a href="{}">PDF</a>', reverse("invoices:pdf", args=[obj.pk]))

    @admin.action(description=_("Revoke the client's link"))
    def revoke_links(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        for invoice in queryset:
            invoice_link_revoke(invoice=invoice, actor=admin_user(request))
        self.message_user(request, _("Links revoked."))

    @admin.action(description=_("Issue a new client's link"))
    def renew_links(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        for invoice in queryset:
            invoice_link_renew(invoice=invoice, actor=admin_user(request))
        self.message_user(request, _("New links issued."))

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
                    actor=admin_user(request),
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


class ReceiptInline(admin.TabularInline):
    """The payment's fiscal receipt (or the refund's return receipt), with its status."""

    model = Receipt
    fk_name = "payment"
    fields = ("type", "method", "amount", "status", "external_id", "last_error", "sent_at")
    readonly_fields = ("type", "method", "amount", "status", "external_id", "last_error", "sent_at")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(BigListAdmin):
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
    inlines = [ReceiptInline]
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
                    payment=payment, actor=admin_user(request), reason=form.cleaned_data["reason"]
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


@admin.register(SellerProfile)
class SellerProfileAdmin(admin.ModelAdmin):
    list_display = ["name", "inn", "kpp", "bank_name", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not SellerProfile.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: SellerProfile | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: SellerProfile, form, change: bool) -> None:
        obj.pk = 1
        super().save_model(request, obj, form, change)
        count = seller_requisites_changed()
        if count:
            self.message_user(
                request, _("%(count)s unpaid invoices will get a new PDF.") % {"count": count}
            )


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyAdmin):
    list_display = [
        "received_at",
        "kind",
        "transaction_id",
        "invoice_number",
        "signature_ok",
        "result_code",
        "outcome",
        "followup_pending",
    ]
    list_filter = ["kind", "signature_ok", "result_code", "followup_pending"]
    search_fields = ["transaction_id", "invoice_number", "body"]
    readonly_fields = [f.name for f in ProviderEvent._meta.fields]


@admin.register(ReconciliationIssue)
class ReconciliationIssueAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "transaction_id",
        "invoice_number",
        "amount",
        "currency",
        "found_by",
        "resolved_at",
    ]
    list_filter = ["kind", "found_by", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["transaction_id", "invoice_number", "details"]
    list_select_related = ["invoice"]
    readonly_fields = [
        f.name for f in ReconciliationIssue._meta.fields if f.name not in ("resolved_at",)
    ]
    actions = ["mark_resolved"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description=_("Mark as resolved"))
    def mark_resolved(self, request: HttpRequest, queryset: QuerySet[ReconciliationIssue]) -> None:
        count = queryset.filter(resolved_at=None).update(
            resolved_at=timezone.now(), resolved_by=request.user
        )
        self.message_user(request, _("%(count)s marked as resolved.") % {"count": count})


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    """Fiscal receipts, as sent: read only; one that failed is sent again by "retry"."""

    list_display = [
        "created_at",
        "order",
        "type",
        "method",
        "amount",
        "advance",
        "status",
        "attempts",
        "external_id",
    ]
    list_filter = ["status", "type", "method"]
    search_fields = ["order__number", "invoice__number", "external_id"]
    list_select_related = ["order"]
    readonly_fields = [f.name for f in Receipt._meta.fields]
    actions = ["retry_receipts"]

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("invoices.register_payment")

    @admin.action(description=_("Send again"), permissions=["retry"])
    def retry_receipts(self, request: HttpRequest, queryset: QuerySet[Receipt]) -> None:
        count = receipts_resend(list(queryset))
        self.message_user(request, _("%(count)s receipts queued to be sent.") % {"count": count})
