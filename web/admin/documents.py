"""Closing documents in admin: read-only (what was issued stays as issued), with the PDF
and the one way to change one, "Regenerate", which keeps its number."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from documents.models import ClosingDocument
from documents.services import closing_documents_regenerate
from orders.models import Order
from orders.rules import OrderError
from web.admin.read_only import ReadOnlyAdmin
from web.requests import admin_user

# Everything is shown and nothing is edited: a document changes only by regeneration.
FIELDS = (
    "order",
    "kind",
    "year",
    "number",
    "issued_on",
    "upd_status",
    "vat_rate",
    "currency",
    "total",
    "vat_amount",
    "version",
    "regenerated_on",
    "pdf_link",
    "pdf_rendered_at",
    "pdf_error",
    "sent_at",
    "created_at",
    "content",
)


@admin.register(ClosingDocument)
class ClosingDocumentAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "order",
        "issued_on",
        "upd_status",
        "total",
        "version",
        "pdf_link",
        "sent_at",
    ]
    list_filter = ["kind", "upd_status", "year"]
    search_fields = ["=number", "order__number", "order__customer__name", "order__customer__inn"]
    list_select_related = ["order"]
    date_hierarchy = "issued_on"
    actions = ["regenerate"]
    fields = FIELDS
    readonly_fields = FIELDS

    @admin.display(description=_("PDF"))
    def pdf_link(self, document: ClosingDocument) -> str:
        if not document.pk:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("documents:pdf", args=[document.pk]), document.file_name
        )

    @admin.action(
        description=_("Regenerate: draw again, keeping the numbers"),
        permissions=["regenerate"],
    )
    def regenerate(self, request: HttpRequest, queryset: QuerySet[ClosingDocument]) -> None:
        orders = Order.objects.filter(pk__in=queryset.values("order_id"))
        for order in orders:
            try:
                closing_documents_regenerate(order=order, actor=admin_user(request))
            except OrderError as error:
                self.message_user(request, error.message, level="error")
        self.message_user(
            request, _("Orders whose documents are drawn again: %(count)s") % {"count": len(orders)}
        )

    def has_regenerate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("documents.regenerate_closingdocument")
