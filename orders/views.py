"""Pages of the sales workspace: the board, the order page, new order, my tasks.

One small view per action: fetch with an access helper, validate a form, call one
service, render. Refusals carry the service's own message (409 on the board)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from invoices.models import InvoiceStatus, Payment, PaymentSource
from invoices.services import payment_register, payment_reverse
from logistics.services import order_save_delivery_details
from orders import rules, selectors
from orders.forms import (
    BoardFilterForm,
    CommentForm,
    CustomerForm,
    ExistingCustomerForm,
    LineFormSet,
    PaymentForm,
    ReasonForm,
    TermsForm,
    line_formset_initial,
)
from orders.models import (
    OPEN_STAGES,
    Customer,
    EventKind,
    NotificationStatus,
    Order,
    Source,
    Stage,
    Task,
    TaskKind,
    TimelineEvent,
)
from orders.notify import event_send_to_client
from orders.rules import OrderError
from orders.services import (
    order_cancel,
    order_comment,
    order_create,
    order_qualify,
    order_take_into_work,
    order_update,
    task_complete,
)
from production.models import Product

MOVE_IMPOSSIBLE = gettext_lazy("An order cannot go from “%(source)s” to “%(target)s”.")
MOVE_AUTOMATIC = gettext_lazy(
    "Orders go from “%(source)s” to “%(target)s” by themselves (%(event)s); "
    "this cannot be done by hand."
)
MOVE_NEEDS_REASON = gettext_lazy("Cancel the order on its page: a reason is required.")
QUALIFY_ELSEWHERE = gettext_lazy(
    "With its payment scheme this order goes to “%(target)s” once qualified."
)
CHANGE_REFUSED = gettext_lazy("Only the order's manager or the head of sales can change it.")
SAVED_NOT_QUALIFIED = gettext_lazy(
    "The order is saved. Fill in what is missing below to qualify it."
)
# Timeline entries a manager may pass on to the client as they are.
SENDABLE_EVENTS = [EventKind.COMMENT, EventKind.PRODUCTION, EventKind.DELIVERY]
# Tasks that are completed with one click; the others need data entered on their page.
ONE_CLICK_TASKS = {TaskKind.TAKE_INTO_WORK, TaskKind.PRODUCE_LINE, TaskKind.CUSTOM}


# ----------------------------------------------------------------------------- helpers


def order_for_user(request: HttpRequest, number: str) -> Order:
    """The order if this user may see it: their own, or every order with view_all_orders,
    or one their task links to."""
    try:
        order = selectors.order_for_page(number)
    except Order.DoesNotExist:
        raise Http404(_("No order %(number)s.") % {"number": number}) from None
    user = request.user
    if (
        selectors.can_see_all_orders(user)
        or order.manager_id == user.pk
        or order.tasks.filter(assignee=user).exists()
    ):
        return order
    raise PermissionDenied(_("This order is not yours and no task of yours links to it."))


def order_for_change(request: HttpRequest, number: str) -> Order:
    order = order_for_user(request, number)
    if not selectors.can_change_order(request.user, order):
        raise PermissionDenied(CHANGE_REFUSED)
    return order


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _refuse(request: HttpRequest, message: str, *, back: str, status: int = 409) -> HttpResponse:
    """A refused action: htmx and the board's script get the reason with 409 (shown as a
    notice); a plain form post gets it as a message on the page it came from."""
    if request.htmx:
        response = render(
            request, "orders/partials/notice.html", {"message": message}, status=status
        )
        response["HX-Retarget"] = "#notices"
        response["HX-Reswap"] = "beforeend"
        return response
    messages.error(request, message)
    return HttpResponseRedirect(back)


def _error_text(error: OrderError) -> str:
    return " ".join(m for msgs in error.errors.values() for m in msgs) or error.message


# ----------------------------------------------------------------------------- board


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


def _board_move(*, order: Order, target: str, actor) -> None:
    """Move an order to a column through the service that makes that move."""
    source_label, target_label = Stage(order.stage).label, Stage(target).label
    if target == Stage.LOST:
        raise OrderError(str(MOVE_NEEDS_REASON))
    transition = selectors.transition_between(order.stage, target)
    if transition is None:
        raise OrderError(str(MOVE_IMPOSSIBLE) % {"source": source_label, "target": target_label})
    if not transition.custom.get("manual"):
        raise OrderError(
            str(MOVE_AUTOMATIC)
            % {"source": source_label, "target": target_label, "event": transition.custom["label"]}
        )
    if order.stage == Stage.NEW:
        order_take_into_work(order=order, actor=actor)
    elif order.stage == Stage.QUALIFICATION:
        if target not in selectors.manual_targets(order):
            other = Stage.PRODUCTION if target == Stage.PREPAYMENT else Stage.PREPAYMENT
            raise OrderError(str(QUALIFY_ELSEWHERE) % {"target": Stage(other).label})
        order_qualify(order=order, actor=actor)
    elif order.stage == Stage.DELIVERY_DETAILS:
        order_save_delivery_details(
            order=order,
            actor=actor,
            planned_ship_date=order.planned_ship_date,
            pickup_date=order.pickup_date,
        )


@login_required
@require_POST
def order_move(request: HttpRequest, number: str) -> HttpResponse:
    """Drag and drop or "Move to…": the server decides, through the same services."""
    back = _next_url(request, reverse("orders:board"))
    order = order_for_user(request, number)
    if not selectors.can_change_order(request.user, order):
        return _refuse(request, str(CHANGE_REFUSED), back=back, status=403)
    target = request.POST.get("to", "")
    if target not in Stage.values:
        return _refuse(request, _("Choose a column to move the order to."), back=back, status=400)
    if request.POST.get("from") and request.POST["from"] != order.stage:
        # Someone moved it meanwhile: say so; the board refreshes the affected columns.
        message = _("Order %(number)s is already in “%(stage)s”.") % {
            "number": order.number,
            "stage": order.get_stage_display(),
        }
        response = _refuse(request, message, back=back)
        response["HX-Trigger"] = "board-refresh"
        return response
    if target == order.stage:
        return HttpResponse(status=204)
    try:
        _board_move(order=order, target=target, actor=request.user)
    except OrderError as error:
        return _refuse(request, _error_text(error), back=back)
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


# ----------------------------------------------------------------------------- order page


def _order_page(request: HttpRequest, order: Order, *, status: int = 200, **forms) -> HttpResponse:
    user = request.user
    page = selectors.order_page_data(order)
    can_change = selectors.can_change_order(user, order)
    can_money = selectors.can_see_money(user)
    can_pay = can_money and user.has_perm("invoices.register_payment")
    context = {
        "order": order,
        "page": page,
        "stages": OPEN_STAGES,
        "can_change": can_change,
        "can_money": can_money,
        "can_pay": can_pay and order.stage != Stage.NEW,
        "targets": selectors.manual_targets(order) if can_change else [],
        # Rendered from the invoices already read, so the form adds no query.
        "sendable": SENDABLE_EVENTS,
        "payable_invoices": [i for i in page.invoices if i.status != InvoiceStatus.VOID],
        "now": timezone.now(),
        "payment_form": forms.get("payment_form")
        or (PaymentForm(order=order, initial=_payment_initial(page)) if can_pay else None),
        "cancel_form": forms.get("cancel_form") or ReasonForm(),
        "comment_form": forms.get("comment_form") or CommentForm(),
        "reverse_form": forms.get("reverse_form"),
        "reverse_payment": forms.get("reverse_payment"),
    }
    return render(request, "orders/detail.html", context, status=status)


def _payment_initial(page: selectors.OrderPage) -> dict:
    open_invoices = [invoice for invoice in page.invoices if invoice.is_open]
    if not open_invoices:
        return {}
    invoice = open_invoices[-1]
    return {"invoice": invoice.pk, "amount": invoice.balance}


@login_required
@require_GET
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _order_page(request, order_for_user(request, number))


@login_required
@require_POST
def order_take(request: HttpRequest, number: str) -> HttpResponse:
    order = order_for_change(request, number)
    try:
        order_take_into_work(order=order, actor=request.user)
    except OrderError as error:
        messages.error(request, _error_text(error))
    return redirect(order)


@login_required
@require_POST
def order_qualify_now(request: HttpRequest, number: str) -> HttpResponse:
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
def order_cancel_view(request: HttpRequest, number: str) -> HttpResponse:
    order = order_for_change(request, number)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            order_cancel(order=order, actor=request.user, reason=form.cleaned_data["reason"])
        except OrderError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request, _("Order %(number)s is cancelled.") % {"number": order.number}
            )
            return redirect(order)
    return _order_page(request, order, status=422, cancel_form=form)


@login_required
@require_POST
def order_comment_view(request: HttpRequest, number: str) -> HttpResponse:
    order = order_for_user(request, number)
    form = CommentForm(request.POST)
    if form.is_valid():
        send = form.cleaned_data["send_to_client"] and selectors.can_change_order(
            request.user, order
        )
        order_comment(
            order=order, actor=request.user, text=form.cleaned_data["text"], send_to_client=send
        )
        return redirect(reverse("orders:detail", args=[order.number]) + "#timeline")
    return _order_page(request, order, status=422, comment_form=form)


@login_required
@require_POST
def event_send(request: HttpRequest, number: str, event_id: int) -> HttpResponse:
    """Send a timeline entry (a comment, "line made") to the client by e-mail."""
    order = order_for_change(request, number)
    event = get_object_or_404(TimelineEvent, pk=event_id, order=order, kind__in=SENDABLE_EVENTS)
    if event.notification_status in (NotificationStatus.QUEUED, NotificationStatus.SENT):
        messages.info(request, _("This was already sent to the client."))
    else:
        with transaction.atomic():
            event_send_to_client(event=event, actor=request.user)
        messages.success(request, _("Sent to the client."))
    return redirect(reverse("orders:detail", args=[order.number]) + "#timeline")


@login_required
@require_POST
def payment_add(request: HttpRequest, number: str) -> HttpResponse:
    """Manual payment registration by a manager or an accountant."""
    order = order_for_user(request, number)
    if not (
        selectors.can_see_money(request.user) and request.user.has_perm("invoices.register_payment")
    ):
        raise PermissionDenied(_("You cannot register payments."))
    form = PaymentForm(request.POST, order=order)
    if form.is_valid():
        data = form.cleaned_data
        paid_at = timezone.make_aware(dt.datetime.combine(data["paid_on"], dt.time(12, 0)))
        try:
            payment_register(
                invoice=data["invoice"],
                amount=data["amount"],
                source=PaymentSource.MANUAL,
                actor=request.user,
                paid_at=paid_at,
                reference=data["reference"],
            )
        except OrderError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Payment registered."))
            return redirect(order)
    return _order_page(request, order, status=422, payment_form=form)


@login_required
@require_POST
def payment_reverse_view(request: HttpRequest, number: str, payment_id: int) -> HttpResponse:
    order = order_for_user(request, number)
    if not (
        selectors.can_see_money(request.user) and request.user.has_perm("invoices.register_payment")
    ):
        raise PermissionDenied(_("You cannot reverse payments."))
    payment = get_object_or_404(Payment, pk=payment_id, order=order)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            payment_reverse(payment=payment, actor=request.user, reason=form.cleaned_data["reason"])
        except OrderError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Payment reversed."))
            return redirect(order)
    return _order_page(request, order, status=422, reverse_form=form, reverse_payment=payment)


def _add_errors(form, error: OrderError) -> None:
    """Put each of the service's messages next to its field (or above the form)."""
    for field, field_messages in error.errors.items():
        target = field if field in form.fields else None
        for message in field_messages:
            form.add_error(target, message)


# ----------------------------------------------------------------------------- qualification


def _catalogue() -> tuple[list[Product], dict]:
    products = list(Product.objects.filter(is_active=True).order_by("sku"))
    data = {p.sku: {"name": p.name, "price": str(p.price), "unit": p.unit} for p in products}
    return products, data


def _apply_problems(terms: TermsForm, lines, problems: dict[str, list[str]]) -> None:
    for field, field_messages in problems.items():
        for message in field_messages:
            if field == "lines" or field not in terms.fields:
                lines.non_form_errors().append(message)
            else:
                terms.add_error(field, message)


def _order_form_page(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    products, catalogue = _catalogue()
    context = {**context, "products": products, "catalogue": catalogue}
    return render(request, template, context, status=status)


def _save_terms(request: HttpRequest, order: Order, lines, terms: TermsForm) -> bool:
    """Save lines and terms, then qualify when asked. The save stays even if qualifying is
    refused; every refusal is put next to its field."""
    try:
        order_update(
            order=order, actor=request.user, lines=lines.line_inputs(), **terms.update_kwargs()
        )
        if "qualify" in request.POST:
            if order.stage == Stage.NEW:
                order_take_into_work(order=order, actor=request.user)
            order_qualify(order=order, actor=request.user)
    except OrderError as error:
        _apply_problems(terms, lines, error.errors)
        return False
    return True


@login_required
def order_edit(request: HttpRequest, number: str) -> HttpResponse:
    """The qualification form: lines, payment scheme, delivery; save or save and qualify."""
    order = order_for_change(request, number)
    if order.stage not in (Stage.NEW, Stage.QUALIFICATION):
        messages.error(request, str(rules.LINES_LOCKED))
        return redirect(order)
    status = 200
    if request.method == "POST":
        lines = LineFormSet(request.POST, prefix="lines")
        terms = TermsForm(request.POST)
        if lines.is_valid() and terms.is_valid() and _save_terms(request, order, lines, terms):
            done = _("Order %(number)s is qualified.") if "qualify" in request.POST else None
            messages.success(
                request, (done or _("Order %(number)s saved.")) % {"number": order.number}
            )
            return redirect(order)
        status = 422
    else:
        lines = LineFormSet(prefix="lines", initial=line_formset_initial(order))
        terms = TermsForm(initial=TermsForm.initial_for(order))
        problems = rules.qualification_problems(order) if request.GET.get("check") else {}
        if problems:
            # The saved order's gaps, next to their fields, as a refused save shows them.
            terms = TermsForm(data=TermsForm.initial_for(order))
            terms.is_valid()
            _apply_problems(terms, lines, problems)
    context = {"order": order, "lines": lines, "terms": terms}
    return _order_form_page(request, "orders/edit.html", context, status=status)


@login_required
def order_new(request: HttpRequest) -> HttpResponse:
    """A manager types an order in: find or create the client, then lines and terms."""
    if not request.user.has_perm("orders.add_order"):
        raise PermissionDenied(_("You cannot create orders."))
    duplicates: list[Customer] = []
    chosen = None
    if request.method == "POST":
        customer_form = CustomerForm(request.POST, prefix="customer")
        existing = ExistingCustomerForm(request.POST)
        lines = LineFormSet(request.POST, prefix="lines")
        terms = TermsForm(request.POST)
        existing.is_valid()
        chosen = existing.cleaned_data.get("customer")
        customer_ok = chosen is not None or customer_form.is_valid()
        if customer_ok and chosen is None and not existing.cleaned_data.get("confirm_new"):
            duplicates = customer_form.duplicates()
        if customer_ok and not duplicates and lines.is_valid() and terms.is_valid():
            if not lines.line_inputs():
                lines.non_form_errors().append(str(rules.NO_LINES))
            else:
                return _create_order(request, chosen or customer_form, lines, terms)
        status = 422
    else:
        customer_form = CustomerForm(prefix="customer")
        existing = ExistingCustomerForm()
        lines = LineFormSet(prefix="lines")
        terms = TermsForm(initial={"delivery_method": "pickup"})
        status = 200
    return _order_form_page(
        request,
        "orders/new.html",
        {
            "customer_form": customer_form,
            "existing": existing,
            "duplicates": duplicates,
            "chosen": chosen,
            "chosen_list": [chosen] if chosen else [],
            "lines": lines,
            "terms": terms,
        },
        status=status,
    )


def _create_order(request: HttpRequest, customer_source, lines, terms) -> HttpResponse:
    """Create, take into work (the manager is on it already) and set the terms in one
    transaction; then try to qualify if asked, keeping the order whatever the outcome."""
    terms_data = terms.update_kwargs()
    with transaction.atomic():
        customer = (
            customer_source
            if not isinstance(customer_source, CustomerForm)
            else customer_source.save()
        )
        order = order_create(
            customer=customer,
            lines=lines.line_inputs(),
            source=Source.MANAGER,
            actor=request.user,
            manager=request.user,
            delivery_method=terms_data["delivery_method"],
            delivery_address=terms_data["delivery_address"],
            delivery_cost=terms_data["delivery_cost"],
        )
        order_take_into_work(order=order, actor=request.user)
        order_update(order=order, actor=request.user, **terms_data)
    if "qualify" not in request.POST:
        messages.success(request, _("Order %(number)s created.") % {"number": order.number})
        return redirect(order)
    try:
        order_qualify(order=order, actor=request.user)
    except OrderError:
        messages.warning(request, str(SAVED_NOT_QUALIFIED))
        return redirect(reverse("orders:edit", args=[order.number]) + "?check=1")
    messages.success(request, _("Order %(number)s is qualified.") % {"number": order.number})
    return redirect(order)


@login_required
@require_GET
def customer_search(request: HttpRequest) -> HttpResponse:
    """Clients matching a name, phone or e-mail, for the new-order form (htmx)."""
    if not request.user.has_perm("orders.view_customer"):
        raise PermissionDenied
    q = request.GET.get("q", "").strip()
    found = []
    if len(q) >= 2:
        digits = "".join(ch for ch in q if ch.isdigit())
        condition = Q(name__icontains=q) | Q(email__icontains=q) | Q(company__icontains=q)
        if len(digits) >= 4:
            condition |= Q(phone__contains=digits)
        found = list(Customer.objects.filter(condition).order_by("name")[:8])
    return render(request, "orders/partials/customer_results.html", {"found": found, "q": q})


# ----------------------------------------------------------------------------- my tasks


@login_required
@require_GET
def my_tasks(request: HttpRequest) -> HttpResponse:
    tasks = selectors.task_list_for_user(request.user)
    return render(
        request,
        "orders/tasks.html",
        {"tasks": tasks, "now": timezone.now(), "one_click": ONE_CLICK_TASKS},
    )


@login_required
@require_POST
def task_done(request: HttpRequest, task_id: int) -> HttpResponse:
    task = get_object_or_404(Task.objects.select_related("order"), pk=task_id)
    back = _next_url(request, reverse("orders:my_tasks"))
    if task.assignee_id != request.user.pk and not request.user.has_perm("orders.reassign_task"):
        raise PermissionDenied(_("This task is not yours."))
    if task.kind not in ONE_CLICK_TASKS:
        messages.info(request, _("Complete this task on the order's page."))
        return redirect(task.order)
    try:
        task_complete(task=task, actor=request.user)
    except OrderError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Done: %(title)s") % {"title": task.title})
    return HttpResponseRedirect(back)
