"""The qualification form and the new order form."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.units import unit_label
from orders import rules
from orders.models import Customer, Order, Source, Stage
from orders.rules import OrderError, person
from orders.selectors.customers import customers_ranked
from orders.services.customers import order_buyer_save
from pipeline.orders import (
    order_create_by_staff,
    order_qualify,
    order_save_terms,
    order_take_into_work,
)
from pipeline.promise import promise_offer
from production.models import Product
from web.orders.forms import (
    BuyerForm,
    CustomerForm,
    ExistingCustomerForm,
    LineFormSet,
    TermsForm,
    line_formset_initial,
)
from web.orders.promise import PromiseForm
from web.orders.views.common import SAVED_NOT_QUALIFIED, order_for_change
from web.requests import WorkspaceRequest


def _catalogue() -> tuple[list[Product], dict]:
    products = list(Product.objects.filter(is_active=True).order_by("sku"))
    data = {
        p.sku: {"name": p.name, "price": str(p.price), "unit": unit_label(p.unit)} for p in products
    }
    return products, data


def _apply_problems(
    terms: TermsForm, lines, problems: dict[str, list[str]], buyer=None, promise=None
) -> None:
    for field, field_messages in problems.items():
        for message in field_messages:
            if buyer is not None and field in buyer.fields:
                buyer.add_error(field, message)
            elif promise is not None and field in promise.fields:
                promise.add_error("promised_date", message)
            elif field == "lines" or field not in terms.fields:
                lines.non_form_errors().append(message)
            else:
                terms.add_error(field, message)


def _order_form_page(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    products, catalogue = _catalogue()
    context = {**context, "products": products, "catalogue": catalogue}
    return render(request, template, context, status=status)


def _save_terms(
    request: WorkspaceRequest, order: Order, lines, terms: TermsForm, buyer: BuyerForm, promise
) -> bool:
    """Save the buyer, lines, terms and promise, then qualify when asked: the save stays if
    qualifying is refused (its invoice names the buyer saved); refusals go by their fields."""
    try:
        with transaction.atomic():
            if buyer.requisites():
                order_buyer_save(
                    order=order,
                    actor=request.user,
                    requisites=buyer.requisites(),
                    attach_to=buyer.attach_to(),
                )
            order = order_save_terms(
                order=order,
                actor=request.user,
                lines=lines.line_inputs(),
                terms=terms.update_kwargs(),
                qualify=False,
            )
        promise.save(actor=request.user)  # a date refused is shown next to it
        if "qualify" in request.POST:
            if order.stage == Stage.NEW:
                order = order_take_into_work(order=order, actor=request.user)
            order_qualify(order=order, actor=request.user)
    except OrderError as error:
        _apply_problems(terms, lines, error.errors, buyer, promise)
        return False
    return True


def _edit_forms(request: WorkspaceRequest, order: Order) -> tuple:
    """The qualification form's parts: bound to what was sent, or showing the order (with
    its gaps next to their fields when the page is opened with ?check=1)."""
    offer = promise_offer(order)
    if request.method == "POST":
        return (
            LineFormSet(request.POST, prefix="lines"),
            TermsForm(request.POST),
            BuyerForm(request.POST, customer=order.customer),
            PromiseForm(request.POST, order=order, offer=offer),
        )
    lines = LineFormSet(prefix="lines", initial=line_formset_initial(order))
    terms = TermsForm(initial=TermsForm.initial_for(order))
    promise = PromiseForm(order=order, offer=offer)
    problems = rules.qualification_problems(order) if request.GET.get("check") else {}
    if problems:
        # The saved order's gaps, next to their fields, as a refused save shows them.
        terms = TermsForm(data=TermsForm.initial_for(order))
        terms.is_valid()
        promise = PromiseForm(
            data={"promise": promise.fields["promise"].initial}, order=order, offer=offer
        )
        promise.is_valid()
        _apply_problems(terms, lines, problems, promise=promise)
    return lines, terms, BuyerForm(customer=order.customer), promise


def _saved_message(request: WorkspaceRequest, order: Order) -> str:
    done = _("Order %(number)s is qualified.") if "qualify" in request.POST else None
    return (done or _("Order %(number)s saved.")) % {"number": order.number}


@login_required
def order_edit(request: WorkspaceRequest, number: str) -> HttpResponse:
    """The qualification form: buyer, lines, payment scheme, delivery; save or save and
    qualify."""
    order = order_for_change(request, number)
    if order.stage not in (Stage.NEW, Stage.QUALIFICATION):
        messages.error(request, str(rules.LINES_LOCKED))
        return redirect(order)
    lines, terms, buyer, promise = _edit_forms(request, order)
    status = 200
    if request.method == "POST":
        valid = all([lines.is_valid(), terms.is_valid(), buyer.is_valid(), promise.is_valid()])
        if valid and _save_terms(request, order, lines, terms, buyer, promise):
            messages.success(request, _saved_message(request, order))
            return redirect(order)
        status = 422
    context = {"order": order, "lines": lines, "terms": terms, "buyer": buyer}
    context["promise_form"] = promise
    return _order_form_page(request, "orders/edit.html", context, status=status)


@login_required
def order_new(request: WorkspaceRequest) -> HttpResponse:
    """A manager types an order in: find or create the client, then lines and terms."""
    if not request.user.has_perm("orders.add_order"):
        raise PermissionDenied(_("You cannot create orders."))
    duplicates: list[Customer] = []
    chosen = None
    status = 200
    forms = _new_order_forms(request)
    customer_form, lines, terms = forms["customer_form"], forms["lines"], forms["terms"]
    if request.method == "POST":
        chosen, customer_ok, duplicates = _customer_choice(customer_form, forms["existing"])
        if customer_ok and not duplicates and lines.is_valid() and terms.is_valid():
            if not lines.line_inputs():
                lines.non_form_errors().append(str(rules.NO_LINES))
            else:
                return _create_order(request, chosen or customer_form, lines, terms)
        status = 422
    context = {
        **forms,
        "duplicates": duplicates,
        "chosen": chosen,
        "chosen_list": [chosen] if chosen else [],
    }
    return _order_form_page(request, "orders/new.html", context, status=status)


def _new_order_forms(request: WorkspaceRequest) -> dict:
    """The new order form's parts: bound to what was sent, or blank."""
    if request.method == "POST":
        return {
            "customer_form": CustomerForm(request.POST, prefix="customer"),
            "existing": ExistingCustomerForm(request.POST),
            "lines": LineFormSet(request.POST, prefix="lines"),
            "terms": TermsForm(request.POST),
        }
    return {
        "customer_form": CustomerForm(prefix="customer"),
        "existing": ExistingCustomerForm(),
        "lines": LineFormSet(prefix="lines"),
        "terms": TermsForm(initial={"delivery_method": "pickup"}),
    }


def _customer_choice(
    customer_form: CustomerForm, existing: ExistingCustomerForm
) -> tuple[Customer | None, bool, list[Customer]]:
    """The client picked from the search, whether the one typed in is valid otherwise, and
    the clients it may duplicate (until the manager confirms it is a new one)."""
    existing.is_valid()
    chosen = existing.cleaned_data.get("customer")
    customer_ok = chosen is not None or customer_form.is_valid()
    duplicates: list[Customer] = []
    if customer_ok and chosen is None and not existing.cleaned_data.get("confirm_new"):
        duplicates = customer_form.duplicates()
    return chosen, customer_ok, duplicates


def _create_order(request: WorkspaceRequest, customer_source, lines, terms) -> HttpResponse:
    """Create the order with its customer and terms; then try to qualify if asked,
    keeping the order whatever the outcome."""
    order, refused = order_create_by_staff(
        customer=customer_source.save
        if isinstance(customer_source, CustomerForm)
        else customer_source,
        lines=lines.line_inputs(),
        terms=terms.update_kwargs(),
        actor=request.user,
        qualify="qualify" in request.POST,
    )
    if order.source == Source.ADMIN:
        messages.success(
            request,
            _("Order %(number)s created and given to %(user)s.")
            % {"number": order.number, "user": person(order.manager)},
        )
        return redirect(order)
    if "qualify" not in request.POST:
        messages.success(request, _("Order %(number)s created.") % {"number": order.number})
        return redirect(order)
    if refused is not None:
        messages.warning(request, str(SAVED_NOT_QUALIFIED))
        return redirect(reverse("orders:edit", args=[order.number]) + "?check=1")
    messages.success(request, _("Order %(number)s is qualified.") % {"number": order.number})
    return redirect(order)


@login_required
@require_GET
def customer_search(request: WorkspaceRequest) -> HttpResponse:
    """The best few clients for a name, phone or e-mail, for the new-order form (htmx):
    one ranked query, however many clients match."""
    if not request.user.has_perm("orders.view_customer"):
        raise PermissionDenied
    q = request.GET.get("q", "").strip()
    found: list = []
    if len(q) >= 2:
        found = customers_ranked(q).customers
    return render(request, "orders/partials/customer_results.html", {"found": found, "q": q})
