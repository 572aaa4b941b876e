"""Background work the database keeps an eye on (retries and dead letters)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Work(models.Model):
    """A unit of background work (a task and its arguments) that the database must keep an
    eye on: one that failed and waits for its next attempt, one the sweep re-queued and
    holds under a lease, one that has no other row saying it is pending (a payment link to
    cancel), or one that failed WORK_MAX_ATTEMPTS times: a dead letter, which nothing retries
    until someone does it from the admin. The row goes away when the task succeeds."""

    task = models.CharField(_("task"), max_length=200)
    # The task's first argument (or a digest of all of them): one row per unit of work.
    key = models.CharField(_("key"), max_length=64)
    args = models.JSONField(_("arguments"), default=list)
    attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    # When the sweep queues it (again): the time of the next retry, or the end of a lease.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    failed_at = models.DateTimeField(_("failed for good"), null=True, blank=True)
    # The accountants were e-mailed about this dead letter (claimed with a conditional UPDATE).
    reported_at = models.DateTimeField(_("reported"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("background work")
        verbose_name_plural = _("background work")
        ordering = ["-failed_at", "next_attempt_at", "id"]
        constraints = [models.UniqueConstraint(fields=["task", "key"], name="work_unique")]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="work_due_idx",
                condition=Q(failed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.task}({self.key})"
