"""The order's timeline: what happened to it, and whether the client was told."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core.texts import msg_text
from orders.models.order import Order, Stage


class EventKind(models.TextChoices):
    CREATED = "created", _("Order created")
    STAGE = "stage", _("Stage changed")
    COMMENT = "comment", _("Comment")
    NOTIFICATION = "notification", _("Notification")
    PAYMENT = "payment", _("Payment")
    INVOICE = "invoice", _("Invoice")
    TASK = "task", _("Task")
    PRODUCTION = "production", _("Production")
    DELIVERY = "delivery", _("Delivery")
    CUSTOMER = "customer", _("Client changed")
    PROMISE = "promise", _("Promised date")
    PRIORITY = "priority", _("Production priority")


class NotificationStatus(models.TextChoices):
    NONE = "", "—"
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent: client asked not to be notified")


class TimelineEvent(models.Model):
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="events", verbose_name=_("order")
    )
    kind = models.CharField(max_length=16, choices=EventKind.choices, verbose_name=_("kind"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    text = models.TextField(blank=True, verbose_name=_("text"))
    from_stage = models.CharField(
        max_length=20, choices=Stage.choices, blank=True, verbose_name=_("from stage")
    )
    to_stage = models.CharField(
        max_length=20, choices=Stage.choices, blank=True, verbose_name=_("to stage")
    )
    data = models.JSONField(default=dict, blank=True, verbose_name=_("data"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    # Whether (and how) this event reached the client.
    sent_to_client_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("sent to client at")
    )
    notification_status = models.CharField(
        max_length=16,
        choices=NotificationStatus.choices,
        blank=True,
        verbose_name=_("notification status"),
    )
    # When a worker took the e-mail to send; a claim older than the send's time limit is
    # taken as lost with its worker and may be claimed again.
    notification_claimed_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("notification claimed at")
    )
    # What the client's e-mail waits for before it may go, e.g. "invoice-pdf:42" (the PDF it
    # carries); empty when nothing. The task that makes it (or the sweep) releases it.
    awaiting = models.CharField(
        max_length=40, blank=True, default="", editable=False, verbose_name=_("awaiting")
    )

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["order", "created_at"], name="event_order_idx"),
            models.Index(
                fields=["notification_claimed_at"],
                name="event_email_sending_idx",
                condition=Q(notification_status="sending"),
            ),
            # The sweep's look for queued e-mails the broker lost.
            models.Index(
                fields=["created_at"],
                name="event_email_queued_idx",
                condition=Q(notification_status="queued"),
            ),
            # E-mails held for their attachment, found by what they wait for.
            models.Index(
                fields=["awaiting"],
                name="event_email_awaiting_idx",
                condition=Q(notification_status="queued") & ~Q(awaiting=""),
            ),
        ]

    def __str__(self) -> str:
        # Read where the event stands among others (the admin's inline titles): what and when.
        when = date_format(timezone.localtime(self.created_at), "SHORT_DATETIME_FORMAT")
        return f"{self.get_kind_display()}, {when}"

    @property
    def display_text(self) -> str:
        """The text in the reader's language (what the system wrote is kept as a message);
        people's own words as they wrote them."""
        return msg_text(self.text, self.data)
