"""Tasks: what a person has to do for an order, by a deadline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.texts import Msg, msg_text
from orders.models.common import Department
from orders.models.lines import OrderLine
from orders.models.order import Order


class TaskKind(models.TextChoices):
    TAKE_INTO_WORK = "take_into_work", _("Take into work")
    PRODUCE_LINE = "produce_line", _("Produce line")
    DELIVER = "deliver", _("Deliver")
    CUSTOM = "custom", _("Custom")


class TaskStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("task status", "Open")
    IN_PROGRESS = "in_progress", pgettext_lazy("task status", "In progress")
    DONE = "done", pgettext_lazy("task status", "Done")
    CANCELLED = "cancelled", pgettext_lazy("task status", "Cancelled")
    # An operation of a routing whose previous operation is not done yet: planned by the
    # schedule, not yet anybody's to do.
    WAITING = "waiting", pgettext_lazy("task status", "Waiting for the previous operation")


OPEN_TASK_STATUSES = [TaskStatus.OPEN, TaskStatus.IN_PROGRESS]
# What the production schedule plans: open operations and those waiting for their turn.
UNFINISHED_TASK_STATUSES = [TaskStatus.OPEN, TaskStatus.IN_PROGRESS, TaskStatus.WAITING]


class TaskQuerySet(models.QuerySet):
    def open(self) -> TaskQuerySet:
        return self.filter(status__in=OPEN_TASK_STATUSES)


class Task(models.Model):
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("order")
    )
    line = models.ForeignKey(
        OrderLine,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("line"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TaskKind.choices)
    title = models.CharField(_("title"), max_length=255)
    # A title the system wrote, as message and arguments (orders.texts.Msg): each reader
    # sees it in their own language. Empty for a title a person typed.
    title_msg = models.JSONField(
        default=dict, blank=True, editable=False, verbose_name=_("title message")
    )
    department = models.CharField(_("department"), max_length=16, choices=Department.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("assignee"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    due_at = models.DateTimeField(_("deadline"))
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("completed by"),
    )
    # A production task that is one operation of its product's routing: which one, where,
    # its place in the line's sequence (1, 2, …; 0 for a line made in one task) and its
    # standard minutes (set-up plus per unit × quantity).
    operation = models.ForeignKey(
        "production.Operation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("operation"),
    )
    work_centre = models.ForeignKey(
        "production.WorkCentre",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("work centre"),
    )
    step = models.PositiveSmallIntegerField(_("step"), default=0)
    planned_minutes = models.PositiveIntegerField(_("standard minutes"), default=0)
    # The production schedule's plan (production.planning), rewritten on every run.
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_finish = models.DateTimeField(_("planned finish"), null=True, blank=True)
    # The shop floor's timer: seconds worked in finished spells, and when the running
    # spell began (null while paused or not started).
    worked_seconds = models.PositiveIntegerField(_("seconds worked"), default=0)
    timer_started_at = models.DateTimeField(_("timer started"), null=True, blank=True)
    # Claimed with a conditional UPDATE by the deadline job so each goes out once.
    reminded_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reminded at"))
    overdue_notified_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("overdue notified at")
    )

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_at", "id"]
        permissions = [("reassign_task", _("Can reassign tasks"))]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="task_open_due_idx",
                condition=Q(status__in=["open", "in_progress"]),
            ),
            models.Index(
                fields=["assignee", "due_at"],
                name="task_open_assignee_idx",
                condition=Q(status__in=["open", "in_progress"]),
            ),
            # The delivery list and the production board read open tasks of one kind or
            # department, soonest due first, a page at a time.
            models.Index(
                fields=["kind", "due_at", "id"],
                name="task_open_kind_idx",
                condition=Q(status__in=["open", "in_progress"]),
            ),
            models.Index(
                fields=["department", "due_at", "id"],
                name="task_open_department_idx",
                condition=Q(status__in=["open", "in_progress"]),
            ),
            # The schedule's input and the load view: unfinished operations per work centre.
            models.Index(
                fields=["work_centre", "planned_start", "id"],
                name="task_planned_idx",
                condition=Q(status__in=["open", "in_progress", "waiting"]),
            ),
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return msg_text(self.title, {"msg": self.title_msg})

    @property
    def title_text(self):
        """The title as a message argument: a Msg when the system wrote it."""
        return Msg.from_data(self.title_msg) if self.title_msg else self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TASK_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at < timezone.now()

    def get_work_url(self) -> str:
        """Where the task is done: a shipment is recorded on the deliveries page (date and
        tracking number), everything else from the order's page."""
        if self.kind == TaskKind.DELIVER:
            return reverse("logistics:deliveries") + f"?task={self.pk}#task-{self.pk}"
        return reverse("orders:detail", args=[self.order.number])
