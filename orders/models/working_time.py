"""Working time: the calendar, holidays, and the deadlines counted in it (task SLAs,
stage limits)."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from orders.models.order import Stage
from orders.models.tasks import TaskKind


class WorkingCalendar(models.Model):
    """The company's working hours; one row, edited in admin."""

    day_start = models.TimeField(_("working day starts"), default=dt.time(9, 0))
    day_end = models.TimeField(_("working day ends"), default=dt.time(18, 0))
    monday = models.BooleanField(_("Monday"), default=True)
    tuesday = models.BooleanField(_("Tuesday"), default=True)
    wednesday = models.BooleanField(_("Wednesday"), default=True)
    thursday = models.BooleanField(_("Thursday"), default=True)
    friday = models.BooleanField(_("Friday"), default=True)
    saturday = models.BooleanField(_("Saturday"), default=False)
    sunday = models.BooleanField(_("Sunday"), default=False)

    class Meta:
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendar")

    def __str__(self) -> str:
        return str(_("Working calendar"))

    @classmethod
    def load(cls) -> WorkingCalendar:
        calendar, _created = cls.objects.get_or_create(pk=1)
        return calendar

    @property
    def weekdays(self) -> set[int]:
        flags = [
            self.monday,
            self.tuesday,
            self.wednesday,
            self.thursday,
            self.friday,
            self.saturday,
            self.sunday,
        ]
        return {day for day, on in enumerate(flags) if on}


class Holiday(models.Model):
    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    is_working_day = models.BooleanField(
        _("working day"),
        default=False,
        help_text=_("Tick for a weekend day that is worked (a moved working day)."),
    )

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class TaskSLA(models.Model):
    kind = models.CharField(_("task kind"), max_length=20, choices=TaskKind.choices, unique=True)
    working_hours = models.DecimalField(_("working hours"), max_digits=6, decimal_places=2)

    class Meta:
        verbose_name = _("task deadline (SLA)")
        verbose_name_plural = _("task deadlines (SLA)")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.working_hours} h"


class StageLimit(models.Model):
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, unique=True)
    working_hours = models.DecimalField(_("working hours"), max_digits=7, decimal_places=2)

    class Meta:
        verbose_name = _("stage time limit")
        verbose_name_plural = _("stage time limits")

    def __str__(self) -> str:
        return f"{self.get_stage_display()}: {self.working_hours} h"
