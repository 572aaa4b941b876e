"""The company's roles as Django groups (created by a migration)."""

from django.utils.translation import gettext_lazy as _

SALES_MANAGERS = "Sales managers"
HEAD_OF_SALES = "Head of sales"
PRODUCTION = "Production"
HEAD_OF_PRODUCTION = "Head of production"
LOGISTICS = "Logistics"
ACCOUNTANTS = "Accountants"
ADMINS = "Admins"

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
    LOGISTICS: ["orders.view_task", "orders.change_task", "logistics.view_carrier"],
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
