"""Shop-floor pages: my tasks (phone-first), a task's details, the head of production's
board, and the margin report."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exports import csv_download
from orders import roles
from orders.models import Department, Order, Task
from orders.rules import OrderError
from orders.selectors.access import can_change_order
from orders.selectors.tasks import TaskCursor
from pipeline.shop_floor import task_timer_finish
from pipeline.work import task_reassign
from production.load import QueueCursor, load_for_head, queue_page
from production.models import WorkCentre
from production.progress import with_line_steps
from production.selectors import (
    MarginRow,
    margin_by_product,
    production_workers,
    task_list_for_board,
    task_list_for_shop_floor,
    tasks_by_order,
)
from production.timer import task_timer_pause, task_timer_start
from web.orders.views.common import refuse
from web.production.forms import MarginReportForm, ReassignForm, TaskDoneForm
from web.production.tickets import job_ticket_cached
from web.requests import WorkspaceRequest
from web.tasks import job_ticket_request

# The page waiting for a job ticket asks again this often until the worker has rendered it.
TICKET_REFRESH_SECONDS = 2


def is_head_of_production(user) -> bool:
    return user.is_superuser or user.groups.filter(name=roles.HEAD_OF_PRODUCTION).exists()


def is_production_staff(user) -> bool:
    production = (roles.PRODUCTION, roles.HEAD_OF_PRODUCTION)
    return user.is_superuser or user.groups.filter(name__in=production).exists()


def production_task_for_user(request: WorkspaceRequest, pk: int) -> Task:
    """A production task the user may work on: their own, or any for the head."""
    task = get_object_or_404(
        Task.objects.select_related("order__customer", "order__carrier", "line", "assignee"),
        pk=pk,
        department=Department.PRODUCTION,
    )
    if task.assignee_id == request.user.pk or is_head_of_production(request.user):
        return task
    raise PermissionDenied


def _task_for_card(pk: int) -> Task:
    """A task as the shop floor's page reads it: with its order, line and place in it."""
    tasks = Task.objects.select_related("order__customer", "line")
    return with_line_steps(tasks).get(pk=pk)


def _form_errors(form) -> str:
    return " ".join(str(message) for errors in form.errors.values() for message in errors)


def _back_url(request: WorkspaceRequest, default: str = "production:shop_floor") -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse(default)


def _back(request: WorkspaceRequest, default: str = "production:shop_floor") -> HttpResponse:
    return redirect(_back_url(request, default))


def _task_answer(request: WorkspaceRequest, task: Task, also: Sequence[Task] = ()) -> HttpResponse:
    """After a timer action: back to the page (a plain post), or for htmx the task's card
    on the shop floor (with the cards of timers it paused) or the timer section of the
    task's page, and the messages as notices."""
    if not request.htmx:
        return _back(request)
    context = {
        "task": _task_for_card(task.pk),
        "also": [_task_for_card(other.pk) for other in also],
        "form": TaskDoneForm(),
        "back": request.htmx.current_url_abs_path or reverse("production:shop_floor"),
    }
    if request.htmx.target == f"timer-{task.pk}":
        return render(request, "production/partials/timer_answer.html", context)
    return render(request, "production/partials/card_answer.html", context)


@login_required
def shop_floor(request: WorkspaceRequest) -> HttpResponse:
    """The person's production tasks soonest due first, a page at a time, under their
    orders; "more" (a link, or htmx appending in place) continues after the last one."""
    # Queries: the session, the user, a page of open tasks with their orders, clients and
    # lines; the groups by order are made from those rows.
    after = TaskCursor.parse(request.GET.get("after"))
    tasks, next_cursor = task_list_for_shop_floor(user=request.user, after=after)
    context = {
        "tasks": tasks,
        "groups": tasks_by_order(tasks),
        "next_cursor": next_cursor,
        "after": after,
        "form": TaskDoneForm(),
        # Where "done" returns: the page the person is on, also for rows htmx appended.
        "back": (request.htmx.current_url_abs_path if request.htmx else None)
        or request.get_full_path(),
    }
    template = "production/shop_floor.html#page" if request.htmx and after else None
    return render(request, template or "production/shop_floor.html", context)


@login_required
def task_detail(request: WorkspaceRequest, pk: int) -> HttpResponse:
    task = production_task_for_user(request, pk)
    order = task.order
    return render(
        request,
        "production/task.html",
        {
            "task": task,
            "order": order,
            "lines": order.lines.all(),
            "show_money": request.user.has_perm("orders.view_money"),
            "form": TaskDoneForm(),
        },
    )


@require_POST
@login_required
def task_start_view(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """Start the task's timer (the task goes in progress) or resume it."""
    task = production_task_for_user(request, pk)
    try:
        started = task_timer_start(task=task, actor=request.user)
    except OrderError as error:
        return refuse(request, error.message, back=_back_url(request))
    for other in started.paused:
        messages.info(request, _("Paused: %(title)s") % {"title": other.display_title})
    return _task_answer(request, started.task, also=started.paused)


@require_POST
@login_required
def task_pause_view(request: WorkspaceRequest, pk: int) -> HttpResponse:
    task = production_task_for_user(request, pk)
    try:
        task = task_timer_pause(task=task, actor=request.user)
    except OrderError as error:
        return refuse(request, error.message, back=_back_url(request))
    return _task_answer(request, task)


@require_POST
@login_required
def task_done(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """Finish: the timer stops and its minutes (or those typed in) go to the line's cost."""
    task = production_task_for_user(request, pk)
    form = TaskDoneForm(request.POST)
    if not form.is_valid() and request.htmx:
        return refuse(request, _form_errors(form), back=_back_url(request), status=400)
    if not form.is_valid():
        context = {"task": task, "order": task.order, "lines": task.order.lines.all()}
        context |= {"form": form, "show_money": request.user.has_perm("orders.view_money")}
        return render(request, "production/task.html", context, status=400)
    try:
        task = task_timer_finish(task=task, actor=request.user, **form.cleaned_data)
    except OrderError as error:
        return refuse(request, error.message, back=_back_url(request))
    messages.success(request, _("Done: %(title)s") % {"title": task.display_title})
    return _task_answer(request, task)


@login_required
def board(request: WorkspaceRequest) -> HttpResponse:
    if not is_head_of_production(request.user):
        raise PermissionDenied
    # Queries: the session, the user, the head check, a page of open tasks with orders,
    # lines and workers, their capped count, the workers for the reassign menus.
    after = TaskCursor.parse(request.GET.get("after"))
    page = task_list_for_board(after=after)
    return render(
        request,
        "production/board.html",
        {"page": page, "after": after, "workers": list(production_workers())},
    )


@require_POST
@login_required
def task_reassign_view(request: WorkspaceRequest, pk: int) -> HttpResponse:
    if not is_head_of_production(request.user):
        raise PermissionDenied
    task = production_task_for_user(request, pk)
    form = ReassignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a production worker."))
        return _back(request, "production:board")
    try:
        task_reassign(task=task, assignee=form.cleaned_data["assignee"], actor=request.user)
    except OrderError as error:
        messages.error(request, error.message)
    return _back(request, "production:board")


@login_required
@permission_required("orders.view_money", raise_exception=True)
def margin_report(request: WorkspaceRequest) -> HttpResponse:
    form = MarginReportForm.for_request(request.GET)
    rows: list[MarginRow] = []
    total: MarginRow | None = None
    if form.is_valid():
        rows, total = margin_by_product(**form.cleaned_data)
    return render(
        request,
        "production/margin_report.html",
        {"form": form, "rows": rows, "total": total},
        status=200 if form.is_valid() else 400,
    )


@login_required
@permission_required("orders.view_money", raise_exception=True)
def margin_report_csv(request: WorkspaceRequest) -> HttpResponseBase:
    form = MarginReportForm.for_request(request.GET)
    if not form.is_valid():
        return HttpResponse(
            "; ".join(str(m) for errors in form.errors.values() for m in errors),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    rows, total = margin_by_product(**form.cleaned_data)
    return _margin_csv([*rows, total], form.cleaned_data["start"], form.cleaned_data["end"])


def _margin_csv(rows: list, start, end) -> StreamingHttpResponse:
    """The report's rows and its total, as on the page."""
    header = [
        _("SKU"),
        _("Product"),
        _("Quantity"),
        _("Revenue"),
        _("Cost"),
        _("Margin"),
        _("Margin, %"),
    ]
    lines = (
        [
            row.sku,
            row.name or _("Total"),
            format(row.quantity.normalize(), "f"),
            row.revenue,
            row.cost,
            row.margin,
            "" if row.margin_percent is None else row.margin_percent,
        ]
        for row in rows
    )
    return csv_download(f"margin-{start}-{end}.csv", header, lines)


def _order_for_ticket(request: WorkspaceRequest, number: str) -> Order:
    """Production's people print any order's ticket; sales only their own orders' (the
    head of sales everyone's)."""
    order = get_object_or_404(Order.objects.select_related("customer"), number=number)
    user = request.user
    if is_production_staff(user) or can_change_order(user, order):
        return order
    raise PermissionDenied


@login_required
def job_ticket(request: WorkspaceRequest, number: str) -> HttpResponse:
    """The order's job ticket (PDF): a block per operation with a QR code of its task page,
    at the address this page was asked at (the one the shop's phones reach). Rendered by
    the worker: until it has, a page that reloads itself waits for it."""
    order = _order_for_ticket(request, number)
    where = {"site_url": request.build_absolute_uri("/"), "language": get_language()}
    content = job_ticket_cached(order, **where)
    if content is None:
        job_ticket_request(order, **where)
        context = {"order": order, "refresh_seconds": TICKET_REFRESH_SECONDS}
        return render(request, "production/ticket_pending.html", context, status=202)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="job-ticket-{order.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def load(request: WorkspaceRequest) -> HttpResponse:
    if not is_head_of_production(request.user):
        raise PermissionDenied
    # Queries: the session, the user, the head check, then load_for_head's eight (work
    # centres, load rows, capacity exceptions, the calendar and its holidays, the queues'
    # ids, the late operations' ids, those operations), then the layout's.
    return render(request, "production/load.html", {"page": load_for_head()})


@login_required
def load_queue(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """A work centre's whole queue, a page at a time ("more" by link or htmx)."""
    if not is_head_of_production(request.user):
        raise PermissionDenied
    centre = get_object_or_404(WorkCentre, pk=pk)
    after = QueueCursor.parse(request.GET.get("after"))
    tasks, next_cursor = queue_page(centre=centre, after=after)
    context = {"centre": centre, "tasks": tasks, "next_cursor": next_cursor, "after": after}
    template = "production/load_queue.html#rows" if request.htmx and after else None
    return render(request, template or "production/load_queue.html", context)
