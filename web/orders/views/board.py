"""The board: columns, a column's next cards, and moving a card."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from orders.models import OPEN_STAGES, Order, Stage
from orders.rules import OrderError
from orders.selectors.access import (
    can_change_order,
    can_see_all_orders,
    can_see_money,
    can_use_board,
)
from orders.selectors.board import (
    CLOSED_PERIOD_DAYS,
    Column,
    Cursor,
    board_columns,
    board_fingerprint,
    column_cards,
    order_list_for_board,
)
from orders.selectors.people import managers_for_filter
from pipeline.orders import board_move
from web.orders.forms import BoardFilterForm
from web.orders.views.common import CHANGE_REFUSED, error_text, next_url, order_for_user, refuse
from web.requests import WorkspaceRequest


@login_required
@require_GET
def board(request: WorkspaceRequest) -> HttpResponse:
    if not can_use_board(request.user):
        return redirect("orders:my_tasks")
    form = BoardFilterForm(request.GET, user=request.user)
    filters = form.filters()
    # The board polls with the fingerprint it shows: unchanged → 204, nothing re-rendered.
    polled = request.GET.get("v")
    if request.htmx and polled and polled == board_fingerprint(filters):
        return HttpResponse(status=204)
    data = order_list_for_board(filters=filters)
    query = request.GET.copy()
    query.pop("v", None)
    context = {
        "board": data,
        "form": form,
        "who": form.chosen(),
        "filters": filters,
        "query": query.urlencode(),
        "managers": managers_for_filter() if can_see_all_orders(request.user) else [],
        "closed_periods": CLOSED_PERIOD_DAYS,
        "now": timezone.now(),
        "can_money": can_see_money(request.user),
    }
    template = "orders/board.html#board" if request.htmx else "orders/board.html"
    return render(request, template, context)


@login_required
@require_GET
def board_column(request: WorkspaceRequest, stage: str) -> HttpResponse:
    """A column's next cards after a keyset cursor ("more" and endless scroll)."""
    if stage not in OPEN_STAGES:
        raise Http404(_("No such column."))
    if not can_use_board(request.user):
        raise PermissionDenied
    cursor = Cursor.parse(request.GET.get("after", ""))
    if cursor is None:
        return HttpResponse(_("The “after” position is missing or malformed."), status=400)
    form = BoardFilterForm(request.GET, user=request.user)
    cards, next_cursor = column_cards(stage=stage, filters=form.filters(), after=cursor)
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "column": Column(
            stage=stage, label=Stage(stage).label, cards=cards, next_cursor=next_cursor
        ),
        "query": query.urlencode(),
        "who": form.chosen(),
        "can_money": can_see_money(request.user),
    }
    return render(request, "orders/board.html#cards", context)


@login_required
@require_POST
def order_move(request: WorkspaceRequest, number: str) -> HttpResponse:
    """Drag and drop or "Move to…": the server decides, through the same services."""
    back = next_url(request, reverse("orders:board"))
    order = order_for_user(request, number)
    if not can_change_order(request.user, order):
        return refuse(request, str(CHANGE_REFUSED), back=back, status=403)
    target = request.POST.get("to", "")
    if target not in Stage.values:
        return refuse(request, _("Choose a column to move the order to."), back=back, status=400)
    if request.POST.get("from") and request.POST["from"] != order.stage:
        return _moved_meanwhile(request, order, back=back)
    if target == order.stage:
        return HttpResponse(status=204)
    source = order.stage
    try:
        board_move(order=order, target=target, actor=request.user)
    except OrderError as error:
        return refuse(request, error_text(error), back=back)
    message = _("Order %(number)s moved to “%(stage)s”.") % {
        "number": order.number,
        "stage": Stage(target).label,
    }
    if request.htmx:
        return _moved(request, message, stages=(source, target))
    messages.success(request, message)
    return HttpResponseRedirect(back)


def _moved_meanwhile(request: WorkspaceRequest, order: Order, *, back: str) -> HttpResponse:
    """Someone moved it meanwhile: say so; the board refreshes (what the page shows is
    older than this order's move, so not only two columns may be stale)."""
    message = _("Order %(number)s is already in “%(stage)s”.") % {
        "number": order.number,
        "stage": order.get_stage_display(),
    }
    response = refuse(request, message, back=back)
    if request.htmx:
        trigger_client_event(response, "board-refresh")
    return response


def _board_query(request: WorkspaceRequest) -> QueryDict:
    """The filters of the board the move was made on: its address, which htmx sends."""
    query = QueryDict(urlsplit(request.htmx.current_url or "").query, mutable=True)
    query.pop("v", None)
    return query


def _moved(request: WorkspaceRequest, message: str, *, stages: tuple[str, str]) -> HttpResponse:
    """The notice, and the columns the card left and joined (with their stage chips)
    re-rendered out of band under that board's filters. Read as the board reads itself
    (counters, the two columns' first cards): two queries, whatever the board."""
    query = _board_query(request)
    form = BoardFilterForm(query, user=request.user)
    columns, _fingerprint = board_columns(
        filters=form.filters(), stages=[stage for stage in OPEN_STAGES if stage in stages]
    )
    context = {
        "message": message,
        "ok": True,
        "columns": columns,
        "oob": True,
        "who": form.chosen(),
        "query": query.urlencode(),
        "can_money": can_see_money(request.user),
    }
    response = render(request, "orders/board.html#moved", context)
    return reswap(retarget(response, "#notices"), "beforeend")
