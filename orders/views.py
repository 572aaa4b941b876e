"""Pages of the sales workspace."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from orders.models import Order


def order_for_user(request: HttpRequest, number: str) -> Order:
    """The order if this user may see it: their own, or every order with view_all_orders,
    or one their task links to."""
    order = get_object_or_404(
        Order.objects.select_related("customer", "manager", "carrier"), number=number
    )
    user = request.user
    if (
        user.has_perm("orders.view_all_orders")
        or order.manager_id == user.pk
        or order.tasks.filter(assignee=user).exists()
    ):
        return order
    raise PermissionDenied


@login_required
def home(request: HttpRequest) -> HttpResponse:
    orders = Order.objects.open().select_related("customer", "manager")[:50]
    return render(request, "orders/home.html", {"orders": orders})


@login_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = order_for_user(request, number)
    return render(request, "orders/detail.html", {"order": order})
