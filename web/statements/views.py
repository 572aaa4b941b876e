"""Bank statements: an accountant uploads the bank's export, sees what was matched and
matches the rest by hand in one click."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from orders.rules import OrderError
from statements import selectors
from statements.models import StatementImport, StatementLine
from statements.parser import StatementError
from statements.services import statement_import, statement_line_dismiss, statement_line_match
from web.requests import WorkspaceRequest
from web.statements.forms import LineMatchForm, StatementUploadForm


def _require_accountant(request: WorkspaceRequest) -> None:
    """Who may book payments from the bank: who sees the money and registers payments."""
    user = request.user
    if not all(
        user.has_perm(perm)
        for perm in ("invoices.view_invoice", "orders.view_money", "invoices.register_payment")
    ):
        raise PermissionDenied


def _list_page(request: WorkspaceRequest, form: StatementUploadForm, status: int = 200):
    imports = selectors.statement_list_for_page()
    context = {"form": form, "imports": imports, "limit": selectors.IMPORTS_LIMIT}
    return render(request, "statements/list.html", context, status=status)


@login_required
@require_GET
def statement_list(request: WorkspaceRequest) -> HttpResponseBase:
    _require_accountant(request)
    return _list_page(request, StatementUploadForm())


@login_required
@require_POST
def statement_upload(request: WorkspaceRequest) -> HttpResponseBase:
    _require_accountant(request)
    form = StatementUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _list_page(request, form, status=400)
    try:
        record = statement_import(
            body=form.body(), file_name=form.cleaned_data["file"].name, actor=request.user
        )
    except StatementError as exc:
        form.add_error("file", _("Nothing was imported. %(problem)s") % {"problem": exc.message})
        return _list_page(request, form, status=400)
    messages.success(request, _("The statement is imported."))
    return redirect("statements:detail", pk=record.pk)


def _detail_page(request: WorkspaceRequest, record: StatementImport, status: int = 200):
    lines, suggestions = selectors.statement_lines_for_page(record)
    rows = [(line, suggestions.get(line.pk, [])) for line in lines]
    context = {"record": record, "rows": rows, "limit": selectors.LINES_LIMIT}
    return render(request, "statements/detail.html", context, status=status)


@login_required
@require_GET
def statement_detail(request: WorkspaceRequest, pk: int) -> HttpResponseBase:
    _require_accountant(request)
    record = get_object_or_404(StatementImport.objects.select_related("uploaded_by"), pk=pk)
    return _detail_page(request, record)


def _refused(request: WorkspaceRequest, line: StatementLine, problem: str) -> HttpResponse:
    messages.error(request, problem)
    return _detail_page(request, line.statement, status=409)


@login_required
@require_POST
def line_match(request: WorkspaceRequest, pk: int) -> HttpResponseBase:
    _require_accountant(request)
    line = get_object_or_404(StatementLine.objects.select_related("statement"), pk=pk)
    form = LineMatchForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for error in form.errors["invoice"]))
        return _detail_page(request, line.statement, status=400)
    invoice = form.cleaned_data["invoice"]
    try:
        statement_line_match(line=line, invoice=invoice, actor=request.user)
    except OrderError as exc:
        return _refused(request, line, exc.message)
    messages.success(
        request, _("Recorded as a payment of invoice %(number)s.") % {"number": invoice.number}
    )
    return redirect("statements:detail", pk=line.statement_id)


@login_required
@require_POST
def line_dismiss(request: WorkspaceRequest, pk: int) -> HttpResponseBase:
    _require_accountant(request)
    line = get_object_or_404(StatementLine.objects.select_related("statement"), pk=pk)
    try:
        statement_line_dismiss(line=line, actor=request.user)
    except OrderError as exc:
        return _refused(request, line, exc.message)
    messages.success(request, _("Marked as not an invoice payment."))
    return redirect("statements:detail", pk=line.statement_id)
