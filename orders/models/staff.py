"""Members of staff: what the robots know of them, and their in-app messages (the bell)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models.order import Order


class StaffProfile(models.Model):
    """What the robots need to know about a member of staff."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="profile",
        verbose_name=_("user"),
    )
    is_present = models.BooleanField(
        _("present"), default=True, help_text=_("Absent staff get no new orders or tasks.")
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    # Round robin on ties: whoever got work least recently goes first.
    last_assigned_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("last assigned at")
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class Notification(models.Model):
    """An in-app message to a member of staff (the bell)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("order")
    )
    text = models.CharField(max_length=500, verbose_name=_("text"))
    url = models.CharField(max_length=300, blank=True, verbose_name=_("link"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    read_at = models.DateTimeField(null=True, blank=True, verbose_name=_("read at"))

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["user", "-created_at"],
                name="notification_unread_idx",
                condition=Q(read_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.text
