"""Django admin for who is at work and the working time deadlines count in: the
calendar, holidays, task SLAs and stage limits."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from orders.models import Holiday, StaffProfile, StageLimit, TaskSLA, WorkingCalendar


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["__str__", "is_present", "last_assigned_at"]
    list_filter = ["is_present"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]


@admin.register(WorkingCalendar)
class WorkingCalendarAdmin(admin.ModelAdmin):
    list_display = ["__str__", "day_start", "day_end"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not WorkingCalendar.objects.exists()


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "name", "is_working_day"]
    date_hierarchy = "date"


@admin.register(TaskSLA)
class TaskSLAAdmin(admin.ModelAdmin):
    list_display = ["kind", "working_hours"]


@admin.register(StageLimit)
class StageLimitAdmin(admin.ModelAdmin):
    list_display = ["stage", "working_hours"]
