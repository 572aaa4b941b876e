"""The board: columns, a column's next cards, and moving a card."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from orders import selectors
from orders.models import OPEN_STAGES, Stage
from orders.rules import OrderError
from pipeline.orders import board_move
from web.orders.forms import BoardFilterForm
from web.orders.views.common import CHANGE_REFUSED, error_text, next_url, order_for_user, refuse


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    if not selectors.can_use_board(request.user):
        return redirect("orders:my_tasks")
    form = BoardFilterForm(request.GET, user=request.user)
    filters = form.filters()
    # The board polls with the fingerprint it shows: unchanged → 204, nothing re-rendered.
    polled = request.GET.get("v")
    if request.htmx and polled and polled == selectors.board_fingerprint(filters):
        return HttpResponse(status=204)
    data = selectors.order_list_for_board(filters=filters)
    query = request.GET.copy()
    query.pop("v", None)
    context = {
        "board": data,
        "form": form,
        "who": form.chosen(),
        "filters": filters,
        "query": query.urlencode(),
        "managers": selectors.managers_for_filter()
        if selectors.can_see_all_orders(request.user)
        else [],
        "closed_periods": selectors.CLOSED_PERIOD_DAYS,
        "now": timezone.now(),
        "can_money": selectors.can_see_money(request.user),
    }
    template = "orders/board.html#board" if request.htmx else "orders/board.html"
    return render(request, template, context)


@login_required
@require_GET
def board_column(request: HttpRequest, stage: str) -> HttpResponse:
    """A column's next cards after a keyset cursor ("more" and endless scroll)."""
    if stage not in OPEN_STAGES:
        raise Http404(_("No such column."))
    if not selectors.can_use_board(request.user):
        raise PermissionDenied
    cursor = selectors.Cursor.parse(request.GET.get("after", ""))
    if cursor is None:
        return HttpResponse(_("The “after” position is missing or malformed."), status=400)
    form = BoardFilterForm(request.GET, user=request.user)
    cards, next_cursor = selectors.column_cards(stage=stage, filters=form.filters(), after=cursor)
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "column": selectors.Column(
            stage=stage, label=Stage(stage).label, cards=cards, next_cursor=next_cursor
        ),
        "query": query.urlencode(),
        "who": form.chosen(),
        "can_money": selectors.can_see_money(request.user),
    }
    return render(request, "orders/board.html#cards", context)


@login_required
@require_POST
def order_move(request: HttpRequest, number: str) -> HttpResponse:
    """Drag and drop or "Move to…": the server decides, through the same services."""
    back = next_url(request, reverse("orders:board"))
    order = order_for_user(request, number)
    if not selectors.can_change_order(request.user, order):
        return refuse(request, str(CHANGE_REFUSED), back=back, status=403)
    target = request.POST.get("to", "")
    if target not in Stage.values:
        return refuse(request, _("Choose a column to move the order to."), back=back, status=400)
    if request.POST.get("from") and request.POST["from"] != order.stage:
        # Someone moved it meanwhile: say so; the board refreshes the affected columns.
        message = _("Order %(number)s is already in “%(stage)s”.") % {
            "number": order.number,
            "stage": order.get_stage_display(),
        }
        response = refuse(request, message, back=back)
        response["HX-Trigger"] = "board-refresh"
        return response
    if target == order.stage:
        return HttpResponse(status=204)
    try:
        board_move(order=order, target=target, actor=request.user)
    except OrderError as error:
        return refuse(request, error_text(error), back=back)
    message = _("Order %(number)s moved to “%(stage)s”.") % {
        "number": order.number,
        "stage": Stage(target).label,
    }
    if request.htmx:
        response = render(request, "orders/partials/notice.html", {"message": message, "ok": True})
        response["HX-Retarget"] = "#notices"
        response["HX-Reswap"] = "beforeend"
        response["HX-Trigger"] = "board-refresh"
        return response
    messages.success(request, message)
    return HttpResponseRedirect(back)
