"""The company's roles as Django groups (created by a migration)."""

from django.utils.translation import gettext_lazy as _

SALES_MANAGERS = "Sales managers"
HEAD_OF_SALES = "Head of sales"
PRODUCTION = "Production"
HEAD_OF_PRODUCTION = "Head of production"
LOGISTICS = "Logistics"
ACCOUNTANTS = "Accountants"
ADMINS = "Admins"

# Who answers for a department's work when it is late or nobody can take it. Logistics and
# accounting have no head of their own among the roles: the head of sales, who owns the
# promise made to the client, answers for them. (Keys are orders.models.Department values.)
DEPARTMENT_HEADS = {
    "sales": HEAD_OF_SALES,
    "production": HEAD_OF_PRODUCTION,
    "logistics": HEAD_OF_SALES,
    "accounting": HEAD_OF_SALES,
}

ROLE_LABELS = {
    SALES_MANAGERS: _("Sales manager"),
    HEAD_OF_SALES: _("Head of sales"),
    PRODUCTION: _("Production"),
    HEAD_OF_PRODUCTION: _("Head of production"),
    LOGISTICS: _("Logistics"),
    ACCOUNTANTS: _("Accountant"),
    ADMINS: _("Admin"),
}

# Group → permissions ("app_label.codename"). Admins are superusers-in-practice via all perms.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    SALES_MANAGERS: [
        "orders.view_order",
        "orders.add_order",
        "orders.change_order",
        "orders.view_money",
        "orders.view_customer",
        "orders.add_customer",
        "orders.change_customer",
        "orders.view_task",
        "orders.change_task",
        "production.view_product",
        "invoices.view_invoice",
        "invoices.view_payment",
        "invoices.register_payment",
    ],
    HEAD_OF_SALES: [
        "orders.view_order",
        "orders.add_order",
        "orders.change_order",
        "orders.view_money",
        "orders.view_all_orders",
        "orders.view_customer",
        "orders.add_customer",
        "orders.change_customer",
        "orders.view_task",
        "orders.change_task",
        "orders.reassign_task",
        "production.view_product",
        "invoices.view_invoice",
        "invoices.view_payment",
        "invoices.register_payment",
    ],
    PRODUCTION: ["orders.view_task", "orders.change_task", "production.view_product"],
    HEAD_OF_PRODUCTION: [
        "orders.view_task",
        "orders.change_task",
        "orders.reassign_task",
        "production.view_product",
        "production.change_product",
        "production.view_material",
    ],
    LOGISTICS: [
        "orders.view_task",
        "orders.change_task",
        "logistics.view_carrier",
        "logistics.add_carrier",
        "logistics.change_carrier",
    ],
    ACCOUNTANTS: [
        "orders.view_order",
        "orders.view_all_orders",
        "orders.view_money",
        "orders.view_customer",
        "invoices.view_invoice",
        "invoices.view_payment",
        "invoices.register_payment",
    ],
}


SLA_HOURS = {"take_into_work": "2", "produce_line": "24", "deliver": "8", "custom": "8"}
STAGE_LIMIT_HOURS = {
    "new": "4",
    "qualification": "16",
    "prepayment": "40",
    "production": "120",
    "postpayment": "40",
    "delivery_details": "8",
    "delivery": "24",
}


def install(apps) -> None:
    """Create the groups with their permissions and the default calendar, SLAs and stage
    limits. Idempotent; run by a migration (and by tests after a database flush)."""
    from decimal import Decimal

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, perms in ROLE_PERMISSIONS.items():
        group, _created = group_model.objects.get_or_create(name=name)
        for dotted in perms:
            app_label, codename = dotted.split(".")
            group.permissions.add(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )
    admins, _created = group_model.objects.get_or_create(name=ADMINS)
    admins.permissions.set(permission_model.objects.all())

    apps.get_model("orders", "WorkingCalendar").objects.get_or_create(pk=1)
    sla_model = apps.get_model("orders", "TaskSLA")
    for kind, hours in SLA_HOURS.items():
        sla_model.objects.get_or_create(kind=kind, defaults={"working_hours": Decimal(hours)})
    limit_model = apps.get_model("orders", "StageLimit")
    for stage, hours in STAGE_LIMIT_HOURS.items():
        limit_model.objects.get_or_create(stage=stage, defaults={"working_hours": Decimal(hours)})
