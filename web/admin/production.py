from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from production.models import (
    BillOfMaterialsItem,
    CapacityException,
    LineCost,
    Material,
    Operation,
    Product,
    Team,
    WorkCentre,
    WorkCentreLoad,
)
from production.planning import schedule_request
from web.admin.big import BigListAdmin
from web.admin.read_only import ReadOnlyAdmin

# A work centre of many people or machines on long shifts, at most (the database's check).
MAX_HOURS = Decimal(24 * 50)
HOURS_OUT_OF_RANGE = _("Enter a number of hours from 0 to %(max)s.")
# Capacity exceptions far from today are typing mistakes (2205 for 2025).
FIRST_DATE = dt.date(2000, 1, 1)
LAST_DATE = dt.date(2100, 12, 31)
DATE_OUT_OF_RANGE = _("Enter a date between %(first)s and %(last)s.")
# An operation's standard time, a whole month of minutes at most.
MAX_MINUTES = 60 * 24 * 31
MINUTES_OUT_OF_RANGE = _("Enter a number of minutes from 0 to %(max)s.")
MAX_POSITION = 999
POSITION_OUT_OF_RANGE = _("Enter a position from 1 to %(max)s.")
POSITION_TWICE = _("Each operation needs a position of its own: %(position)s is used twice.")


def _hours(value: Decimal | None) -> Decimal | None:
    if value is not None and not (0 <= value <= MAX_HOURS):
        raise ValidationError(HOURS_OUT_OF_RANGE, params={"max": MAX_HOURS})
    return value


def _minutes(value: Decimal | int | None) -> Decimal | int | None:
    if value is not None and not (0 <= value <= MAX_MINUTES):
        raise ValidationError(MINUTES_OUT_OF_RANGE, params={"max": MAX_MINUTES})
    return value


class WorkCentreForm(forms.ModelForm):
    class Meta:
        model = WorkCentre
        fields = ["name", "hours_per_day", "members"]

    def clean_hours_per_day(self) -> Decimal | None:
        return _hours(self.cleaned_data.get("hours_per_day"))


class CapacityExceptionForm(forms.ModelForm):
    class Meta:
        model = CapacityException
        fields = ["work_centre", "date", "hours", "reason"]

    def clean_hours(self) -> Decimal | None:
        return _hours(self.cleaned_data.get("hours"))

    def clean_date(self) -> dt.date | None:
        date = self.cleaned_data.get("date")
        if date is not None and not (FIRST_DATE <= date <= LAST_DATE):
            raise ValidationError(
                DATE_OUT_OF_RANGE, params={"first": FIRST_DATE.year, "last": LAST_DATE.year}
            )
        return date


class CapacityExceptionInline(admin.TabularInline):
    model = CapacityException
    form = CapacityExceptionForm
    fields = ["date", "hours", "reason"]
    extra = 1


@admin.register(WorkCentre)
class WorkCentreAdmin(admin.ModelAdmin):
    """Saving a centre, its people or its exceptions changes what the schedule can plan."""

    form = WorkCentreForm
    list_display = ["name", "hours_per_day", "people"]
    search_fields = ["name"]
    filter_horizontal = ["members"]
    inlines = [CapacityExceptionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[WorkCentre]:
        return super().get_queryset(request).annotate(people_count=Count("members"))

    @admin.display(description=_("people"), ordering="people_count")
    def people(self, centre: WorkCentre) -> int:
        return centre.people_count  # type: ignore[attr-defined]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        schedule_request()

    def delete_model(self, request: HttpRequest, obj: WorkCentre) -> None:
        super().delete_model(request, obj)
        schedule_request()


@admin.register(CapacityException)
class CapacityExceptionAdmin(admin.ModelAdmin):
    form = CapacityExceptionForm
    list_display = ["date", "work_centre", "hours", "reason"]
    list_filter = ["work_centre"]
    list_select_related = ["work_centre"]
    date_hierarchy = "date"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        schedule_request()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        schedule_request()


class BillOfMaterialsInline(admin.TabularInline):
    model = BillOfMaterialsItem
    extra = 1
    autocomplete_fields = ["material"]


class OperationForm(forms.ModelForm):
    class Meta:
        model = Operation
        fields = ["position", "name", "work_centre", "minutes_per_unit", "setup_minutes"]

    def clean_position(self) -> int | None:
        position = self.cleaned_data.get("position")
        if position is not None and not (1 <= position <= MAX_POSITION):
            raise ValidationError(POSITION_OUT_OF_RANGE, params={"max": MAX_POSITION})
        return position

    def clean_minutes_per_unit(self) -> Decimal | int | None:
        return _minutes(self.cleaned_data.get("minutes_per_unit"))

    def clean_setup_minutes(self) -> Decimal | int | None:
        return _minutes(self.cleaned_data.get("setup_minutes"))


class OperationFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        """Before the formset's own unique check, so the row at fault says why."""
        seen: set[int] = set()
        for form in self.forms:
            if not form.has_changed() and not form.instance.pk:
                continue
            if form.cleaned_data.get("DELETE"):
                continue
            position = form.cleaned_data.get("position")
            if position is None:
                continue
            if position in seen:
                form.add_error("position", POSITION_TWICE % {"position": position})
            seen.add(position)
        super().clean()

    def save_existing_objects(self, commit: bool = True) -> list[Any]:
        """Operations swapping positions (1 and 2) would meet on the unique position while
        saved one by one: those moving are parked past every position a form allows."""
        if commit:
            for parked, form in enumerate(self.initial_forms, start=MAX_POSITION + 1):
                if "position" in form.changed_data and form.instance.pk is not None:
                    Operation.objects.filter(pk=form.instance.pk).update(position=parked)
        return super().save_existing_objects(commit)


class OperationInline(admin.TabularInline):
    """The product's routing: a line of it is made in one task per operation, in order."""

    model = Operation
    form = OperationForm
    formset = OperationFormSet
    extra = 1
    ordering = ["position", "id"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "unit", "price", "lead_time_days", "team", "is_active"]
    list_filter = ["is_active", "team"]
    search_fields = ["sku", "name"]
    inlines = [BillOfMaterialsInline, OperationInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if any(formset.model is Operation and formset.has_changed() for formset in formsets):
            schedule_request()


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "unit_cost"]
    search_fields = ["name"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    filter_horizontal = ["members"]


@admin.register(LineCost)
class LineCostAdmin(BigListAdmin):
    list_display = [
        "line",
        "materials_cost",
        "labour_minutes",
        "total",
        "recorded_by",
        "recorded_at",
    ]
    list_select_related = ["line__order", "recorded_by"]
    search_fields = ["line__order__number", "line__sku"]
    raw_id_fields = ["line"]


@admin.register(WorkCentreLoad)
class WorkCentreLoadAdmin(ReadOnlyAdmin):
    """The schedule's result, rewritten on every run: to read, not to edit."""

    list_display = ["day", "work_centre", "capacity_hours", "planned_hours"]
    list_filter = ["work_centre"]
    list_select_related = ["work_centre"]
