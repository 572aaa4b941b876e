"""CloudPayments' endpoints keep their wire format but take nothing unbounded: a body too
large, a NUL byte, an id or an amount that fits no column, a date that never was."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import TestCase

from invoices.models import InvoiceStatus, IssueKind, Payment, ProviderEvent, ReconciliationIssue
from invoices.webhook_input import STORED_UNSIGNED, UNSIGNED_PER_MINUTE
from tests.invoices.conftest import encode, notify, pay_fields, sign

KINDS = ["check", "pay", "fail", "confirm", "refund", "cancel"]


def post_raw(client, kind: str, body: bytes, content_type: str, *, signed: bool = True, **extra):
    headers = {"HTTP_CONTENT_HMAC": sign(body)} if signed else {}
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            f"/payments/cloudpayments/{kind}/",
            data=body,
            content_type=content_type,
            **headers,
            **extra,
        )


def test_a_body_over_64_kb_is_413_and_not_stored(client, invoice, cloudpayments):
    fields = pay_fields(invoice, Description="х" * 40_000)
    for fmt in ("form", "json"):
        body, content_type = encode(fields, fmt)
        assert len(body) > 64 * 1024
        assert post_raw(client, "pay", body, content_type).status_code == 413
    assert not ProviderEvent.objects.exists()
    assert not Payment.objects.exists()


@pytest.mark.parametrize("signed", [True, False])
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"TransactionId=1\x00&Amount=1.00", "application/x-www-form-urlencoded"),
        (b"TransactionId=1%00&Amount=1.00", "application/x-www-form-urlencoded"),
        (b"Transaction%00Id=1&Amount=1.00", "application/x-www-form-urlencoded"),
        (b'{"TransactionId": 1, "Amount": "1.00", "Data": {"a": "\\u0000"}}', "application/json"),
        (b'{"TransactionId": 1, "Amount": "1.00\x00"}', "application/json"),
    ],
)
def test_a_nul_byte_anywhere_is_400_before_any_work(
    client, cloudpayments, db, body, content_type, signed
):
    for kind in KINDS:
        response = post_raw(client, kind, body, content_type, signed=signed)
        assert response.status_code == 400
        assert response.json() == {"error": "NUL byte in request"}
    assert not ProviderEvent.objects.exists()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"TransactionId": "1" * 101}, "TransactionId is longer than 20 characters"),
        ({"TransactionId": "12ab"}, "TransactionId is not a number"),
        ({"Amount": "1e+308"}, "Amount '1e+308' is out of range"),
        ({"Amount": "-1e+308"}, "Amount '-1e+308' is out of range"),
        ({"Amount": "NaN"}, "Amount 'NaN' is out of range"),
        ({"Amount": "10.001"}, "Amount '10.001' has more than 2 decimals"),
        ({"DateTime": "2026-13-45 10:00:00"}, "DateTime '2026-13-45 10:00:00' is not a date"),
        ({"DateTime": "0001-01-01 00:00:00"}, "DateTime '0001-01-01 00:00:00': The payment"),
        ({"Currency": "RUBLES"}, "Currency is longer than 3 characters"),
        ({"InvoiceId": "INV-" + "9" * 100}, "InvoiceId is longer than 64 characters"),
    ],
)
def test_a_signed_notification_out_of_bounds_is_refused_kept_and_never_queued(
    client, invoice, cloudpayments, change, reason
):
    for fmt in ("form", "json"):
        response = notify(client, "pay", pay_fields(invoice, **change), fmt=fmt)
        assert response.status_code == 400
        assert response.json()["code"] == 0
        assert response.json()["error"].startswith(reason)
        check = notify(client, "check", pay_fields(invoice, **change), fmt=fmt)
        assert (check.status_code, check.json()["code"]) == (400, 13)
    events = ProviderEvent.objects.all()
    assert events.count() == 4
    for event in events:
        # Kept for the record, finished at once: nothing for the worker or the sweep.
        assert event.signature_ok is True
        assert event.processed_at is not None
        assert event.outcome.startswith("unreadable: " + reason)
        assert len(event.body.encode()) <= STORED_UNSIGNED
    assert not Payment.objects.exists()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED
    # The accountants hear of a Pay they could not read (Check carries no money).
    issues = list(ReconciliationIssue.objects.all())
    assert issues
    assert {issue.kind for issue in issues} == {IssueKind.UNREADABLE}
    assert all(reason in issue.details and "Pay" in issue.details for issue in issues)


def test_a_deeply_nested_or_odd_json_body_is_refused_not_a_500(client, cloudpayments, db):
    bodies = [
        b'{"TransactionId": 1, "Amount": "1.00", "Data": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"TransactionId": 1, "Amount": "1.00", "Data": ' + b'{"a":' * 20 + b"1" + b"}" * 21,
        b"[" * 30000 + b"]" * 30000,
        b'{"TransactionId": ' + b"9" * 5000 + b"}",
        b'{"TransactionId": [1], "Amount": "1.00"}',
        b'{"TransactionId": 1, "Amount": true}',
        b"\xff\xfe not utf-8",
        b"",
    ]
    for body in bodies:
        for kind in KINDS:
            response = post_raw(client, kind, body, "application/json")
            assert response.status_code == 400, body[:40]
    assert not ProviderEvent.objects.filter(processed_at__isnull=True).exists()


def test_a_form_with_too_many_fields_is_refused_not_a_500(client, cloudpayments, db):
    body = b"&".join(b"f%d=1" % i for i in range(2000))
    assert post_raw(client, "pay", body, "application/x-www-form-urlencoded").status_code == 400


def test_an_unsigned_request_is_kept_as_its_first_4_kb(client, invoice, cloudpayments):
    body, content_type = encode(pay_fields(invoice, Description="я" * 2_000), "form")
    response = post_raw(client, "pay", body, content_type, signed=False)
    assert response.status_code == 401
    event = ProviderEvent.objects.get()
    assert event.signature_ok is False
    assert body.decode().startswith(event.body)
    assert len(event.body.encode()) <= STORED_UNSIGNED


def test_unsigned_requests_are_limited_per_address_and_signed_ones_still_pass(
    client, invoice, cloudpayments
):
    body, content_type = encode(pay_fields(invoice), "form")
    for _ in range(UNSIGNED_PER_MINUTE):
        response = post_raw(client, "pay", body, content_type, signed=False)
        assert response.status_code == 401
    refused = post_raw(client, "pay", body, content_type, signed=False)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert ProviderEvent.objects.count() == UNSIGNED_PER_MINUTE
    # Another address is not punished, and CloudPayments' own notifications still count.
    other = post_raw(client, "pay", body, content_type, signed=False, REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 401
    assert notify(client, "pay", pay_fields(invoice)).json() == {"code": 0}
    assert Payment.objects.get().amount == Decimal("32000.00")


def test_a_well_formed_notification_is_stored_whole(client, invoice, cloudpayments):
    fields = pay_fields(invoice, Description="д" * 5000)
    notify(client, "pay", fields, fmt="json")
    event = ProviderEvent.objects.get()
    assert json.loads(event.body)["Description"] == "д" * 5000
    assert Payment.objects.count() == 1


def test_overpayments_that_would_outgrow_the_paid_columns_are_flagged_not_failing(
    client, invoice, cloudpayments
):
    notify(client, "pay", pay_fields(invoice, transaction_id=1))
    huge = "999999999999.99"
    for _ in range(2):
        response = notify(client, "pay", pay_fields(invoice, transaction_id=2, Amount=huge))
        assert response.json() == {"code": 0}
    assert not ProviderEvent.objects.filter(processed_at__isnull=True).exists()
    invoice.refresh_from_db()
    assert invoice.paid_amount == Decimal("32000.00")
    issue = ReconciliationIssue.objects.get()
    assert (issue.kind, issue.transaction_id) == (IssueKind.AMOUNT_MISMATCH, "2")
    assert "too large to record" in issue.details
