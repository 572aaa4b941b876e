"""Closing documents for staff: the PDF download and the explicit "regenerate"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from documents.models import ClosingDocument
from documents.pdf import document_pdf_bytes
from documents.services import closing_document_pdf_request, closing_documents_regenerate
from orders.rules import OrderError
from web.orders.views.common import order_for_user
from web.requests import WorkspaceRequest

REGENERATING = _("The closing documents are being drawn again; their numbers stay.")
# The waiting page asks again this often until the worker has rendered the PDF.
PENDING_REFRESH_SECONDS = 3


@login_required
@require_GET
def staff_pdf(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """Whoever may see the order's invoices may read its closing documents. A PDF not
    rendered yet is queued for the worker (a person's documents are rendered when first
    opened) and a page that reloads itself waits for it; nothing renders in the request."""
    document = get_object_or_404(ClosingDocument.objects.select_related("order"), pk=pk)
    if not request.user.has_perm("invoices.view_invoice"):
        raise PermissionDenied
    order_for_user(request, document.order.number)
    content = document_pdf_bytes(document)
    if content is None:
        closing_document_pdf_request(document=document)
        context = {"document": document, "refresh_seconds": PENDING_REFRESH_SECONDS}
        return render(request, "documents/pdf_pending.html", context, status=202)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document.file_name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def regenerate(request: WorkspaceRequest, number: str) -> HttpResponse:
    if not request.user.has_perm("documents.regenerate_closingdocument"):
        raise PermissionDenied
    order = order_for_user(request, number)
    try:
        closing_documents_regenerate(order=order, actor=request.user)
    except OrderError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, str(REGENERATING))
    return redirect("orders:detail", order.number)
