"""The order page (the single window) and the actions on it."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from invoices.models import InvoiceStatus, Payment, PaymentSource
from invoices.payments import payment_give_back, payment_reverse
from notifications.client import event_send_to_client
from orders.models import OPEN_STAGES, EventKind, NotificationStatus, Order, Stage, TimelineEvent
from orders.rules import OrderError, person
from orders.selectors.access import (
    can_change_order,
    can_hand_over,
    can_see_money,
    departments_headed,
)
from orders.selectors.order import manual_targets
from orders.selectors.people import managers_for_filter, task_candidates
from pipeline.orders import (
    order_cancel,
    order_comment,
    order_hand_over,
    order_qualify,
    order_take_into_work,
)
from pipeline.payments import payment_register
from web.orders.forms import CommentForm, HandOverForm, PaymentForm, ReasonForm, RefundForm
from web.orders.page import OrderPage, order_page_data
from web.orders.promise import promise_panel
from web.orders.views.common import (
    SAVED_NOT_QUALIFIED,
    add_errors,
    error_text,
    order_for_change,
    order_for_user,
)
from web.requests import WorkspaceRequest

# Timeline entries a manager may pass on to the client as they are.
SENDABLE_EVENTS = [EventKind.COMMENT, EventKind.PRODUCTION, EventKind.DELIVERY]


def _order_page(
    request: WorkspaceRequest, order: Order, *, status: int = 200, **forms
) -> HttpResponse:
    user = request.user
    can_money = can_see_money(user)
    page = order_page_data(order, money=can_money)
    can_change = can_change_order(user, order)
    can_pay = can_money and user.has_perm("invoices.register_payment")
    context = {
        "order": order,
        "page": page,
        "stages": OPEN_STAGES,
        "can_change": can_change,
        "can_money": can_money,
        "can_pay": can_pay and order.stage != Stage.NEW,
        "targets": manual_targets(order) if can_change else [],
        # Rendered from the invoices already read, so the form adds no query.
        "sendable": SENDABLE_EVENTS,
        "payable_invoices": [i for i in page.invoices if i.status != InvoiceStatus.VOID],
        "now": timezone.now(),
        **_page_forms(order, page, can_pay=can_pay, sent=forms),
        # Open tasks of the departments this person heads: who could take each.
        "task_candidates": _task_candidates(user, page),
        "hand_over_to": (managers_for_filter() if order.is_open and can_hand_over(user) else []),
        "promise": promise_panel(user, order, page.invoices, forms),
    }
    return render(request, "orders/detail.html", context, status=status)


# The page with a form sent back (the promise's views, web/orders/views/promise.py).
order_page = _order_page


def _page_forms(order: Order, page: OrderPage, *, can_pay: bool, sent: dict) -> dict:
    """The page's forms: those sent back with their errors, blank ones for the rest."""
    return {
        "payment_form": sent.get("payment_form")
        or (PaymentForm(order=order, initial=_payment_initial(page)) if can_pay else None),
        "cancel_form": sent.get("cancel_form") or ReasonForm(),
        "comment_form": sent.get("comment_form") or CommentForm(),
        "reverse_form": sent.get("reverse_form"),
        "reverse_payment": sent.get("reverse_payment"),
        "refund_form": sent.get("refund_form"),
        "refund_payment": sent.get("refund_payment"),
        "hand_over_form": sent.get("hand_over_form"),
    }


def _task_candidates(user, page: OrderPage) -> dict[int, list]:
    headed = departments_headed(user)
    open_tasks = [t for t in page.tasks if t.is_open and t.department in headed]
    if not open_tasks:
        return {}
    people = task_candidates(sorted({t.department for t in open_tasks}))
    return {task.pk: people.get(task.department, []) for task in open_tasks}


def _payment_initial(page: OrderPage) -> dict:
    open_invoices = [invoice for invoice in page.invoices if invoice.is_open]
    if not open_invoices:
        return {}
    invoice = open_invoices[-1]
    return {"invoice": invoice.pk, "amount": invoice.balance}


@login_required
@require_GET
def order_detail(request: WorkspaceRequest, number: str) -> HttpResponse:
    return _order_page(request, order_for_user(request, number))


@login_required
@require_POST
def order_take(request: WorkspaceRequest, number: str) -> HttpResponse:
    order = order_for_change(request, number)
    try:
        order_take_into_work(order=order, actor=request.user)
    except OrderError as error:
        messages.error(request, error_text(error))
    return redirect(order)


@login_required
@require_POST
def order_qualify_now(request: WorkspaceRequest, number: str) -> HttpResponse:
    order = order_for_change(request, number)
    try:
        order_qualify(order=order, actor=request.user)
    except OrderError:
        messages.error(request, str(SAVED_NOT_QUALIFIED))
        return redirect(reverse("orders:edit", args=[order.number]) + "?check=1")
    messages.success(request, _("Order %(number)s is qualified.") % {"number": order.number})
    return redirect(order)


@login_required
@require_POST
def order_cancel_view(request: WorkspaceRequest, number: str) -> HttpResponse:
    order = order_for_change(request, number)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            order_cancel(order=order, actor=request.user, reason=form.cleaned_data["reason"])
        except OrderError as error:
            add_errors(form, error)
        else:
            messages.success(
                request, _("Order %(number)s is cancelled.") % {"number": order.number}
            )
            return redirect(order)
    return _order_page(request, order, status=422, cancel_form=form)


@login_required
@require_POST
def order_hand_over_view(request: WorkspaceRequest, number: str) -> HttpResponse:
    """The head of sales gives the order to another manager."""
    if not can_hand_over(request.user):
        raise PermissionDenied
    order = order_for_user(request, number)
    form = HandOverForm(request.POST)
    if form.is_valid():
        try:
            order_hand_over(order=order, manager=form.cleaned_data["manager"], actor=request.user)
        except OrderError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("Order %(number)s is now with %(user)s.")
                % {"number": order.number, "user": person(form.cleaned_data["manager"])},
            )
            return redirect(order)
    return _order_page(request, order, status=422, hand_over_form=form)


@login_required
@require_POST
def order_comment_view(request: WorkspaceRequest, number: str) -> HttpResponse:
    order = order_for_user(request, number)
    form = CommentForm(request.POST)
    if form.is_valid():
        send = form.cleaned_data["send_to_client"] and can_change_order(request.user, order)
        order_comment(
            order=order, actor=request.user, text=form.cleaned_data["text"], send_to_client=send
        )
        return redirect(reverse("orders:detail", args=[order.number]) + "#timeline")
    return _order_page(request, order, status=422, comment_form=form)


@login_required
@require_POST
def event_send(request: WorkspaceRequest, number: str, event_id: int) -> HttpResponse:
    """Send a timeline entry (a comment, "line made") to the client by e-mail."""
    order = order_for_change(request, number)
    event = get_object_or_404(TimelineEvent, pk=event_id, order=order, kind__in=SENDABLE_EVENTS)
    if event.notification_status in (
        NotificationStatus.QUEUED,
        NotificationStatus.SENDING,
        NotificationStatus.SENT,
    ):
        messages.info(request, _("This was already sent to the client."))
    else:
        with transaction.atomic():
            event_send_to_client(event=event, actor=request.user)
        messages.success(request, _("Sent to the client."))
    return redirect(reverse("orders:detail", args=[order.number]) + "#timeline")


def _require_payment_rights(request: WorkspaceRequest, refusal: str) -> None:
    user = request.user
    if not (can_see_money(user) and user.has_perm("invoices.register_payment")):
        raise PermissionDenied(refusal)


# A form key seen before (orders.forms.FormKeyField): told, never recorded twice.
FORM_ALREADY_SENT = gettext_lazy(
    "This form was sent before and what it recorded stands; nothing new was recorded. "
    "To record another, open the form again."
)


def _tell_recorded(request: WorkspaceRequest, created: bool, done: str) -> None:
    if created:
        messages.success(request, done)
    else:
        messages.warning(request, str(FORM_ALREADY_SENT))


def _payment_of(
    request: WorkspaceRequest, number: str, payment_id: int, refusal: str
) -> tuple[Order, Payment]:
    """The order and one of its payments, for someone who may act on its money."""
    order = order_for_user(request, number)
    _require_payment_rights(request, refusal)
    return order, get_object_or_404(Payment, pk=payment_id, order=order)


@login_required
@require_POST
def payment_add(request: WorkspaceRequest, number: str) -> HttpResponse:
    """Manual payment registration by a manager or an accountant."""
    order = order_for_user(request, number)
    _require_payment_rights(request, _("You cannot register payments."))
    form = PaymentForm(request.POST, order=order)
    if form.is_valid():
        data = form.cleaned_data
        # A bank day is stamped at its noon, but never later than now: just after
        # midnight today's noon still lies ahead.
        paid_at = min(
            timezone.make_aware(dt.datetime.combine(data["paid_on"], dt.time(12, 0))),
            timezone.now(),
        )
        try:
            _payment, created = payment_register(
                invoice=data["invoice"],
                amount=data["amount"],
                source=PaymentSource.MANUAL,
                actor=request.user,
                paid_at=paid_at,
                reference=data["reference"],
                external_id=f"form:{data['key']}" if data["key"] else "",
            )
        except OrderError as error:
            add_errors(form, error)
        else:
            _tell_recorded(request, created, _("Payment registered."))
            return redirect(order)
    return _order_page(request, order, status=422, payment_form=form)


@login_required
@require_POST
def payment_reverse_view(request: WorkspaceRequest, number: str, payment_id: int) -> HttpResponse:
    order, payment = _payment_of(request, number, payment_id, _("You cannot reverse payments."))
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            payment_reverse(payment=payment, actor=request.user, reason=form.cleaned_data["reason"])
        except OrderError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Payment reversed."))
            return redirect(order)
    return _order_page(request, order, status=422, reverse_form=form, reverse_payment=payment)


@login_required
@require_POST
def payment_refund_view(request: WorkspaceRequest, number: str, payment_id: int) -> HttpResponse:
    """Money given back: to the card through CloudPayments, or recorded as a bank refund."""
    order, payment = _payment_of(request, number, payment_id, _("You cannot refund payments."))
    form = RefundForm(request.POST)
    if form.is_valid():
        try:
            _refund, created = payment_give_back(
                payment=payment,
                amount=form.cleaned_data["amount"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
                key=form.cleaned_data["key"],
            )
        except OrderError as error:
            add_errors(form, error)
        else:
            _tell_recorded(request, created, _("Refund recorded."))
            return redirect(order)
    return _order_page(request, order, status=422, refund_form=form, refund_payment=payment)
