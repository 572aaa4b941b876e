"""The promise on the order page: accept the proposed date or set a later one, and the
head of production's priority with a preview of its effect before it is saved."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from orders.rules import OrderError, day
from pipeline.promise import order_priority_set
from production.planning import schedule_preview_result, schedule_preview_start
from web.orders.promise import PriorityForm, PromiseForm, is_head_of_production
from web.orders.views.common import add_errors, order_for_change, order_for_user
from web.orders.views.order import order_page
from web.requests import WorkspaceRequest

# A preview asks once a second for a minute before it gives up (a worker down, a token
# expired or made up).
PREVIEW_TRIES = 60


@login_required
@require_POST
def order_promise_view(request: WorkspaceRequest, number: str) -> HttpResponse:
    """The proposed date accepted in one click, or a later one set."""
    order = order_for_change(request, number)
    form = PromiseForm(request.POST, order=order)
    if form.is_valid():
        try:
            promised = form.save(actor=request.user)
        except OrderError as error:
            add_errors(form, error)
        else:
            if promised is not None and promised.promised_date is not None:
                date = day(promised.promised_date)
                messages.success(request, _("Promised to the client: %(date)s.") % {"date": date})
            return redirect(order)
    return order_page(request, order, status=422, promise_form=form)


@login_required
@require_POST
def order_priority_view(request: WorkspaceRequest, number: str) -> HttpResponse:
    """The head of production's priority: "Preview" starts computing the plan it would
    give (shown when ready), "Save" keeps it and asks for the schedule again."""
    order = order_for_user(request, number)
    if not is_head_of_production(request.user):
        raise PermissionDenied(_("Only the head of production sets priorities."))
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return order_page(request, order, status=422, priority_form=form)
    priority = form.cleaned_data["priority"]
    if "preview" in request.POST:
        token = schedule_preview_start({order.pk: priority})
        return order_page(request, order, priority_form=form, preview=token)
    try:
        order_priority_set(order=order, actor=request.user, priority=priority)
    except OrderError as error:
        add_errors(form, error)
        return order_page(request, order, status=422, priority_form=form)
    messages.success(
        request, _("Production priority saved: %(priority)s.") % {"priority": priority}
    )
    return redirect(order)


@login_required
@require_GET
def order_priority_preview(request: WorkspaceRequest, number: str, token: str) -> HttpResponse:
    """The preview's result once the worker has it; until then the same fragment, which
    asks again (htmx)."""
    order = order_for_user(request, number)
    if not is_head_of_production(request.user):
        raise PermissionDenied(_("Only the head of production sets priorities."))
    rows = schedule_preview_result(token)
    raw = request.GET.get("try", "0")
    tries = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 4 else 0
    context = {
        "order": order,
        "rows": rows,
        "token": token,
        "tries": tries,
        "gave_up": rows is None and tries >= PREVIEW_TRIES,
    }
    return render(request, "orders/partials/promise_preview.html", context)
