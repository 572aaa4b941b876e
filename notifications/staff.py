"""Telling staff: a bell notification in each recipient's language and, when asked, its
copy through the channels (e-mail). `tell_staff` is the one way to do it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, User
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_noop

from core.texts import Msg
from notifications import channels, tasks
from orders import roles, rules
from orders.models import Department, Notification, Order, StaffProfile, Task
from orders.queue import enqueue_after_commit


def _language_of(user: User | None, user_id: int) -> str:
    if user is not None and get_user_model().profile.is_cached(user):  # loaded with the user
        profile = getattr(user, "profile", None)  # a user without one: None
        language = profile.language if profile else ""
    else:
        language = (
            StaffProfile.objects.filter(user_id=user_id).values_list("language", flat=True).first()
        )
    return language or settings.LANGUAGE_CODE


@dataclass(frozen=True)
class Note:
    """One bell: for a user (loaded, or only their id), about an order or not."""

    to: User | int
    text: str | Msg
    order: Order | None = None


def tell_staff(
    *,
    to: User | Iterable[User | None] | None = None,
    user_id: int | None = None,
    role: str | None = None,
    text: str | Msg,
    order: Order | None = None,
    email: bool = False,
    bell: bool = True,
    details: str = "",
) -> int:
    """Tell members of staff about something: `to` (a user or several), `user_id`
    (without loading them), `role` (the active members of that group). Each gets a bell,
    a `Msg` written in their language; with `email`, its copy through the channels once
    the transaction commits. Without a bell (`bell=False`, `email=True`) it is one letter
    to all of them sent now, `text` its subject and `details` its body: there is no row
    to send it from later, so the caller claims what it tells first. How many were told."""
    people: dict[int, User | None] = {}
    for user in [to] if to is None or isinstance(to, AbstractBaseUser) else to:
        if user is not None:
            people.setdefault(user.pk, user)
    if user_id is not None:
        people.setdefault(user_id, None)
    if role is not None:
        members = get_user_model().objects.filter(groups__name=role, is_active=True)
        for user in members.select_related("profile"):
            people.setdefault(user.pk, user)
    if not bell:
        if not email:
            raise ValueError("neither a bell nor an e-mail: nobody would hear it")
        reached: list[channels.Person] = [
            user for user in people.values() if user is not None and channels.reaching(user)
        ]
        if reached:
            subject = text.render() if isinstance(text, Msg) else text
            for channel in channels.CHANNELS:
                channel.send(channels.Letter(to=reached, subject=subject, text=details))
        return len(reached)
    notes = [Note(to=user or pk, text=text, order=order) for pk, user in people.items()]
    return len(tell_staff_each(notes, email=email))


def tell_staff_each(notes: Iterable[Note], *, email: bool = False) -> list[int]:
    """Several bells, each its own text, written in one INSERT (a job telling many people
    at once); with `email`, their copies as in tell_staff. The ids of the bells."""
    rows = []
    for note in notes:
        user, user_id = (None, note.to) if isinstance(note.to, int) else (note.to, note.to.pk)
        text = (
            note.text.render(_language_of(user, user_id))
            if isinstance(note.text, Msg)
            else note.text
        )
        rows.append(
            Notification(
                user_id=user_id,
                order=note.order,
                text=text[:500],
                url=note.order.get_absolute_url() if note.order else "",
            )
        )
    if len(rows) == 1:
        rows[0].save(force_insert=True)
    elif rows:
        Notification.objects.bulk_create(rows)
    ids = [row.pk for row in rows]
    if email and ids:
        # Recorded with the bells: their copies are not lost with the broker.
        enqueue_after_commit(tasks.send_staff_notifications, ids, record=True)
    return ids


def task_announce(task: Task, *, order: Order) -> None:
    """A task was opened: its assignee hears of it; with nobody of the department present,
    the department's heads hear it now, not at the deadline."""
    title = task.title_text
    if task.assignee is not None:
        tell_staff(
            to=task.assignee,
            order=order,
            text=Msg(
                gettext_noop("New task: %(title)s (order %(number)s)"),
                title=title,
                number=order.number,
            ),
        )
        return
    tell_staff(
        role=roles.DEPARTMENT_HEADS[task.department],
        order=order,
        text=Msg(
            rules.NO_ASSIGNEE_FOR,
            department=Department(task.department),
            title=title,
            number=order.number,
        ),
    )


def task_assigned(task: Task, *, assignee: User) -> None:
    tell_staff(
        to=assignee,
        order=task.order,
        text=Msg(gettext_noop("Task assigned to you: %(title)s"), title=task.title_text),
    )


def staff_letter(notification: Notification) -> channels.Letter:
    """The copy of a bell notification, in the recipient's language."""
    user = notification.user
    profile = getattr(user, "profile", None)
    language = (profile.language if profile else "") or settings.LANGUAGE_CODE
    with translation.override(language):
        body = render_to_string(
            "emails/staff_notification.txt",
            {"notification": notification, "user": user, "site_url": settings.SITE_URL},
        )
    subject = f"Conveyor: {notification.text}"
    return channels.Letter(to=[user], subject=" ".join(subject.split())[:200], text=body)
