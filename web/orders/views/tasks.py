"""My tasks: the signed-in person's open tasks, a page at a time."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from orders.models import Task, TaskKind
from orders.rules import OrderError, person
from orders.selectors.access import departments_headed
from orders.selectors.tasks import TaskCursor, task_list_for_user
from pipeline.work import task_complete, task_reassign
from web.orders.views.common import error_text, next_url
from web.requests import WorkspaceRequest

# Tasks that are completed with one click; the others need data entered on their page.
ONE_CLICK_TASKS = {TaskKind.TAKE_INTO_WORK, TaskKind.PRODUCE_LINE, TaskKind.CUSTOM}


@login_required
@require_GET
def my_tasks(request: WorkspaceRequest) -> HttpResponse:
    """Soonest due first, a page at a time; "more" (a link, or htmx appending the next
    page in place) continues after the last task shown."""
    after = TaskCursor.parse(request.GET.get("after"))
    tasks, next_cursor = task_list_for_user(request.user, after=after)
    template = "orders/tasks.html#page" if request.htmx and after else "orders/tasks.html"
    return render(
        request,
        template,
        {
            "tasks": tasks,
            "after": after,
            "next_cursor": next_cursor,
            "now": timezone.now(),
            "one_click": ONE_CLICK_TASKS,
        },
    )


@login_required
@require_POST
def task_done(request: WorkspaceRequest, task_id: int) -> HttpResponse:
    task = get_object_or_404(Task.objects.select_related("order"), pk=task_id)
    back = next_url(request, reverse("orders:my_tasks"))
    if task.assignee_id != request.user.pk and not request.user.has_perm("orders.reassign_task"):
        raise PermissionDenied(_("This task is not yours."))
    if task.kind not in ONE_CLICK_TASKS:
        messages.info(request, _("This task asks for details: complete it here."))
        return redirect(task.get_work_url())
    try:
        task_complete(task=task, actor=request.user)
    except OrderError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("Done: %(title)s") % {"title": task.display_title})
    return HttpResponseRedirect(back)


@login_required
@require_POST
def task_reassign_view(request: WorkspaceRequest, task_id: int) -> HttpResponse:
    """A department's head gives one of its tasks to someone else (from the order page)."""
    task = get_object_or_404(Task.objects.select_related("order"), pk=task_id)
    if task.department not in departments_headed(request.user):
        raise PermissionDenied(_("Only the department's head reassigns its tasks."))
    back = reverse("orders:detail", args=[task.order.number])
    chosen = request.POST.get("assignee")
    assignee = get_user_model().objects.filter(pk=chosen).first() if chosen else None
    if assignee is None:
        messages.error(request, _("Choose who takes the task."))
        return redirect(back)
    try:
        task_reassign(task=task, assignee=assignee, actor=request.user)
    except OrderError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            _("“%(title)s” is now with %(user)s.")
            % {"title": task.display_title, "user": person(assignee)},
        )
    return redirect(back)
