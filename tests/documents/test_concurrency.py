"""Closing documents issued at the same moment, on PostgreSQL: numbers follow each other
without a gap or a double, and one order gets one set however many calls race."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection
from django.utils import timezone

from documents.models import ClosingDocument, DocumentKind
from documents.services import closing_documents_issue
from orders.models import TaskKind, YearCounter
from pipeline.work import task_complete
from tests.documents.conftest import company
from tests.factories import order_in_delivery, refreshed

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def at_once(*calls: Callable[[], object]) -> list[object]:
    barrier = Barrier(len(calls))

    def run(call: Callable[[], object]) -> object:
        try:
            barrier.wait()
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [future.result() for future in futures]


def test_two_orders_won_at_once_get_consecutive_upd_numbers(staff, catalogue, seller):
    orders = [
        order_in_delivery(
            manager=staff["manager"], worker=staff["production"], catalogue=catalogue, client=c
        )
        for c in (company(), company(inn="7728168971", kpp="772801001", company="АО «Альфа»"))
    ]

    def deliver(order):
        return lambda: task_complete(
            task=order.tasks.get(kind=TaskKind.DELIVER),
            actor=staff["logistics"],
            shipped_on=timezone.localdate(),
        )

    at_once(*(deliver(order) for order in orders))
    numbers = sorted(ClosingDocument.objects.values_list("number", flat=True))
    assert numbers == [1, 2]
    assert all(refreshed(o).closing_documents.get().kind == DocumentKind.UPD for o in orders)
    assert YearCounter.objects.get(name="closing-upd").last == 2


def test_the_service_called_twice_at_once_makes_one_set_and_burns_no_number(
    staff, catalogue, seller
):
    order = order_in_delivery(
        manager=staff["manager"], worker=staff["production"], catalogue=catalogue, client=company()
    )
    task_complete(
        task=order.tasks.get(kind=TaskKind.DELIVER),
        actor=staff["logistics"],
        shipped_on=timezone.localdate(),
    )
    ClosingDocument.objects.all().delete()  # as if the order had been won before this app

    results = at_once(
        lambda: closing_documents_issue(order=order), lambda: closing_documents_issue(order=order)
    )
    [document] = ClosingDocument.objects.all()
    assert [[d.pk for d in result] for result in results] == [[document.pk], [document.pk]]
    assert document.number == 2
    assert YearCounter.objects.get(name="closing-upd").last == 2
