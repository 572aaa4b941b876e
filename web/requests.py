"""The request a workspace page receives, as the type checker sees it."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django_htmx.middleware import HtmxDetails


class WorkspaceRequest(HttpRequest):
    """A request behind login_required, past django-htmx's middleware: its user is signed
    in and it carries the htmx details. Django hands views a plain HttpRequest; this class
    only names what the decorator and the middleware guarantee."""

    user: User
    htmx: HtmxDetails


def admin_user(request: HttpRequest) -> User:
    """The user of an admin page: the admin site lets only signed-in staff in."""
    return cast("User", request.user)
