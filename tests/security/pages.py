"""The main pages, each with a person allowed to see it, over one small set of orders:
what the CSP tests open with Django's client and with Chromium."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User

from orders.models import PaymentScheme, TaskKind
from pipeline.work import task_complete
from tests import factories
from tests.conftest import make_user


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    username: str | None  # None: opened without signing in


def main_pages(
    *,
    manager: User,
    head_of_sales: User,
    head_of_production: User,
    accountant: User,
    staff: dict[str, User],
    catalogue: dict,
) -> list[Page]:
    worker, logistics = staff["production"], staff["logistics"]
    make_user("root", is_staff=True, is_superuser=True)

    qualifying = factories.take(
        factories.new_order([(catalogue["table"], 1)], manager=manager), manager
    )
    making = factories.order_in_production(
        manager=manager, catalogue=catalogue, scheme=PaymentScheme.FULL_PREPAYMENT
    )
    made = factories.order_in_production(
        manager=manager, catalogue=catalogue, scheme=PaymentScheme.FULL_PREPAYMENT
    )
    for task in factories.production_tasks(made):
        task_complete(task=task, actor=task.assignee or worker)
    task = making.tasks.filter(kind=TaskKind.PRODUCE_LINE).first()
    invoice = making.invoices.get()
    return [
        Page("sign-in", "/login/", None),
        Page("client's invoice", invoice.public_url.replace("http://testserver", ""), None),
        Page("admin sign-in", "/admin/login/", None),
        Page("API docs", "/api/docs", None),
        Page("board", "/board/", manager.username),
        Page("order", making.get_absolute_url(), manager.username),
        Page("new order", "/orders/new/", manager.username),
        Page("qualification", f"/orders/{qualifying.number}/edit/", manager.username),
        Page("my tasks", "/tasks/", manager.username),
        Page("notifications", "/notifications/", manager.username),
        Page("password", "/account/password/", manager.username),
        Page("shop floor", "/production/", worker.username),
        Page("production task", f"/production/tasks/{task.pk}/", worker.username),
        Page("production board", "/production/board/", head_of_production.username),
        Page("deliveries", "/logistics/", logistics.username),
        Page("delivery details", f"/logistics/orders/{made.number}/details/", manager.username),
        Page("carriers", "/logistics/carriers/", logistics.username),
        Page("new carrier", "/logistics/carriers/new/", logistics.username),
        Page("receivables", "/invoices/", accountant.username),
        Page("payments journal", "/invoices/payments/", accountant.username),
        Page("margin report", "/production/margin/", head_of_sales.username),
        Page("admin", "/admin/", "root"),
        Page("admin orders", "/admin/orders/order/", "root"),
        Page("admin order", f"/admin/orders/order/{making.pk}/change/", "root"),
        Page("admin invoice", f"/admin/invoices/invoice/{invoice.pk}/change/", "root"),
        Page("admin order cancel", f"/admin/orders/order/{making.pk}/cancel/", "root"),
        Page("admin sign-in lockouts", "/admin/axes/accessattempt/", "root"),
    ]
