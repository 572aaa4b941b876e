"""Django admin for orders. Stage moves are buttons that call the same services as the
workspace, so the guards and the robots apply here too."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import ForeignKey, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from core.phones import phone_for_search
from invoices.models import Invoice, Payment
from orders.models import Customer, Order, OrderLine, Stage, Task, TimelineEvent
from orders.rules import OrderError, person
from orders.services.common import lock_order, order_recalculate
from pipeline.orders import (
    order_cancel,
    order_hand_over,
    order_qualify,
    order_request_delivery_details,
    order_save_delivery_details,
    order_start_production,
    order_take_into_work,
)
from production.summaries import margin_order_deleted
from web.admin.big import BigListAdmin
from web.admin.people import StaffListFilter, staff_by_name
from web.admin.tasks import TimelineColumns
from web.requests import admin_user


@admin.register(Customer)
class CustomerAdmin(BigListAdmin):
    list_display = ["name", "company", "kind", "inn", "email", "phone_shown", "language"]
    search_fields = ["name", "company", "email", "phone", "inn"]
    list_filter = ["kind", "language", "do_not_notify"]
    # The requisites are checked by Customer.clean (the rule the qualification form and the
    # API use), each refusal under its field; an INN already on file is refused.
    fieldsets = [
        (None, {"fields": ["name", "email", "phone", "language", "do_not_notify", "notes"]}),
        (
            _("Requisites"),
            {
                "fields": ["kind", "company", "inn", "kpp", "ogrn", "legal_address"],
                "description": _(
                    "For a sole trader or a company: printed on its invoices and closing "
                    "documents. A sole trader has a 12-digit INN, a company a 10-digit INN "
                    "and a KPP."
                ),
            },
        ),
        (_("Bank details"), {"fields": ["bank_name", "bik", "account", "correspondent_account"]}),
    ]

    @admin.display(description=_("phone"), ordering="phone")
    def phone_shown(self, customer: Customer) -> str:
        return customer.phone_display

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Customer], search_term: str
    ) -> tuple[QuerySet[Customer], bool]:
        # Phones are stored in E.164: a whole phone typed any way ("8 900 …") finds them too.
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        phone = phone_for_search(search_term)
        if phone:
            found |= queryset.filter(phone=phone)
        return found, may_have_duplicates


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    fields = [
        "product",
        "name",
        "price",
        "quantity",
        "discount",
        "unit_cost",
        "actual_cost",
        "status",
    ]
    readonly_fields = ["unit_cost", "status"]
    autocomplete_fields = ["product"]

    def has_change_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        editable = obj is None or obj.stage in (Stage.NEW, Stage.QUALIFICATION)
        return editable and super().has_change_permission(request, obj)

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


class TaskInline(admin.TabularInline):
    model = Task
    extra = 0
    fields = ["title_shown", "kind", "assignee", "status", "due_at", "completed_at"]
    readonly_fields = ["title_shown", "kind", "status", "due_at", "completed_at"]
    can_delete = False
    show_change_link = True

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        field = staff_by_name(super().formfield_for_foreignkey(db_field, request, **kwargs))
        if field is not None:
            # A tabular inline names its columns in the header, not each row's select.
            field.widget.attrs["aria-label"] = field.label
        return field

    @admin.display(description=_("title"))
    def title_shown(self, task: Task) -> str:
        return task.display_title

    def has_add_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False


class InvoiceInline(admin.TabularInline):
    model = Invoice
    extra = 0
    fields = ["number", "kind", "amount", "paid_amount", "status", "issued_at"]
    # The stubs type fields wider (groups of names); these are plain names.
    readonly_fields = fields  # type: ignore[assignment]
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    fields = [
        "invoice",
        "amount",
        "source",
        "external_id",
        "paid_at",
        "recorded_by_name",
        "reversal_of",
        "reason",
    ]
    # The stubs type fields wider (groups of names); these are plain names.
    readonly_fields = fields  # type: ignore[assignment]
    can_delete = False

    @admin.display(description=_("recorded by"))
    def recorded_by_name(self, payment: Payment) -> str:
        return person(payment.recorded_by)

    def has_add_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False


class TimelineInline(TimelineColumns, admin.TabularInline):
    model = TimelineEvent
    extra = 0
    fields = [
        "created_at",
        "kind",
        "actor_name",
        "from_stage",
        "to_stage",
        "text_shown",
        "notification_status",
        "sent_to_client_at",
    ]
    # The stubs type fields wider (groups of names); these are plain names.
    readonly_fields = fields  # type: ignore[assignment]
    can_delete = False
    ordering = ["-created_at", "-id"]

    def has_add_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


# Admin button → (label, service call). Each runs the service; a refusal shows its message.
ORDER_ACTIONS = {
    "take_into_work": (
        _("Take into work"),
        lambda o, u: order_take_into_work(order=o, actor=u),
    ),
    "qualify": (_("Qualify"), lambda o, u: order_qualify(order=o, actor=u)),
    "start_production": (
        _("Start production (prepayment received)"),
        lambda o, u: order_start_production(order=o, actor=u),
    ),
    "request_delivery_details": (
        _("Ask for delivery details (paid in full)"),
        lambda o, u: order_request_delivery_details(order=o, actor=u),
    ),
    "save_delivery_details": (_("Save delivery details"), lambda o, u: _save_delivery(o, u)),
}

STAGE_ACTIONS = {
    Stage.NEW: ["take_into_work"],
    Stage.QUALIFICATION: ["qualify"],
    Stage.PREPAYMENT: ["start_production"],
    Stage.POSTPAYMENT: ["request_delivery_details"],
    Stage.DELIVERY_DETAILS: ["save_delivery_details"],
}


def _save_delivery(order: Order, user: User) -> Order:

    return order_save_delivery_details(
        order=order,
        actor=user,
        carrier=order.carrier,
        delivery_address=order.delivery_address,
        planned_ship_date=order.planned_ship_date,
        pickup_date=order.pickup_date,
    )


@admin.register(Order)
class OrderAdmin(BigListAdmin):
    list_display = [
        "number",
        "customer",
        "stage",
        "manager_name",
        "total_amount",
        "paid_amount",
        "created_at",
    ]
    list_filter = [
        "stage",
        "source",
        "payment_scheme",
        "delivery_method",
        ("manager", StaffListFilter),
        # Periods as ranges of the created_at index; a date hierarchy would read every
        # order's year to list the years.
        "created_at",
    ]
    search_fields = [
        "number",
        "external_id",
        "customer__name",
        "customer__email",
        "customer__phone",
    ]
    list_select_related = ["customer", "manager"]
    autocomplete_fields = ["customer"]
    inlines = [OrderLineInline, TaskInline, InvoiceInline, PaymentInline, TimelineInline]
    readonly_fields = [
        "number",
        "stage",
        "source",
        "external_id",
        "stage_changed_at",
        "lines_total",
        "total_amount",
        "paid_amount",
        "cost_amount",
        "lines_count",
        "lines_made",
        "next_due_at",
        "lost_reason",
        "shipped_on",
        "tracking_number",
        "created_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "number",
                    "stage",
                    "stage_changed_at",
                    "customer",
                    "manager",
                    "source",
                    "external_id",
                    "comment",
                    "lost_reason",
                ]
            },
        ),
        (
            _("Payment"),
            {
                "fields": [
                    "payment_scheme",
                    "prepayment_amount",
                    "lines_total",
                    "total_amount",
                    "paid_amount",
                    "cost_amount",
                ]
            },
        ),
        (
            _("Delivery"),
            {
                "fields": [
                    "delivery_method",
                    "delivery_cost",
                    "delivery_address",
                    "carrier",
                    "planned_ship_date",
                    "pickup_date",
                    "shipped_on",
                    "tracking_number",
                ]
            },
        ),
        (_("Progress"), {"fields": ["lines_count", "lines_made", "next_due_at", "created_at"]}),
    ]
    change_form_template = "admin/orders/order/change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        # New orders come through the services (workspace, intake API), which number and
        # assign them; the admin works on existing ones.
        return False

    # Agreed at qualification: the invoices were issued from them. Later changes go
    # through the order's own flow (a cancel, a manual invoice), not a silent edit.
    TERMS = ["payment_scheme", "prepayment_amount", "delivery_method", "delivery_cost"]

    def get_readonly_fields(self, request: HttpRequest, obj: Order | None = None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and (
            not obj.is_open or obj.stage not in (Stage.NEW, Stage.QUALIFICATION)
        ):
            fields += self.TERMS
        if obj is not None and not obj.is_open:
            fields += ["manager", "manager_name"]
        return fields

    def get_fieldsets(self, request: HttpRequest, obj: Order | None = None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or obj.is_open:
            return fieldsets
        # A closed order's manager is shown, not chosen: by name, as on the order page.
        return [
            (
                name,
                {
                    **options,
                    "fields": [
                        "manager_name" if field == "manager" else field
                        for field in options["fields"]
                    ],
                },
            )
            for name, options in fieldsets
        ]

    @admin.display(description=_("manager"), ordering="manager__last_name")
    def manager_name(self, order: Order) -> str:
        return person(order.manager)

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        return staff_by_name(super().formfield_for_foreignkey(db_field, request, **kwargs))

    def save_model(self, request: HttpRequest, obj: Order, form: forms.ModelForm, change):
        """A new manager is a hand-over: the open sales tasks follow and both are told."""
        if change and "manager" in form.changed_data and obj.manager is not None:
            new_manager = obj.manager
            obj.manager_id = form.initial.get("manager")
            super().save_model(request, obj, form, change)
            try:
                order_hand_over(order=obj, manager=new_manager, actor=admin_user(request))
            except OrderError as error:
                self.message_user(request, str(error), level=messages.ERROR)
            obj.refresh_from_db()
            return
        super().save_model(request, obj, form, change)

    def delete_model(self, request: HttpRequest, obj: Order) -> None:
        with transaction.atomic():
            margin_order_deleted(order=obj)  # its made lines leave the margin report
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        with transaction.atomic():
            for order in queryset:
                margin_order_deleted(order=order)
            super().delete_queryset(request, queryset)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets, change):
        with transaction.atomic():
            super().save_related(request, form, formsets, change)
            order_recalculate(lock_order(form.instance))

    def get_urls(self):
        return [
            path(
                "<int:pk>/action/<str:action>/",
                self.admin_site.admin_view(self.run_action),
                name="orders_order_action",
            ),
            path(
                "<int:pk>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="orders_order_cancel",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, object_id)
        actions = []
        if order is not None:
            actions = [
                (name, ORDER_ACTIONS[name][0]) for name in STAGE_ACTIONS.get(order.stage, [])
            ]
        extra_context = {
            **(extra_context or {}),
            "stage_actions": actions,
            "can_cancel": order is not None and order.is_open,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _back(self, pk: int) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:orders_order_change", args=[pk]))

    def run_action(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        order = get_object_or_404(Order, pk=pk)
        if request.method != "POST" or action not in ORDER_ACTIONS:
            return self._back(pk)
        if not self.has_change_permission(request, order):
            return HttpResponse(status=403)
        try:
            ORDER_ACTIONS[action][1](order, admin_user(request))
        except OrderError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, _("Done: %(action)s") % {"action": ORDER_ACTIONS[action][0]})
        return self._back(pk)

    def cancel_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = get_object_or_404(Order, pk=pk)
        if not self.has_change_permission(request, order):
            return HttpResponse(status=403)
        form = CancelForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                order_cancel(
                    order=order, actor=admin_user(request), reason=form.cleaned_data["reason"]
                )
            except OrderError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, _("Order cancelled."))
            return self._back(pk)
        return render(
            request,
            "admin/orders/order/cancel.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "order": order,
                "opts": self.model._meta,
                "title": _("Cancel order %(number)s") % {"number": order.number},
            },
        )
