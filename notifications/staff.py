"""Telling staff: a bell notification in the recipient's language, and its e-mail copy."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_noop

from core.texts import Msg
from orders import roles, rules
from orders.models import Department, Notification, Order, StaffProfile, Task

User = AbstractBaseUser


def _language_of(user: User | None, user_id: int) -> str:
    if user is not None and get_user_model().profile.is_cached(user):  # loaded with the user
        profile = getattr(user, "profile", None)  # a user without one: None
        language = profile.language if profile else ""
    else:
        language = (
            StaffProfile.objects.filter(user_id=user_id).values_list("language", flat=True).first()
        )
    return language or settings.LANGUAGE_CODE


def notify_staff(
    *,
    user: User | None = None,
    text: str | Msg,
    order: Order | None = None,
    user_id: int | None = None,
) -> None:
    """An in-app notification (the bell), to `user` or, without loading them, `user_id`.
    A `Msg` is written in the recipient's language."""
    if user is not None:
        user_id = user.pk
    if user_id is None:
        return
    if isinstance(text, Msg):
        text = text.render(_language_of(user, user_id))
    Notification.objects.create(
        user_id=user_id,
        order=order,
        text=text[:500],
        url=order.get_absolute_url() if order else "",
    )


def task_announce(task: Task, *, order: Order) -> None:
    """A task was opened: its assignee hears of it; with nobody of the department present,
    the department's heads hear it now, not at the deadline."""
    title = task.title_text
    notify_staff(
        user=task.assignee,
        order=order,
        text=Msg(
            gettext_noop("New task: %(title)s (order %(number)s)"), title=title, number=order.number
        ),
    )
    if task.assignee is None:
        text = Msg(
            rules.NO_ASSIGNEE_FOR,
            department=Department(task.department),
            title=title,
            number=order.number,
        )
        for head in get_user_model().objects.filter(
            groups__name=roles.DEPARTMENT_HEADS[task.department], is_active=True
        ):
            notify_staff(user=head, order=order, text=text)


def task_assigned(task: Task, *, assignee: User) -> None:
    notify_staff(
        user=assignee,
        order=task.order,
        text=Msg(gettext_noop("Task assigned to you: %(title)s"), title=task.title_text),
    )


def build_staff_email(notification: Notification) -> EmailMultiAlternatives:
    """A plain e-mail copy of a bell notification, in the recipient's language."""
    user = notification.user
    profile = getattr(user, "profile", None)
    language = (profile.language if profile else "") or settings.LANGUAGE_CODE
    with translation.override(language):
        body = render_to_string(
            "emails/staff_notification.txt",
            {"notification": notification, "user": user, "site_url": settings.SITE_URL},
        )
    subject = f"Conveyor: {notification.text}"
    return EmailMultiAlternatives(
        subject=" ".join(subject.split())[:200], body=body, to=[user.email]
    )
