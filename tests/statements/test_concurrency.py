"""Two accountants uploading the same statement at the same moment, on PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection

from invoices.models import Payment, SellerProfile
from statements.models import StatementImport, StatementLine
from statements.services import statement_import
from tests.statements.conftest import bank_statement

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("seller_saved", [True, False], ids=["seller", "no-seller-row"])
def test_the_same_statement_at_once_records_each_payment_once(invoices, accountant, seller_saved):
    body = bank_statement(invoices)
    if not seller_saved:
        SellerProfile.objects.all().delete()
    uploads = 4
    barrier = Barrier(uploads)

    def run(_: int) -> StatementImport:
        barrier.wait()
        try:
            return statement_import(body=body, file_name="kl_to_1c.txt", actor=accountant)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=uploads) as pool:
        records = list(pool.map(run, range(uploads)))

    assert Payment.objects.count() == 2
    assert StatementLine.objects.count() == 3
    assert sorted(r.incoming_matched for r in records) == [0, 0, 0, 2]
    assert sum(r.duplicates for r in records) == 3 * (uploads - 1)
