"""Staff are named in the admin as on the workspace's pages: by their full name
(orders.rules.person), not by the username they log in with."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from orders.rules import person


def staff_by_name(field: forms.ModelChoiceField | None) -> forms.ModelChoiceField | None:
    """A select of users lists them by full name."""
    if field is not None and getattr(field.queryset, "model", None) is get_user_model():
        field.label_from_instance = person  # type: ignore[assignment]
    return field
