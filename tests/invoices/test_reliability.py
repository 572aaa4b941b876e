"""A real Celery worker and a real Redis: a worker killed mid-render, a broker down while a
payment arrives. Nothing is lost either way."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from decimal import Decimal

import pytest

from invoices.models import Invoice, Payment, ProviderEvent
from orders.models import NotificationStatus, Order, Stage, TimelineEvent
from orders.services.orders import LineInput
from pipeline.tasks import sweep
from production.models import Product
from tests.invoices.conftest import make_order, notify, pay_fields
from tests.invoices.harness import Worker, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def worker(redis_server, settings, tmp_path):
    workers: list[Worker] = []

    def start() -> Worker:
        w = Worker(
            broker_url=redis_server.url,
            media_root=settings.MEDIA_ROOT,
            log=tmp_path / "worker.log",
        ).start()
        workers.append(w)
        return w

    yield start
    for w in workers:
        w.stop()


def _many_lines(n: int) -> list[LineInput]:
    product = Product.objects.create(
        sku="ПОЛКА-1", name="Полка сосновая", price=Decimal("700.00"), lead_time_days=1
    )
    return [
        LineInput(product=product, quantity=Decimal(1), name=f"Полка сосновая №{i}")
        for i in range(n)
    ]


def test_a_worker_killed_while_rendering_a_pdf_renders_it_on_the_next_run(
    worker, catalogue, staff, seller, manager, settings
):
    # Long enough to render that the kill lands in the middle of it.
    order = make_order(catalogue=catalogue, manager=manager, lines=_many_lines(700))
    invoice = order.invoices.get()
    assert invoice.pdf_version == 0
    w = worker()
    wait_for(
        lambda: f"rendering the PDF of invoice {invoice.number}" in w.log_text(),
        timeout=90,
        what="the worker to start rendering",
    )
    [child] = w.children()
    os.kill(child, signal.SIGKILL)
    time.sleep(0.5)
    invoice.refresh_from_db()
    assert invoice.pdf_version == 0  # killed before it finished
    wait_for(
        lambda: Invoice.objects.get(pk=invoice.pk).pdf_is_current,
        timeout=180,
        what="the PDF to be rendered by the next run",
    )
    log = w.log_text()
    assert "WorkerLostError" in log
    assert log.count(f"rendering the PDF of invoice {invoice.number}") == 2
    invoice.refresh_from_db()
    assert invoice.pdf.read(4) == b"%PDF"
    # And the e-mail that waited for it went out after it.
    wait_for(
        lambda: TimelineEvent.objects.filter(
            data__notification="invoice_issued", notification_status=NotificationStatus.SENT
        ).exists(),
        timeout=60,
        what="the invoice e-mail",
    )


def test_a_payment_arriving_while_redis_is_down_is_recorded_and_followed_up_later(
    client, redis_server, worker, catalogue, staff, seller, manager, cloudpayments
):
    order = make_order(catalogue=catalogue, manager=manager)
    invoice = order.invoices.get()
    redis_server.stop()

    started = time.monotonic()
    response = notify(client, "pay", pay_fields(invoice, transaction_id=31337))
    assert time.monotonic() - started < 15
    assert response.json() == {"code": 0}
    # The money is recorded at once...
    payment = Payment.objects.get()
    invoice.refresh_from_db()
    order.refresh_from_db()
    assert invoice.status == "paid"
    assert order.paid_amount == Decimal("32000.00")
    # ...and its follow-up waits in the outbox row.
    event = ProviderEvent.objects.get(transaction_id="31337")
    assert event.followup_pending is True
    assert order.stage == Stage.PREPAYMENT

    # CloudPayments repeats the notification: still one payment, nothing lost.
    assert notify(client, "pay", pay_fields(invoice, transaction_id=31337)).json() == {"code": 0}
    assert Payment.objects.count() == 1

    # Redis comes back empty (no persistence): the PDF task queued before is gone too.
    redis_server.start()
    assert sweep(stale_after=dt.timedelta(0)) == {
        "pdf": 1,
        "followups": 1,
        "notifications": 0,
        "emails": 0,
        "links": 0,
        "other": 0,
        "reported": 0,
    }
    worker()
    wait_for(
        lambda: Order.objects.get(pk=order.pk).stage == Stage.PRODUCTION,
        timeout=90,
        what="the stage move once Redis is back",
    )
    wait_for(
        lambda: TimelineEvent.objects.filter(
            data__payment_id=payment.pk,
            data__notification="payment_received",
            notification_status=NotificationStatus.SENT,
        ).exists(),
        timeout=90,
        what="the receipt e-mail once Redis is back",
    )
    wait_for(
        lambda: Invoice.objects.get(pk=invoice.pk).pdf_is_current,
        timeout=90,
        what="the PDF once Redis is back",
    )
    assert ProviderEvent.objects.filter(followup_pending=True).count() == 0
    assert TimelineEvent.objects.filter(order=order, to_stage=Stage.PRODUCTION).count() == 1


def test_a_pay_notification_is_answered_at_once_and_applied_by_a_worker(
    client, redis_server, worker, catalogue, staff, seller, manager, cloudpayments
):
    order = make_order(catalogue=catalogue, manager=manager)
    invoice = order.invoices.get()

    # No worker yet: the verified request is stored and queued, and answered.
    assert notify(client, "pay", pay_fields(invoice, transaction_id=4242)).json() == {"code": 0}
    event = ProviderEvent.objects.get(kind="pay")
    assert event.processed_at is None
    assert not Payment.objects.exists()

    # Redis restarts empty: the queued task is lost; the sweep finds the stored event.
    redis_server.stop()
    redis_server.start()
    assert sweep(stale_after=dt.timedelta(0))["notifications"] == 1
    worker()
    wait_for(
        lambda: Order.objects.get(pk=order.pk).stage == Stage.PRODUCTION,
        timeout=90,
        what="the worker to apply the payment and move the order",
    )
    assert Payment.objects.get().external_id == "4242"
    event.refresh_from_db()
    assert (event.result_code, event.processed_at is not None) == (0, True)
    # Applied once: a second sweep has nothing left, a repeat changes nothing.
    assert sweep(stale_after=dt.timedelta(0))["notifications"] == 0
    assert notify(client, "pay", pay_fields(invoice, transaction_id=4242)).json() == {"code": 0}
    wait_for(
        lambda: not ProviderEvent.objects.filter(processed_at__isnull=True).exists(),
        timeout=60,
        what="the repeat to be applied",
    )
    assert Payment.objects.count() == 1
