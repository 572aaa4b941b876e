"""Django admin for tasks, the orders' timeline and staff notifications."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from orders.models import Notification, Task, TimelineEvent
from orders.rules import OrderError, person
from pipeline.work import task_complete
from web.admin.big import BigListAdmin
from web.admin.people import StaffListFilter
from web.requests import admin_user


@admin.register(Task)
class TaskAdmin(BigListAdmin):
    list_display = [
        "title_shown",
        "order",
        "kind",
        "department",
        "assignee_name",
        "status",
        "work_centre",
        "due_at",
        "planned_finish",
    ]
    list_filter = [
        "status",
        "kind",
        "department",
        "work_centre",
        ("assignee", StaffListFilter),
    ]
    search_fields = ["title", "order__number"]
    list_select_related = ["order", "assignee", "work_centre"]
    raw_id_fields = ["order", "line"]
    readonly_fields = [
        "status",
        # The routing's: set when production starts, planned by the schedule.
        "operation",
        "work_centre",
        "step",
        "planned_minutes",
        "planned_start",
        "planned_finish",
        "completed_at",
        "completed_by",
        "reminded_at",
        "overdue_notified_at",
        "started_at",
    ]
    actions = ["complete_tasks"]

    @admin.display(description=_("title"), ordering="title")
    def title_shown(self, task: Task) -> str:
        return task.display_title

    @admin.display(description=_("assignee"), ordering="assignee__last_name")
    def assignee_name(self, task: Task) -> str:
        return person(task.assignee)

    @admin.action(description=_("Complete the selected tasks"))
    def complete_tasks(self, request: HttpRequest, queryset) -> None:
        done = 0
        for task in queryset:
            try:
                task_complete(task=task, actor=admin_user(request))
                done += 1
            except OrderError as exc:
                self.message_user(request, f"{task}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, _("%(n)s tasks completed.") % {"n": done})


class TimelineColumns:
    """A timeline entry's actor by name and its text in the reader's language (people's
    own words as they wrote them): its list and the order's inline show both."""

    @admin.display(description=_("actor"))
    def actor_name(self, event: TimelineEvent) -> str:
        return person(event.actor)

    @admin.display(description=_("text"))
    def text_shown(self, event: TimelineEvent) -> str:
        return event.display_text


@admin.register(TimelineEvent)
class TimelineEventAdmin(TimelineColumns, BigListAdmin):
    list_display = [
        "created_at",
        "order",
        "kind",
        "actor_name",
        "text_shown",
        "notification_status",
    ]
    list_filter = ["kind", "notification_status"]
    search_fields = ["order__number", "text"]
    list_select_related = ["order", "actor"]
    raw_id_fields = ["order"]


@admin.register(Notification)
class NotificationAdmin(BigListAdmin):
    list_display = ["created_at", "user_name", "text", "read_at"]
    list_filter = ["read_at"]
    raw_id_fields = ["order", "user"]

    @admin.display(description=_("user"))
    def user_name(self, notification: Notification) -> str:
        return person(notification.user)
