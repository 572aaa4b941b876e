"""The bell: in-app notifications of the signed-in person (reminders, escalations, new
tasks). A context processor gives every page the unread count; the list and "mark read"
are small views."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from orders.models import Notification
from web.requests import WorkspaceRequest

LIST_SIZE = 50


def unread_notifications(request: HttpRequest) -> dict[str, object]:
    """`bell_unread`: the unread count, queried only if a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"bell_unread": SimpleLazyObject(lambda: unread_for(user).count())}


def unread_for(user) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user, read_at__isnull=True)


@login_required
def notification_list(request: WorkspaceRequest) -> HttpResponse:
    # Queries: the session's user, the notifications.
    notifications = list(Notification.objects.filter(user=request.user)[:LIST_SIZE])
    unread = sum(1 for n in notifications if n.read_at is None)
    template = "notifications/list.html"
    if request.htmx:
        template += "#items"
    return render(
        request,
        template,
        {"notifications": notifications, "unread_on_page": unread},
    )


@require_POST
@login_required
def notification_read(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """Mark one read and open what it is about."""
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    if notification.read_at is None:
        Notification.objects.filter(pk=pk, read_at__isnull=True).update(read_at=timezone.now())
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect("notifications:list")
    return redirect(target)


@require_POST
@login_required
def notification_read_all(request: WorkspaceRequest) -> HttpResponse:
    unread_for(request.user).update(read_at=timezone.now())
    return redirect("notifications:list")
