"""Staff are named in the admin as on the workspace's pages: by their full name
(orders.rules.person), not by the username they log in with."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model

from orders.rules import person


def staff_by_name(field: forms.ModelChoiceField | None) -> forms.ModelChoiceField | None:
    """A select of users lists them by full name."""
    if field is not None and getattr(field.queryset, "model", None) is get_user_model():
        field.label_from_instance = person  # type: ignore[assignment]
    return field


class StaffListFilter(admin.RelatedFieldListFilter):
    """A list filter on a member of staff (manager, assignee): the same people Django would
    offer, named and sorted by full name."""

    def field_choices(self, field, request, model_admin) -> list:  # of (pk, full name)
        users = field.related_model._default_manager.complex_filter(field.get_limit_choices_to())
        named = [(str(user.pk), person(user)) for user in users]
        return sorted(named, key=lambda choice: choice[1].casefold())
