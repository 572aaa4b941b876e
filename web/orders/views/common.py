"""What every workspace view shares: access to an order, refusals, redirects."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_htmx.http import reswap, retarget

from orders.models import Order
from orders.rules import OrderError
from orders.selectors.access import can_change_order, can_see_all_orders, departments_headed
from orders.selectors.order import order_for_page
from web.requests import WorkspaceRequest

CHANGE_REFUSED = gettext_lazy("Only the order's manager or the head of sales can change it.")
SAVED_NOT_QUALIFIED = gettext_lazy(
    "The order is saved. Fill in what is missing below to qualify it."
)


def order_for_user(request: WorkspaceRequest, number: str) -> Order:
    """The order if this user may see it: their own, or every order with view_all_orders,
    or one their task links to, or one with a task of a department they head."""
    try:
        order = order_for_page(number)
    except Order.DoesNotExist:
        raise Http404(_("No order %(number)s.") % {"number": number}) from None
    user = request.user
    if (
        can_see_all_orders(user)
        or order.manager_id == user.pk
        or order.tasks.filter(
            Q(assignee=user) | Q(department__in=departments_headed(user))
        ).exists()
    ):
        return order
    raise PermissionDenied(_("This order is not yours and no task of yours links to it."))


def order_for_change(request: WorkspaceRequest, number: str) -> Order:
    order = order_for_user(request, number)
    if not can_change_order(request.user, order):
        raise PermissionDenied(CHANGE_REFUSED)
    return order


def next_url(request: HttpRequest, default: str) -> str:
    """Where to go back after a plain form post: the `next` field, else the page the form
    was on (so a board keeps its filters without JavaScript), if it is one of ours."""
    for target in (
        request.POST.get("next"),
        request.GET.get("next"),
        request.headers.get("Referer"),
    ):
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return target
    return default


def refuse(
    request: WorkspaceRequest, message: str, *, back: str, status: int = 409
) -> HttpResponse:
    """A refused action: htmx and the board's script get the reason with 409 (shown as a
    notice); a plain form post gets it as a message on the page it came from."""
    if request.htmx:
        response = render(
            request, "orders/partials/notice.html", {"message": message}, status=status
        )
        return reswap(retarget(response, "#notices"), "beforeend")
    messages.error(request, message)
    return HttpResponseRedirect(back)


def error_text(error: OrderError) -> str:
    return " ".join(m for msgs in error.errors.values() for m in msgs) or error.message


def add_errors(form, error: OrderError) -> None:
    """Put each of the service's messages next to its field (or above the form)."""
    for field, field_messages in error.errors.items():
        target = field if field in form.fields else None
        for message in field_messages:
            form.add_error(target, message)
