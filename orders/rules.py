"""The funnel's guards: exact messages the user sees, and pure checks that produce them."""

from __future__ import annotations

import datetime as dt

from django.utils import formats, timezone
from django.utils.translation import gettext_lazy

from core.money import money
from orders.models import DeliveryMethod, Order, PaymentScheme

NO_LINES = gettext_lazy("Add at least one line to the order.")
TOTAL_NOT_POSITIVE = gettext_lazy("The order total must be more than 0.")
SCHEME_MISSING = gettext_lazy("Choose the payment scheme.")
PARTIAL_PREPAYMENT_OUT_OF_RANGE = gettext_lazy(
    "With partial prepayment the prepayment must be more than 0 and less than the order "
    "total (%(total)s)."
)
DELIVERY_COST_MISSING = gettext_lazy(
    "Fill in the delivery cost: it is required unless the client picks the order up."
)
DELIVERY_ADDRESS_MISSING = gettext_lazy("Fill in the delivery address.")
CARRIER_MISSING = gettext_lazy("Choose the carrier.")
SHIP_DATE_MISSING = gettext_lazy("Fill in the planned shipping date.")
PICKUP_DATE_MISSING = gettext_lazy("Fill in the pickup date.")
PREPAYMENT_NOT_PAID = gettext_lazy(
    "The prepayment is not paid yet: %(paid)s of %(required)s received."
)
BALANCE_NOT_PAID = gettext_lazy("The order is not paid in full: %(balance)s is still due.")
LINES_NOT_MADE = gettext_lazy("Production is not finished: %(made)s of %(count)s lines made.")
REASON_MISSING = gettext_lazy("Give the reason for cancelling the order.")
WRONG_STAGE = gettext_lazy(
    "Order %(number)s is in the “%(stage)s” stage; this cannot be done there."
)
LINES_LOCKED = gettext_lazy(
    "Lines and terms can be changed only while the order is new or in qualification."
)
TASK_NOT_OPEN = gettext_lazy("This task is already %(status)s.")
NOT_IN_DEPARTMENT = gettext_lazy("%(user)s does not work in %(department)s.")
NOT_A_MANAGER = gettext_lazy("%(user)s is not an active sales manager.")
NO_ASSIGNEE_FOR = gettext_lazy(
    "Nobody in %(department)s is present to take “%(title)s” (order %(number)s): assign it."
)
PRODUCT_INACTIVE = gettext_lazy("Product %(sku)s is no longer sold.")
QUANTITY_NOT_POSITIVE = gettext_lazy("The quantity must be more than 0.")
DISCOUNT_TOO_BIG = gettext_lazy("The discount cannot exceed the line amount.")
PROMISE_MISSING = gettext_lazy(
    "Promise the client a date: accept the proposed one or set a later one."
)
PROMISE_PASSED = gettext_lazy("The promised date %(date)s has passed: promise a new one.")
PROMISE_TOO_EARLY = gettext_lazy(
    "The order cannot be ready before %(date)s: promise that date or a later one."
)


class OrderError(Exception):
    """A refused action on an order, with the message(s) to show.

    `errors` maps a form field (or "__all__") to its messages so a page can list every
    problem next to its field at once."""

    def __init__(self, message: str | None = None, *, errors: dict[str, list[str]] | None = None):
        self.errors = errors or {"__all__": [str(message)]}
        self.message = (
            str(message)
            if message
            else "; ".join(m for messages in self.errors.values() for m in messages)
        )
        super().__init__(self.message)


def person(user, nobody: str = "—") -> str:
    """How a member of staff is named on pages and in messages."""
    if user is None:
        return nobody
    return user.get_full_name() or user.get_username()


def wrong_stage(order: Order) -> OrderError:
    return OrderError(
        str(WRONG_STAGE) % {"number": order.number, "stage": order.get_stage_display()}
    )


def qualification_problems(order: Order) -> dict[str, list[str]]:
    """Everything missing before the order can leave qualification, per field."""
    problems: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    if order.lines_count == 0:
        add("lines", str(NO_LINES))
    elif order.total_amount <= 0:
        add("lines", str(TOTAL_NOT_POSITIVE))
    if not order.payment_scheme:
        add("payment_scheme", str(SCHEME_MISSING))
    elif order.payment_scheme == PaymentScheme.PARTIAL_PREPAYMENT and not (
        0 < order.prepayment_amount < order.total_amount
    ):
        add(
            "prepayment_amount",
            str(PARTIAL_PREPAYMENT_OUT_OF_RANGE) % {"total": money(order.total_amount)},
        )
    if order.delivery_method != DeliveryMethod.PICKUP:
        if order.delivery_cost is None:
            add("delivery_cost", str(DELIVERY_COST_MISSING))
        if not order.delivery_address.strip():
            add("delivery_address", str(DELIVERY_ADDRESS_MISSING))
    if order.promised_date is None:
        add("promised_date", str(PROMISE_MISSING))
    elif order.promised_date < timezone.localdate():
        add("promised_date", str(PROMISE_PASSED) % {"date": day(order.promised_date)})
    return problems


def day(value: dt.date) -> str:
    """A date as the reader's locale writes it in a sentence: "28 мая", with the year when
    it is not this one ("12 января 2027")."""
    same_year = value.year == timezone.localdate().year
    return formats.date_format(value, "j E" if same_year else "j E Y")


def delivery_details_problems(order: Order) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if order.delivery_method == DeliveryMethod.PICKUP:
        if order.pickup_date is None:
            problems["pickup_date"] = [str(PICKUP_DATE_MISSING)]
        return problems
    if order.delivery_method == DeliveryMethod.CARRIER and order.carrier_id is None:
        problems["carrier"] = [str(CARRIER_MISSING)]
    if not order.delivery_address.strip():
        problems["delivery_address"] = [str(DELIVERY_ADDRESS_MISSING)]
    if order.planned_ship_date is None:
        problems["planned_ship_date"] = [str(SHIP_DATE_MISSING)]
    if order.delivery_cost is None:
        problems["delivery_cost"] = [str(DELIVERY_COST_MISSING)]
    return problems
