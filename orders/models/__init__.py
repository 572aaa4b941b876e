"""Orders' models, one module per subject. Every model and choice is imported here: Django
finds the models through this package, and the rest of the project imports them from
`orders.models`."""

from orders.models.api_keys import ApiKey, ApiScope
from orders.models.board import BoardCounter, ClosedDayCounter
from orders.models.common import CENT, ZERO, Department, money_field
from orders.models.customers import Customer
from orders.models.lines import LineStatus, OrderLine
from orders.models.order import (
    CLOSED_STAGES,
    OPEN_STAGES,
    DeliveryMethod,
    Order,
    OrderQuerySet,
    PaymentScheme,
    Source,
    Stage,
    YearCounter,
)
from orders.models.staff import Notification, StaffProfile
from orders.models.tasks import (
    OPEN_TASK_STATUSES,
    UNFINISHED_TASK_STATUSES,
    Task,
    TaskKind,
    TaskQuerySet,
    TaskStatus,
)
from orders.models.timeline import EventKind, NotificationStatus, TimelineEvent
from orders.models.work import Work
from orders.models.working_time import Holiday, StageLimit, TaskSLA, WorkingCalendar

__all__ = [
    "CENT",
    "CLOSED_STAGES",
    "OPEN_STAGES",
    "OPEN_TASK_STATUSES",
    "UNFINISHED_TASK_STATUSES",
    "ZERO",
    "ApiKey",
    "ApiScope",
    "BoardCounter",
    "ClosedDayCounter",
    "Customer",
    "DeliveryMethod",
    "Department",
    "EventKind",
    "Holiday",
    "LineStatus",
    "Notification",
    "NotificationStatus",
    "Order",
    "OrderLine",
    "OrderQuerySet",
    "PaymentScheme",
    "Source",
    "StaffProfile",
    "Stage",
    "StageLimit",
    "Task",
    "TaskKind",
    "TaskQuerySet",
    "TaskSLA",
    "TaskStatus",
    "TimelineEvent",
    "Work",
    "WorkingCalendar",
    "YearCounter",
    "money_field",
]

# A stored message names each choice in it by module and name (core.texts), and rows
# written before this package was split say "orders.models.Stage". New rows say the same,
# whichever module defines the choice now, so moving one later orphans no row.
for _choices in (
    ApiScope,
    Department,
    DeliveryMethod,
    EventKind,
    LineStatus,
    NotificationStatus,
    PaymentScheme,
    Source,
    Stage,
    TaskKind,
    TaskStatus,
):
    _choices.__module__ = __name__
