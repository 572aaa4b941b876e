"""Payment reminders: an invoice still unpaid so many days after it was issued reminds the
client by e-mail, with its link and what is still due, once per step."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from core.money import Amount
from core.texts import Msg
from invoices.models import UNPAID_STATUSES, Invoice
from notifications.client import tell_client
from notifications.staff import tell_staff
from orders.models import OPEN_STAGES

logger = logging.getLogger(__name__)


def reminder_steps_passed(invoice: Invoice, now: dt.datetime) -> int:
    """How many of the reminder steps (days after issue) this invoice has reached."""
    age = now - invoice.issued_at
    return sum(1 for days in settings.INVOICE_REMINDER_DAYS if age >= dt.timedelta(days=days))


def invoice_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Remind the clients of the unpaid invoices that reached their next step; how many
    reminders went out. Each step is claimed with a conditional UPDATE, so two runs (or two
    beat schedulers) send it once; after a pause of several steps the client gets one
    reminder, not one per missed step."""
    now = now or timezone.now()
    steps = settings.INVOICE_REMINDER_DAYS
    if not steps:
        return 0
    candidates = (
        Invoice.objects.filter(
            status__in=UNPAID_STATUSES,
            order__stage__in=OPEN_STAGES,
            reminders_sent__lt=len(steps),
            issued_at__lte=now - dt.timedelta(days=min(steps)),
            public_revoked_at__isnull=True,
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .select_related("order__customer", "order__manager__profile")
    )
    sent = 0
    for invoice in candidates:
        passed = reminder_steps_passed(invoice, now)
        if passed <= invoice.reminders_sent:
            continue
        with transaction.atomic():
            claimed = Invoice.objects.filter(
                pk=invoice.pk, reminders_sent=invoice.reminders_sent, status__in=UNPAID_STATUSES
            ).update(reminders_sent=passed, reminded_at=now)
            if not claimed:
                continue
            tell_client(
                order=invoice.order,
                kind="invoice_reminder",
                invoice_id=invoice.pk,
                reminder=passed,
            )
            if invoice.due_date and invoice.due_date < timezone.localdate(now):
                # The promise was broken: the manager hears it before the client calls.
                tell_staff(
                    to=invoice.order.manager,
                    order=invoice.order,
                    text=Msg(
                        gettext_noop(
                            "Invoice %(number)s is overdue (%(balance)s due): the client was "
                            "reminded"
                        ),
                        number=invoice.number,
                        balance=Amount(invoice.balance, invoice.currency),
                    ),
                )
        sent += 1
    if sent:
        logger.info("payment reminders sent for %s invoices", sent)
    return sent
