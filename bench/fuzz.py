#!/usr/bin/env python
"""Generated hostile input against every write endpoint, over a real server.

gunicorn (2 workers) on loopback against PostgreSQL (a database of its own, created and
dropped here) and a private redis-server as the broker, as bench/payments.py sets them up.
Sends --count inputs (10,200 by default) spread over the intake API, the accounting import
and each CloudPayments notification (check, pay, fail, confirm, refund, cancel; signed and
unsigned): valid-shaped documents with hostile values (huge and non-finite numbers, NUL,
broken Unicode, long strings, impossible dates and offsets, wrong types), arbitrary and
deeply nested JSON, garbage bytes, bodies past the size limit. Then a Celery worker applies
the queued notifications, and the ledger is checked: no order without lines, no payment
without its invoice, every invoice's and order's paid sum equal to its payments.

Prints the answers by endpoint and status; any 5xx or reset connection is a bug.

    .venv/bin/python bench/fuzz.py [--pg postgres://postgres@127.0.0.1:5432] [--count 10200]
        [--seed 1] [--connections 6]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.payments import (  # noqa: E402
    API_SECRET,
    free_port,
    prepare_invoices,
    private_redis,
    server_env,
    wait_port,
)

CLOUDPAYMENTS_KINDS = ("check", "pay", "fail", "confirm", "refund", "cancel")

HOSTILE = [
    None,
    True,
    False,
    0,
    -1,
    1e30,
    1e308,
    float("nan"),
    float("inf"),
    -float("inf"),
    10**40,
    "1e20",
    "NaN",
    "Infinity",
    "-0",
    "0.001",
    "1E+30",
    "9" * 5000,
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "\udfff x",
    "x" * 5001,
    "𝕏" * 70,
    "‮RTL",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-14:00",
    "2026-02-30",
    "2026-11-25T24:00",
    "2026-11-25T12:00:00+25:00",
    "1999-12-31",
    "2099-01-01",
    "2026-11-25",
    [],
    {},
    [[[[]]]],
    {"a": {"b": {"c": {}}}},
]


def hostile(rng: random.Random, depth: int = 0) -> object:
    roll = rng.random()
    if roll < 0.5:
        return rng.choice(HOSTILE)
    if roll < 0.6:
        return rng.randint(-(10**20), 10**20)
    if roll < 0.7:
        return rng.uniform(-1e15, 1e15)
    if roll < 0.8:
        return "".join(
            chr(rng.choice([rng.randint(0, 0x2FF), rng.randint(0, 0x10FFFF)]))
            for _ in range(rng.randint(0, 20))
        )
    if roll < 0.9 and depth < 4:
        return [hostile(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if depth < 4:
        return {
            str(hostile(rng, 4))[:10]: hostile(rng, depth + 1) for _ in range(rng.randint(0, 4))
        }
    return rng.choice(HOSTILE)


def maybe(rng: random.Random, valid: object, p: float = 0.85) -> object:
    """The valid value, or (1 - p of the time) a hostile one. A quarter of the documents are
    drawn entirely valid (p=1), so the write paths are exercised as well as the refusals."""
    return valid if rng.random() < p else hostile(rng)


def valid_share(rng: random.Random) -> float:
    return 1.0 if rng.random() < 0.25 else 0.85


def dumps(document: object) -> bytes:
    # NaN/Infinity go out as JSON's non-standard literals; lone surrogates as \\ud800.
    return json.dumps(document).encode()


def raw_garbage(rng: random.Random) -> bytes:
    roll = rng.random()
    if roll < 0.3:
        n = rng.randint(21, 3000)
        return b"[" * n + b"]" * n
    if roll < 0.45:
        return bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 200)))
    if roll < 0.6:
        return b'{"external_id": "x", "lines": [' + b"1," * rng.randint(0, 50)
    if roll < 0.63:
        return b'{"comment": "' + b"x" * rng.randint(1_100_000, 1_600_000) + b'"}'
    return dumps(hostile(rng))


# ----------------------------------------------------------------------------- documents


def intake_body(rng: random.Random, i: int) -> bytes:
    if rng.random() < 0.15:
        return raw_garbage(rng)
    p = valid_share(rng)
    line = lambda: {  # noqa: E731
        "sku": maybe(rng, rng.choice(["BENCH-1", "BENCH-2"] * 5 + ["NOPE"]), p),
        "quantity": maybe(rng, rng.choice([1, "2.5", 3, "0.001"]), p),
        **({"price": maybe(rng, "13990.00", p)} if rng.random() < 0.4 else {}),
        **({"discount": maybe(rng, "990", p)} if rng.random() < 0.3 else {}),
    }
    document = {
        "external_id": maybe(rng, f"fuzz-{i}-{rng.randint(0, 3)}", p),
        "customer": maybe(
            rng,
            {
                "name": maybe(rng, "Анна Иванова", p),
                "email": maybe(rng, f"c{i}@fuzz.test", p),
                "phone": maybe(rng, "+7 900 000-00-01", p),
                "language": maybe(rng, "ru", p),
            },
        ),
        "lines": maybe(rng, [maybe(rng, line(), p) for _ in range(rng.randint(1, 4))], p),
        "delivery": maybe(
            rng,
            {
                "method": maybe(rng, rng.choice(["pickup", "courier", "carrier"]), p),
                "address": maybe(rng, "Москва, ул. Лесная, 5", p),
                "cost": maybe(rng, "700", p),
            },
        ),
        "comment": maybe(rng, "Позвоните заранее", p),
    }
    for field in list(document):
        if p < 1 and rng.random() < 0.08:
            del document[field]
    return dumps(document)


def payment_body(rng: random.Random, i: int, invoices: list[tuple[str, str, str]]) -> bytes:
    if rng.random() < 0.15:
        return raw_garbage(rng)
    p = valid_share(rng)
    number, _order, amount = rng.choice(invoices)
    document = {
        "invoice": maybe(rng, number, p),
        "amount": maybe(rng, rng.choice([amount, "100.00", 250, "0.01", "99999999999.99"]), p),
        "paid_at": maybe(rng, rng.choice(["2026-11-25T12:00:00+03:00", "2026-11-25"]), p),
        "reference": maybe(rng, f"pp-{rng.randint(0, 3000)}", p),
        "currency": maybe(rng, "RUB", p),
    }
    for field in list(document):
        if p < 1 and rng.random() < 0.08:
            del document[field]
    return dumps(document)


def form_value(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def cloudpayments_body(rng: random.Random, i: int, invoices: list[tuple[str, str, str]]) -> bytes:
    roll = rng.random()
    if roll < 0.1:
        return raw_garbage(rng)
    if roll < 0.15:
        return b"TransactionId=1&Amount=%00&InvoiceId=%FF%FE&Data=" + b"%7B" * 50
    p = valid_share(rng)
    number, order_number, amount = rng.choice(invoices)
    fields = {
        "TransactionId": maybe(rng, 700000 + rng.randint(0, 5000), p),
        "Amount": maybe(rng, rng.choice([amount, "100.00", "0.01"]), p),
        "Currency": maybe(rng, "RUB", p),
        "DateTime": maybe(rng, "2026-11-26 10:15:00", p),
        "CardFirstSix": maybe(rng, "424242", p),
        "CardLastFour": maybe(rng, "4242", p),
        "CardType": maybe(rng, "Visa", p),
        "TestMode": maybe(rng, "0", p),
        "Status": maybe(rng, rng.choice(["Completed", "Authorized", "Declined"]), p),
        "OperationType": maybe(rng, rng.choice(["Payment", "Refund"]), p),
        "InvoiceId": maybe(rng, number, p),
        "AccountId": maybe(rng, order_number, p),
        "Email": maybe(rng, "client@fuzz.test", p),
        "PaymentTransactionId": maybe(rng, 700000 + rng.randint(0, 5000), p),
        "Reason": maybe(rng, "Insufficient funds", p),
        "Data": maybe(rng, '{"комментарий": "фузз"}', p),
    }
    fields = {k: v for k, v in fields.items() if p == 1 or rng.random() > 0.08}
    if rng.random() < 0.3:
        return dumps(fields)
    return urlencode({k: form_value(v) for k, v in fields.items()}, errors="surrogatepass").encode(
        errors="surrogatepass"
    )


def sign(body: bytes) -> str:
    return base64.b64encode(hmac.new(API_SECRET.encode(), body, hashlib.sha256).digest()).decode()


# ----------------------------------------------------------------------------- load


def build_requests(
    count: int, seed: int, invoices: list[tuple[str, str, str]], key: str
) -> list[tuple[str, str, bytes, dict[str, str]]]:
    """(endpoint label, path, body, headers) for every input, decided up front from the seed."""
    rng = random.Random(seed)
    requests = []
    json_headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    for i in range(count):
        roll = i % 20
        if roll < 5:
            requests.append(("intake", "/api/v1/orders/", intake_body(rng, i), json_headers))
        elif roll < 9:
            body = payment_body(rng, i, invoices)
            requests.append(("accounting", "/api/v1/payments/", body, json_headers))
        else:
            kind = rng.choice(CLOUDPAYMENTS_KINDS)
            body = cloudpayments_body(rng, i, invoices)
            signed = rng.random() < 0.6
            headers = {
                "Content-Type": "application/json"
                if body[:1] in (b"{", b"[")
                else "application/x-www-form-urlencoded"
            }
            if signed:
                headers["Content-HMAC"] = sign(body)
            label = f"cp/{kind} {'signed' if signed else 'unsigned'}"
            requests.append((label, f"/payments/cloudpayments/{kind}/", body, headers))
    return requests


def send_all(
    port: int, requests: list[tuple[str, str, bytes, dict[str, str]]], connections: int
) -> tuple[Counter, list[tuple[str, int, bytes]]]:
    counts: Counter = Counter()
    failures: list[tuple[str, int, bytes]] = []
    lock = threading.Lock()
    next_index = [0]

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= len(requests):
                break
            label, path, body, headers = requests[i]
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status: int | str = response.status
            except (OSError, http.client.HTTPException) as error:
                status = f"reset ({type(error).__name__})"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            with lock:
                counts[(label, status)] += 1
                if not isinstance(status, int) or status >= 500:
                    failures.append((label, status, body[:300]))
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return counts, failures


def print_counts(counts: Counter) -> None:
    labels = sorted({label for label, _ in counts})
    statuses = sorted({status for _, status in counts}, key=str)
    width = max(len(label) for label in labels) + 2
    print(f"{'endpoint':<{width}}" + "".join(f"{s!s:>8}" for s in statuses) + f"{'total':>8}")
    for label in labels:
        row = [counts.get((label, s), 0) for s in statuses]
        print(f"{label:<{width}}" + "".join(f"{n:>8}" for n in row) + f"{sum(row):>8}")
    totals = [sum(n for (_, s), n in counts.items() if s == status) for status in statuses]
    print(f"{'all':<{width}}" + "".join(f"{n:>8}" for n in totals) + f"{sum(totals):>8}")


def ledger_check() -> list[str]:
    """What would be a half-written order or payment, or a paid sum that does not add up."""
    from django.db.models import Count, DecimalField, F, Sum, Value
    from django.db.models.functions import Coalesce

    from invoices.models import Invoice, Payment
    from orders.models import Order

    zero = Value(0, output_field=DecimalField())
    problems = []
    orders = Order.objects.annotate(n=Count("lines"))
    if n := orders.filter(n=0).count():
        problems.append(f"{n} orders without lines")
    if n := orders.exclude(lines_count=F("n")).count():
        problems.append(f"{n} orders whose line count is not their lines")
    if n := Payment.objects.filter(invoice__isnull=True).count():
        problems.append(f"{n} payments without an invoice")
    invoices = Invoice.objects.annotate(received=Coalesce(Sum("payments__amount"), zero))
    if n := invoices.exclude(paid_amount=F("received")).count():
        problems.append(f"{n} invoices whose paid sum is not the sum of their payments")
    paid = Order.objects.annotate(received=Coalesce(Sum("payments__amount"), zero))
    if n := paid.exclude(paid_amount=F("received")).count():
        problems.append(f"{n} orders whose paid sum is not the sum of their payments")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--count", type=int, default=10_200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--connections", type=int, default=6)
    parser.add_argument("--invoices", type=int, default=40)
    args = parser.parse_args()

    import psycopg2

    dbname = f"conveyor_bench_fuzz_{os.getpid()}"
    admin = psycopg2.connect(args.pg.rstrip("/") + "/postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{dbname}"')
    workdir = Path(tempfile.mkdtemp(prefix="conveyor-fuzz-"))
    redis_port = free_port()
    redis = private_redis(redis_port, workdir)
    gunicorn = None
    try:
        env = server_env(
            pg=args.pg,
            dbname=dbname,
            redis_port=redis_port,
            workdir=workdir,
            # Error pages link static/ as it is: no collectstatic for the fuzzer.
            STATIC_MANIFEST="0",
            LOG_LEVEL="CRITICAL",
            DJANGO_SETTINGS_MODULE="config.settings",
        )
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        wait_port(redis_port)
        print(f"preparing {args.invoices} orders waiting for their prepayment…", flush=True)
        invoices = prepare_invoices(args.invoices)
        from orders.models import ApiScope
        from orders.services.api_keys import api_key_create

        _key, key = api_key_create(name="Fuzz", scopes=ApiScope.values)
        from config.celery import app as celery_app

        celery_app.control.purge()
        from django.db import connections

        connections.close_all()

        requests = build_requests(args.count, args.seed, invoices, key)
        port = free_port()
        gunicorn = subprocess.Popen(
            [
                *(str(Path(sys.executable).parent / "gunicorn"), "config.wsgi:application"),
                *("--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "critical"),
                *("--chdir", str(ROOT)),
            ],
            env={**os.environ, **env},
            stderr=subprocess.DEVNULL,
        )
        wait_port(port)
        print(f"sending {len(requests)} generated inputs…", flush=True)
        started = time.perf_counter()
        counts, failures = send_all(port, requests, args.connections)
        elapsed = time.perf_counter() - started
        print(f"  done in {elapsed:.0f}s ({len(requests) / elapsed:.0f}/s)\n")
        print_counts(counts)

        from invoices.models import Payment, ProviderEvent

        pending = ProviderEvent.objects.filter(processed_at__isnull=True, signature_ok=True)
        queued = pending.count()
        worker = subprocess.Popen(
            [
                *(str(Path(sys.executable).parent / "celery"), "-A", "config", "worker"),
                *("-Q", "default", "-c", "2", "--loglevel", "CRITICAL"),
            ],
            env={**os.environ, **env},
            cwd=str(ROOT),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            last, still = -1, time.perf_counter()
            while time.perf_counter() - still < 15:
                left = pending.count()
                if left != last:
                    last, still = left, time.perf_counter()
                if left == 0:
                    break
                time.sleep(1)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)
        print(
            f"\nsigned notifications stored and queued: {queued}; left unapplied by the worker:"
            f" {pending.count()} (refused or waiting for a retry)"
        )
        print(f"payments recorded: {Payment.objects.count()}")
        problems = ledger_check()
        print("ledger: " + ("; ".join(problems) if problems else "whole (no partial writes)"))
        server_errors = sum(n for (_, s), n in counts.items() if not isinstance(s, int) or s >= 500)
        print(f"5xx or reset: {server_errors}")
        for label, status, body in failures[:10]:
            print(f"  {label} → {status}: {body!r}")
    finally:
        if gunicorn is not None:
            gunicorn.send_signal(signal.SIGTERM)
            gunicorn.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        redis.terminate()
        redis.wait(timeout=10)
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        admin.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
