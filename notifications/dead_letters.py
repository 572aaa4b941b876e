"""Dead letters (background work that failed WORK_MAX_ATTEMPTS times, orders.models.Work)
told to the accountants once, by the sweep."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from notifications import staff
from orders import roles
from orders.models import Work

logger = logging.getLogger(__name__)


def dead_letters_report() -> int:
    """E-mail the accountants about each dead letter not reported yet. Each is claimed with
    a conditional UPDATE first, so two sweeps (or a sweep and the failing task) tell them
    once; a send that fails gives the claim back for the next sweep."""
    reported = 0
    for row in Work.objects.filter(failed_at__isnull=False, reported_at__isnull=True)[:50]:
        if not Work.objects.filter(pk=row.pk, reported_at__isnull=True).update(
            reported_at=timezone.now()
        ):
            continue
        url = settings.SITE_URL.rstrip("/") + reverse("admin:orders_work_change", args=[row.pk])
        body = (
            f"Background work failed {row.attempts} times and is no longer retried.\n\n"
            f"Task: {row.task}\nArguments: {json.dumps(row.args, default=str)}\n"
            f"Failed at: {row.failed_at:%Y-%m-%d %H:%M:%S %Z}\nLast error: {row.last_error}\n\n"
            f"Once the cause is fixed, retry it from the admin: {url}\n"
        )
        try:
            told = staff.tell_staff(
                role=roles.ACCOUNTANTS,
                bell=False,
                email=True,
                text=f"Conveyor: background work failed for good: {row}",
                details=body,
            )
        except Exception as exc:
            Work.objects.filter(pk=row.pk).update(reported_at=None)
            logger.warning("could not tell the accountants about %s: %r", row, exc)
            continue
        if not told:
            logger.error("dead letter %s: no accountant with an e-mail address to tell", row)
            continue
        reported += 1
    return reported
