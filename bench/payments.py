#!/usr/bin/env python
"""Payments under load, measured side by side with a trivial view on the same server.

gunicorn (2 workers) on loopback against PostgreSQL (a database of its own, created and
dropped here) and a private redis-server as the broker. Signed CloudPayments Pay
notifications, each for a different invoice, are sent at increasing fixed rates (open
loop), and the same rates hit a view that only answers {"code": 0}; then both are driven
flat out by a few connections to compare their throughput. Last, the PDF: render time per
invoice (1 page and 3 pages) and the memory over 500 renders, each in a fresh process, side
by side: warmed only by a few renders, and warmed as a Celery worker process warms itself.

    .venv/bin/python bench/payments.py [--pg postgres://postgres@127.0.0.1:5432]
        [--rates 25,50,100,200] [--seconds 4] [--pdf-only]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

API_SECRET = "bench-secret"
PUBLIC_ID = "pk_bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"nothing listens on {port} after {timeout}s")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def private_redis(port: int, workdir: Path) -> subprocess.Popen:
    """A redis-server of the bench's own, keeping nothing on disk."""
    return subprocess.Popen(
        [
            *("redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""),
            *("--appendonly", "no", "--dir", str(workdir)),
        ],
        stdout=subprocess.DEVNULL,
    )


def server_env(*, pg: str, dbname: str, redis_port: int, workdir: Path, **overrides: str) -> dict:
    """The environment of a bench's gunicorn and worker: DEBUG=0, its own database and
    broker, CloudPayments signed with the bench's secret."""
    return {
        "DATABASE_URL": f"{pg.rstrip('/')}/{dbname}",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "SECRET_KEY": "bench-only-secret-key",
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CLOUDPAYMENTS_PUBLIC_ID": PUBLIC_ID,
        "CLOUDPAYMENTS_API_SECRET": API_SECRET,
        "MEDIA_ROOT": str(workdir / "media"),
        **overrides,
    }


# ----------------------------------------------------------------------------- load


class Target:
    """One request kind: (method, path, body factory, headers factory)."""

    def __init__(
        self, name: str, method: str, path: str, make: Callable[[int], tuple[bytes, dict]]
    ):
        self.name = name
        self.method = method
        self.path = path
        self.make = make


def _request(conn: http.client.HTTPConnection, target: Target, i: int) -> tuple[float, bool]:
    body, headers = target.make(i)
    started = time.perf_counter()
    conn.request(target.method, target.path, body=body or None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - started
    return elapsed, response.status == 200 and data == b'{"code": 0}'


def open_loop(port: int, target: Target, rate: float, seconds: float, first: int) -> dict:
    """Requests start on a fixed schedule whatever the server does (open loop); latency is
    counted from the scheduled start, so a server that falls behind shows it."""
    total = int(rate * seconds)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    next_index = [0]
    start = time.perf_counter() + 0.2

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= total:
                break
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            try:
                body, headers = target.make(first + i)
                conn.request(target.method, target.path, body=body or None, headers=headers)
                response = conn.getresponse()
                data = response.read()
                ok = response.status == 200 and data == b'{"code": 0}'
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok = False
            finished = time.perf_counter()
            with lock:
                latencies.append(finished - due)
                if not ok:
                    errors[0] += 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(min(64, max(4, int(rate / 4))))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    return {
        "sent": total,
        "throughput": total / wall,
        "p50": pct(latencies, 50) * 1000,
        "p99": pct(latencies, 99) * 1000,
        "errors": errors[0],
    }


def closed_loop(port: int, target: Target, seconds: float, connections: int, first: int) -> dict:
    """As fast as `connections` clients can go: the server's throughput."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = [first]
    stop_at = time.perf_counter() + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < stop_at:
            with lock:
                i = counter[0]
                counter[0] += 1
            try:
                elapsed, ok = _request(conn, target, i)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                elapsed, ok = 0.0, False
            with lock:
                latencies.append(elapsed)
                errors[0] += not ok
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {
        "sent": len(latencies),
        "throughput": len(latencies) / wall,
        "p50": pct(latencies, 50) * 1000,
        "p99": pct(latencies, 99) * 1000,
        "errors": errors[0],
    }


# ----------------------------------------------------------------------------- data


def prepare_invoices(count: int) -> list[tuple[str, str, str]]:
    """`count` orders waiting for their prepayment, through the real services."""
    from django.contrib.auth.models import Group, User

    from invoices import services as invoice_services
    from orders import roles
    from orders.models import Customer, PaymentScheme, Source
    from production.models import Product

    try:
        from orders.services.orders import LineInput, order_update
        from pipeline.orders import order_create, order_qualify, order_take_into_work
    except ImportError:  # a tree before the pipeline package (bench/compare.py --base)
        from orders.services import (  # type: ignore[no-redef]
            LineInput,
            order_create,
            order_qualify,
            order_take_into_work,
            order_update,
        )
    try:
        from pipeline.promise import order_promise as promise
    except ImportError:  # a tree before promised dates: qualifying needs none

        def promise(**kwargs) -> None:
            return None

    # Setup only: the PDFs are measured separately below.
    invoice_services.invoice_queue_render = lambda invoice: None
    manager = User.objects.create_user("bench-manager", password="x")
    manager.groups.add(Group.objects.get(name=roles.SALES_MANAGERS))
    worker = User.objects.create_user("bench-maker", password="x")
    worker.groups.add(Group.objects.get(name=roles.PRODUCTION))
    table = Product.objects.create(
        sku="BENCH-1", name="Стол", price=Decimal("15000.00"), lead_time_days=3
    )
    chair = Product.objects.create(
        sku="BENCH-2", name="Стул", price=Decimal("4000.00"), lead_time_days=3
    )
    result = []
    for i in range(count):
        customer = Customer.objects.create(name=f"Клиент {i}", email=f"c{i}@bench.test")
        order = order_create(
            customer=customer,
            lines=[
                LineInput(product=table, quantity=Decimal(1)),
                LineInput(product=chair, quantity=Decimal(4)),
            ],
            source=Source.MANAGER,
            actor=manager,
            manager=manager,
        )
        order_take_into_work(order=order, actor=manager)
        order_update(order=order, actor=manager, payment_scheme=PaymentScheme.FULL_PREPAYMENT)
        promise(order=order, actor=manager)
        order = order_qualify(order=order, actor=manager)
        invoice = order.invoices.get()
        result.append((invoice.number, order.number, str(invoice.amount)))
    return result


def pay_notification(
    *,
    transaction_id: int | str,
    invoice_number: str,
    account_id: str,
    amount: str,
    secret: str = API_SECRET,
    currency: str = "RUB",
    email: str = "client@bench.test",
    **extra: str,
) -> tuple[bytes, dict]:
    """A signed CloudPayments Pay notification, form-encoded as CloudPayments sends it."""
    body = urlencode(
        {
            "TransactionId": transaction_id,
            "Amount": amount,
            "Currency": currency,
            "DateTime": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
            "CardFirstSix": "424242",
            "CardLastFour": "4242",
            "CardType": "Visa",
            "TestMode": "0",
            "Status": "Completed",
            "OperationType": "Payment",
            "InvoiceId": invoice_number,
            "AccountId": account_id,
            "Email": email,
            **extra,
        }
    ).encode()
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return body, {
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-HMAC": signature.decode(),
    }


def pay_target(invoices: list[tuple[str, str, str]]) -> Target:
    def make(i: int) -> tuple[bytes, dict]:
        number, order_number, amount = invoices[i]
        return pay_notification(
            transaction_id=500000 + i,
            invoice_number=number,
            account_id=order_number,
            amount=amount,
            Description=f"Оплата счёта {number}",
            Data='{"комментарий": "нагрузочный тест"}',
        )

    return Target("Pay notification", "POST", "/payments/cloudpayments/pay/", make)


def trivial_target() -> Target:
    return Target(
        "trivial view",
        "POST",
        "/bench/ping/",
        lambda i: (b"x=1", {"Content-Type": "application/x-www-form-urlencoded"}),
    )


# ----------------------------------------------------------------------------- PDF


def pdf_figures(renders: int = 500, warm: str = "worker") -> dict:
    """Render times and memory in this process, warmed like a Celery worker process
    (`renderer_warm`, as `worker_process_init` does) or only by five renders ("renders")."""
    import io

    from pypdf import PdfReader

    from invoices.models import Invoice
    from invoices.pdf import invoice_render_pdf_bytes, renderer_warm

    one_page = Invoice.objects.select_related("order__customer").order_by("id").first()
    three_pages = Invoice.objects.select_related("order__customer").order_by("id").last()
    # 90 lines fill three A4 pages with this template.
    three_pages.lines = [
        {
            "name": f"Шкаф дубовый модель №{i}",
            "sku": f"ШКФ-{i:03d}",
            "unit": "шт",
            "quantity": "2",
            "price": "12500.00",
            "discount": "0.00",
            "amount": "25000.00",
        }
        for i in range(90)
    ]
    pages = {
        "1 page": len(PdfReader(io.BytesIO(invoice_render_pdf_bytes(one_page))).pages),
        "3 pages": len(PdfReader(io.BytesIO(invoice_render_pdf_bytes(three_pages))).pages),
    }
    if warm == "worker":
        renderer_warm()
    for _ in range(5):
        invoice_render_pdf_bytes(one_page)
    times = {}
    for name, invoice, n in (("1 page", one_page, 200), ("3 pages", three_pages, 40)):
        samples = []
        for _ in range(n):
            started = time.perf_counter()
            invoice_render_pdf_bytes(invoice)
            samples.append((time.perf_counter() - started) * 1000)
        times[name] = (statistics.median(samples), pct(samples, 95), pages[name])
    memory = []
    for i in range(1, renders + 1):
        invoice_render_pdf_bytes(one_page if i % 10 else three_pages)
        if i in (1, 50, 100, 200, 300, 400, 500):
            memory.append((i, rss_mb()))
    return {"times": times, "memory": memory}


def pdf_in_subprocess(warm: str, renders: int) -> dict:
    """A fresh process, like a worker's: Django and the renderer only, not this load
    generator's heap."""
    import json

    out = subprocess.run(
        [sys.executable, __file__, "--pdf-process", warm, "--renders", str(renders)],
        env=os.environ.copy(),
        cwd=str(ROOT),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def print_pdf_figures(renders: int) -> None:
    rows = {warm: pdf_in_subprocess(warm, renders) for warm in ("renders", "worker")}
    print("PDF render per invoice, warm process; ms")
    print(f"{'':>8} | {'warmed by 5 renders':^25} | {'warmed like a worker':^25} | p95 ratio")
    for name in ("1 page", "3 pages"):
        (a50, a95, pages), (b50, b95, _) = (
            rows["renders"]["times"][name],
            rows["worker"]["times"][name],
        )
        print(
            f"{name:>8} | p50 {a50:6.1f}  p95 {a95:6.1f}   | p50 {b50:6.1f}  p95 {b95:6.1f}   "
            f"| {b95 / a95:.2f}   (PDF has {pages} page{'s' if pages != 1 else ''})"
        )
    for warm, label in (("renders", "warmed by 5 renders"), ("worker", "warmed like a worker")):
        print(f"memory (RSS) over {renders} renders, {label}:")
        print("  " + "  ".join(f"#{i}: {mb:.0f} MB" for i, mb in rows[warm]["memory"]))


# ----------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--rates", default="25,50,100,200")
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--saturation-seconds", type=float, default=4)
    parser.add_argument(
        "--saturation-rate",
        type=float,
        default=1200,
        help="the Pay rate expected flat out, to prepare enough fresh invoices for it",
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--renders", type=int, default=500)
    parser.add_argument("--pdf-only", action="store_true", help="only the PDF figures")
    parser.add_argument("--pdf-process", choices=("renders", "worker"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pdf_process:  # the child started by pdf_in_subprocess, environment inherited
        import json

        import django

        django.setup()
        print(json.dumps(pdf_figures(args.renders, args.pdf_process)))
        return
    rates = [float(r) for r in args.rates.split(",")]

    import psycopg2

    dbname = f"conveyor_bench_payments_{os.getpid()}"
    admin_url = args.pg.rstrip("/") + "/postgres"
    admin = psycopg2.connect(admin_url)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{dbname}"')
    workdir = Path(tempfile.mkdtemp(prefix="conveyor-bench-"))
    redis_port = free_port()
    redis = private_redis(redis_port, workdir)
    gunicorn = None
    try:
        env = server_env(
            pg=args.pg,
            dbname=dbname,
            redis_port=redis_port,
            workdir=workdir,
            LOG_LEVEL="WARNING",
            DJANGO_SETTINGS_MODULE="bench.bench_settings",
        )
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        wait_port(redis_port)
        needed = (
            int(sum(r * args.seconds for r in rates))
            + int(args.saturation_rate * args.saturation_seconds)
            + 40
        )
        if args.pdf_only:
            needed = 2
        print(f"preparing {needed} orders waiting for their prepayment…", flush=True)
        started = time.perf_counter()
        invoices = prepare_invoices(needed)
        print(f"  done in {time.perf_counter() - started:.0f}s", flush=True)
        # What the setup queued (invoice e-mails, payment links) is not what we measure.
        from config.celery import app as celery_app

        celery_app.control.purge()
        from django.db import connections

        connections.close_all()

        if not args.pdf_only:
            port = free_port()
            gunicorn = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "gunicorn"),
                    "config.wsgi:application",
                    "--workers",
                    "2",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--log-level",
                    "warning",
                    "--chdir",
                    str(ROOT),
                ],
                env={**os.environ, **env},
            )
            wait_port(port)
            pay, trivial = pay_target(invoices), trivial_target()
            # Warm both workers, their connections and code paths.
            closed_loop(port, trivial, 2, 4, 0)
            used = closed_loop(port, Target(pay.name, pay.method, pay.path, pay.make), 0, 1, 0)[
                "sent"
            ]
            for i in range(used, used + 20):
                _request(http.client.HTTPConnection("127.0.0.1", port, timeout=30), pay, i)
            used += 20
            rows = []
            for rate in rates:
                t = open_loop(port, trivial, rate, args.seconds, 0)
                p = open_loop(port, pay, rate, args.seconds, used)
                used += p["sent"]
                rows.append((f"{rate:.0f}/s", t, p))
            remaining = len(invoices) - used
            t = closed_loop(port, trivial, args.saturation_seconds, args.connections, 0)
            p = closed_loop(
                port,
                Target(
                    pay.name, pay.method, pay.path, lambda i: pay.make(min(i, len(invoices) - 1))
                ),
                args.saturation_seconds,
                args.connections,
                used,
            )
            if p["sent"] > remaining:
                print(f"  note: saturation ran out of fresh invoices after {remaining}", flush=True)
            rows.append((f"max ({args.connections} conn)", t, p))

            print()
            print("gunicorn 2 workers, PostgreSQL, loopback; latency in ms")
            print(f"{'offered':>16} | {'trivial view':^34} | {'Pay notification':^34} | ratio")
            print(
                f"{'':>16} | {'req/s':>8} {'p50':>7} {'p99':>7} {'err':>5}    "
                f"| {'req/s':>8} {'p50':>7} {'p99':>7} {'err':>5}    | pay/triv"
            )
            for label, t, p in rows:
                print(
                    f"{label:>16} | {t['throughput']:8.1f} {t['p50']:7.1f} {t['p99']:7.1f} "
                    f"{t['errors']:5d}    | {p['throughput']:8.1f} {p['p50']:7.1f} {p['p99']:7.1f} "
                    f"{p['errors']:5d}    | {p['throughput'] / t['throughput']:.2f}"
                )
            from invoices.models import Payment, ProviderEvent

            # The handler stores and queues; a Celery worker applies. Drain the queue with one
            # worker (2 processes) now that the load is over, and time it.
            pending = ProviderEvent.objects.filter(kind="pay", processed_at__isnull=True)
            queued = pending.count()
            worker = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "celery"),
                    "-A",
                    "config",
                    "worker",
                    "-Q",
                    "default",
                    "-c",
                    "2",
                    "--loglevel",
                    "WARNING",
                ],
                env={**os.environ, **env},
                cwd=str(ROOT),
            )
            started = time.perf_counter()
            try:
                while pending.exists() and time.perf_counter() - started < 600:
                    time.sleep(0.5)
                drained = time.perf_counter() - started
            finally:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=60)
            print(
                f"worker applied {queued} queued Pay notifications in {drained:.1f}s "
                f"({queued / drained:.0f}/s); left unapplied: {pending.count()}"
            )
            print(
                f"payments recorded: {Payment.objects.count()} "
                f"(distinct invoices paid: {Payment.objects.values('invoice').distinct().count()})"
            )

        print()
        connections.close_all()
        print_pdf_figures(args.renders)
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
