"""Logistics pages: the delivery list with "complete", and the manager's delivery details."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from logistics.models import Carrier
from logistics.selectors import DELIVERY_GROUPS, delivery_position, task_list_for_deliveries
from orders import roles
from orders.models import Order, Stage, Task, TaskKind
from orders.rules import OrderError
from orders.selectors.tasks import TaskCursor
from pipeline.orders import order_save_delivery_details
from pipeline.work import task_complete
from web.logistics.forms import CarrierForm, DeliveryCompleteForm, DeliveryDetailsForm
from web.requests import WorkspaceRequest


def is_logistics(user) -> bool:
    return user.is_superuser or user.groups.filter(name=roles.LOGISTICS).exists()


def order_for_manager(request: WorkspaceRequest, number: str) -> Order:
    """The order if this user manages it or may work on every order."""
    order = get_object_or_404(
        Order.objects.select_related("customer", "manager", "carrier"), number=number
    )
    user = request.user
    may_see = order.manager_id == user.pk or user.has_perm("orders.view_all_orders")
    if may_see and user.has_perm("orders.change_order"):
        return order
    raise PermissionDenied


GROUP_LABELS = {
    "overdue": gettext_lazy("Overdue"),
    "today": gettext_lazy("Today"),
    "tomorrow": gettext_lazy("Tomorrow"),
    "later": gettext_lazy("Later"),
}


@login_required
def deliveries(request: WorkspaceRequest) -> HttpResponse:
    """Every group's soonest deliveries; `group` and `after` (its "more") show one group's
    next ones, as a page or, for htmx, the cards appended in place."""
    if not is_logistics(request.user):
        raise PermissionDenied
    only = request.GET.get("group")
    only = only if only in DELIVERY_GROUPS else None
    after = TaskCursor.parse(request.GET.get("after")) if only else None
    # A link to one task (My tasks): its group from that task on.
    position = delivery_position(request.GET.get("task", ""), timezone.now())
    if position:
        only, after = position
    # Queries: the session, the user, the logistics check, the groups' capped counts, the
    # groups' first open delivery tasks with their orders, customers, carriers and
    # responsible people (one UNION ALL on PostgreSQL).
    groups = task_list_for_deliveries(only=only, after=after)
    context = {
        "sections": [(group, GROUP_LABELS[group.key]) for group in groups],
        # Empty groups share one line under the work instead of a heading each.
        "empty": [f"{GROUP_LABELS[group.key]}: 0" for group in groups if not group.count],
        "only": only,
        "after": after,
        "today": timezone.localdate(),
    }
    template = "logistics/deliveries.html"
    if request.htmx and after:
        template += "#cards"
        context["group"] = groups[0]
    return render(request, template, context)


@require_POST
@login_required
def delivery_complete_view(request: WorkspaceRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(Task.objects.select_related("order"), pk=pk, kind=TaskKind.DELIVER)
    if not (is_logistics(request.user) or task.assignee_id == request.user.pk):
        raise PermissionDenied
    form = DeliveryCompleteForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"{task.order.number}: {error}")
        return redirect("logistics:deliveries")
    try:
        task_complete(task=task, actor=request.user, **form.cleaned_data)
    except OrderError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Order %(number)s is delivered.") % {"number": task.order.number}
        )
    return redirect("logistics:deliveries")


@login_required
def delivery_details(request: WorkspaceRequest, number: str) -> HttpResponse:
    order = order_for_manager(request, number)
    form: DeliveryDetailsForm | None
    form = DeliveryDetailsForm(request.POST or None, order=order)
    status = 200
    if order.stage != Stage.DELIVERY_DETAILS:
        form = None
    elif request.method == "POST":
        if form.is_valid():
            try:
                order_save_delivery_details(
                    order=order, actor=request.user, **form.service_arguments()
                )
            except OrderError as error:
                for field, problems in error.errors.items():
                    target = field if field in form.fields else None
                    for problem in problems:
                        form.add_error(target, problem)
            else:
                messages.success(request, _("Delivery details saved; logistics has the task."))
                return redirect(order.get_absolute_url())
        status = 400
    return render(
        request, "logistics/delivery_details.html", {"order": order, "form": form}, status=status
    )


# ----------------------------------------------------------------------------- carriers


@login_required
def carriers(request: WorkspaceRequest) -> HttpResponse:
    """The carrier directory: who ships, and how a tracking number becomes a link."""
    if not request.user.has_perm("logistics.view_carrier"):
        raise PermissionDenied
    return render(
        request,
        "logistics/carriers.html",
        {
            "carriers": Carrier.objects.order_by("-is_active", "name"),
            "can_change": request.user.has_perm("logistics.change_carrier"),
            "can_add": request.user.has_perm("logistics.add_carrier"),
        },
    )


@login_required
def carrier_new(request: WorkspaceRequest) -> HttpResponse:
    if not request.user.has_perm("logistics.add_carrier"):
        raise PermissionDenied
    return _carrier_form(request, Carrier())


@login_required
def carrier_edit(request: WorkspaceRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm("logistics.change_carrier"):
        raise PermissionDenied
    return _carrier_form(request, get_object_or_404(Carrier, pk=pk))


def _carrier_form(request: WorkspaceRequest, carrier: Carrier) -> HttpResponse:
    form = CarrierForm(request.POST if request.method == "POST" else None, instance=carrier)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("Carrier saved: %(name)s") % {"name": carrier.name})
            return redirect("logistics:carriers")
        return render(request, "logistics/carrier_form.html", {"form": form}, status=422)
    return render(request, "logistics/carrier_form.html", {"form": form})
