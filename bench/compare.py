#!/usr/bin/env python
"""This tree against an earlier commit, side by side in one run: the board, the order page,
a signed CloudPayments Pay notification, an invoice PDF and the deadline job.

Each side gets a checkout of its own (the earlier one in a temporary git worktree), a
PostgreSQL database of its own (created, migrated and dropped here) and a gunicorn with
DEBUG=0 and one worker, both running at once. Requests alternate between the sides one by
one (the order flips every round), so the load of the machine at any moment weighs on both
alike; the PDF renders alternate in batches, each side in its own warm process. Printed:
median and p95 per side and the ratio this tree / the earlier one (below 1 is faster).

    .venv/bin/python bench/compare.py [--base <commit>] [--rounds 300] [--invoices 300]
        [--renders 60] [--deadline-tasks 20000] [--deadline-passes 10] [--broker]
        [--pg postgres://postgres@127.0.0.1:5432]

Without --broker tasks run in the request (the embedded default, and what a notification
falls back to with the broker down); with it, both queue to a private redis-server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.payments import (  # noqa: E402
    API_SECRET,
    PUBLIC_ID,
    free_port,
    pay_notification,
    pct,
    wait_port,
)

SIDES = ("base", "head")


def side_env(
    root: Path, dbname: str, pg: str, static_root: Path, port: int, redis: str = ""
) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": str(root),
            "DATABASE_URL": f"{pg.rstrip('/')}/{dbname}",
            "DEBUG": "0",
            "SECRET_KEY": "compare-only-secret-key-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1,testserver",
            "SITE_URL": f"http://127.0.0.1:{port}",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CELERY_TASK_ALWAYS_EAGER": "0" if redis else "1",
            "CLOUDPAYMENTS_PUBLIC_ID": PUBLIC_ID,
            "CLOUDPAYMENTS_API_SECRET": API_SECRET,
            # No CloudPayments to call here: payment links fail fast, as in bench/payments.
            "CLOUDPAYMENTS_BASE_URL": "http://127.0.0.1:9/",
            "CLOUDPAYMENTS_TIMEOUT": "1",
            "STATIC_ROOT": str(static_root),
            "MEDIA_ROOT": str(static_root.parent / "media"),
            "LOG_LEVEL": "ERROR",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
    )
    if redis:
        # A broker nobody consumes: a notification is answered once stored and queued, as
        # in production, and the queued work waits.
        env["REDIS_URL"] = redis
    return env


# ----------------------------------------------------------------------------- child


def prepare(count: int) -> None:
    """In the side's own process and code: migrate, make invoices, a signed-in manager."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    from django.test import Client

    from bench.payments import prepare_invoices

    invoices = prepare_invoices(count)
    from django.contrib.auth.models import User

    manager = User.objects.get(username="bench-manager")
    client = Client()
    client.force_login(manager)
    print(json.dumps({"session": client.cookies["sessionid"].value, "invoices": invoices}))


def render_batches(batch: int) -> None:
    """A warm renderer answering "go" on stdin with the milliseconds of `batch` renders."""
    import django

    django.setup()
    from invoices.models import Invoice
    from invoices.pdf import invoice_render_pdf_bytes

    invoice = Invoice.objects.select_related("order__customer").order_by("id").first()
    for _ in range(5):
        invoice_render_pdf_bytes(invoice)
    print("ready", flush=True)
    for _line in sys.stdin:
        samples = []
        for _ in range(batch):
            started = time.perf_counter()
            invoice_render_pdf_bytes(invoice)
            samples.append((time.perf_counter() - started) * 1000)
        print(json.dumps(samples), flush=True)


def deadline_passes(size: int) -> None:
    """`size` open tasks, then per "go" on stdin one busy pass of the deadline job (2 % of
    the tasks to remind or escalate) and one idle pass a minute later, in milliseconds.
    The job is the side's own; the data comes from this tree's bench/deadlines.py."""
    import importlib.util

    os.environ.update(REDIS_URL="", CELERY_TASK_ALWAYS_EAGER="0")
    import django

    django.setup()
    spec = importlib.util.spec_from_file_location("head_deadlines", ROOT / "bench/deadlines.py")
    assert spec is not None and spec.loader is not None
    deadlines = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(deadlines)
    workers, customer = deadlines.seed_people()
    deadlines.add_tasks(0, size, workers=workers, customer=customer)
    print("ready", flush=True)
    minute = dt.timedelta(minutes=1)
    for _line in sys.stdin:
        deadlines.reset()
        busy, _report = deadlines.timed(deadlines.NOW)
        idle, _report = deadlines.timed(deadlines.NOW + minute)
        print(json.dumps([busy * 1000, idle * 1000]), flush=True)


# ----------------------------------------------------------------------------- parent


class Side:
    def __init__(self, name: str, root: Path, pg: str, work: Path, redis: str = "") -> None:
        self.name = name
        self.root = root
        self.port = free_port()
        self.dbname = f"conveyor_compare_{name}_{os.getpid()}"
        static = work / name / "static"
        static.mkdir(parents=True)
        self.env = side_env(root, self.dbname, pg, static, self.port, redis)
        self.server: subprocess.Popen | None = None
        self.renderer: subprocess.Popen | None = None
        self.deadliner: subprocess.Popen | None = None
        self.session = ""
        self.invoices: list[list[str]] = []
        self.samples: dict[str, list[float]] = {}

    def child(self, *args: str, **kwargs) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), *args],
            cwd=self.root,
            env=self.env,
            **kwargs,
        )

    def prepare(self, count: int) -> None:
        out = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child-prepare", str(count)],
            cwd=self.root,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        data = json.loads(out.strip().splitlines()[-1])
        self.session = data["session"]
        self.invoices = data["invoices"]

    def serve(self) -> None:
        self.server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--log-level",
                "warning",
            ],
            cwd=self.root,
            env=self.env,
        )
        wait_port(self.port)
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def request(self, method: str, path: str, body: bytes | None, headers: dict) -> float:
        started = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            status = response.status
            raise SystemExit(f"{self.name}: {method} {path} answered {status}: {data[:300]!r}")
        return elapsed

    def stop(self) -> None:
        for proc in (self.server, self.renderer, self.deadliner):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()


def pay_body(invoice: list[str], transaction_id: int) -> tuple[bytes, dict]:
    number, order_number, amount = invoice
    return pay_notification(
        transaction_id=transaction_id, invoice_number=number, account_id=order_number, amount=amount
    )


def measure(sides: list[Side], rounds: int) -> None:
    order_path = "/orders/{}/"
    for i in range(rounds):
        for side in sides if i % 2 else reversed(sides):
            cookie = {"Cookie": f"sessionid={side.session}"}
            board = side.request("GET", "/", None, cookie)
            order = side.invoices[i % len(side.invoices)][1]
            page = side.request("GET", order_path.format(order), None, cookie)
            samples = side.samples
            samples.setdefault("board (GET /)", []).append(board)
            samples.setdefault("order page", []).append(page)
            if i < len(side.invoices):
                body, headers = pay_body(side.invoices[i], 700000 + i)
                pay = side.request("POST", "/payments/cloudpayments/pay/", body, headers)
                samples.setdefault("Pay notification", []).append(pay)


def measure_pdf(sides: list[Side], renders: int, batch: int = 10) -> None:
    for side in sides:
        side.renderer = side.child(
            "--child-render",
            str(batch),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert side.renderer.stdout is not None
        line = side.renderer.stdout.readline()
        if line.strip() != "ready":
            raise SystemExit(f"{side.name}: the renderer did not start")
    for i in range(max(1, renders // batch)):
        for side in sides if i % 2 else reversed(sides):
            assert side.renderer is not None and side.renderer.stdin and side.renderer.stdout
            side.renderer.stdin.write("go\n")
            side.renderer.stdin.flush()
            side.samples.setdefault("invoice PDF render", []).extend(
                json.loads(side.renderer.stdout.readline())
            )


def measure_deadlines(sides: list[Side], size: int, passes: int) -> None:
    for side in sides:
        side.deadliner = side.child(
            "--child-deadlines", str(size), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert side.deadliner.stdout is not None
        if side.deadliner.stdout.readline().strip() != "ready":
            raise SystemExit(f"{side.name}: the deadline job did not start")
    for i in range(passes):
        for side in sides if i % 2 else reversed(sides):
            assert side.deadliner is not None and side.deadliner.stdin and side.deadliner.stdout
            side.deadliner.stdin.write("go\n")
            side.deadliner.stdin.flush()
            busy, idle = json.loads(side.deadliner.stdout.readline())
            side.samples.setdefault(f"deadlines, busy {size // 1000}k", []).append(busy)
            side.samples.setdefault(f"deadlines, idle {size // 1000}k", []).append(idle)


def report(sides: list[Side], base_ref: str) -> None:
    base, head = sides
    print(f"\nThis tree against {base_ref}, side by side; ms (ratio = this tree / earlier)")
    header = f"{'earlier p50':>11} {'p95':>7} | {'this p50':>9} {'p95':>7}"
    print(f"{'':<20} | {header} | ratio p50  p95")
    for name, before in base.samples.items():
        after = head.samples[name]
        b50, b95 = statistics.median(before), pct(before, 95)
        a50, a95 = statistics.median(after), pct(after, 95)
        print(
            f"{name:<20} | {b50:11.1f} {b95:7.1f} | {a50:9.1f} {a95:7.1f} |"
            f"  {a50 / b50:5.2f} {a95 / b95:5.2f}   (n={len(after)})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", default="HEAD~1", help="the earlier commit")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--invoices", type=int, default=300)
    parser.add_argument("--renders", type=int, default=60)
    parser.add_argument(
        "--broker",
        action="store_true",
        help="queue to a private redis-server instead of running tasks in the request",
    )
    parser.add_argument("--child-prepare", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--deadline-tasks", type=int, default=20000, help="open tasks for the deadline job"
    )
    parser.add_argument("--deadline-passes", type=int, default=10)
    parser.add_argument("--child-render", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-deadlines", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_deadlines is not None:
        sys.path.insert(0, os.getcwd())
        return deadline_passes(args.child_deadlines)
    if args.child_prepare is not None or args.child_render is not None:
        # A child runs its side's own code, this file's helpers included.
        sys.path.insert(0, os.getcwd())
        for name in [m for m in sys.modules if m == "bench" or m.startswith("bench.")]:
            del sys.modules[name]
        if args.child_prepare is not None:
            return prepare(args.child_prepare)
        return render_batches(args.child_render)

    import psycopg2

    work = Path(tempfile.mkdtemp(prefix="conveyor-compare-"))
    base_root = work / "base-tree"
    subprocess.run(
        ["git", "worktree", "add", "--detach", "--quiet", str(base_root), args.base],
        cwd=ROOT,
        check=True,
    )
    admin = psycopg2.connect(args.pg.rstrip("/") + "/postgres")
    admin.autocommit = True
    redis = None
    brokers = ["", ""]
    if args.broker:
        redis_port = free_port()
        redis = subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_port(redis_port)
        brokers = [f"redis://127.0.0.1:{redis_port}/{n}" for n in (0, 1)]
    sides = [
        Side("base", base_root, args.pg, work, brokers[0]),
        Side("head", ROOT, args.pg, work, brokers[1]),
    ]
    try:
        for side in sides:
            admin.cursor().execute(f'CREATE DATABASE "{side.dbname}"')
            print(f"{side.name}: migrating and preparing {args.invoices} invoices…", flush=True)
            side.prepare(args.invoices)
            side.serve()
        measure(sides, 3)  # warm both servers before counting
        for side in sides:
            side.samples.clear()
        sides[0].invoices, sides[1].invoices = sides[0].invoices[3:], sides[1].invoices[3:]
        measure(sides, args.rounds)
        measure_pdf(sides, args.renders)
        if args.deadline_passes:
            measure_deadlines(sides, args.deadline_tasks, args.deadline_passes)
        report(sides, args.base)
    finally:
        for side in sides:
            side.stop()
        if redis is not None:
            redis.terminate()
        for side in sides:
            admin.cursor().execute(f'DROP DATABASE IF EXISTS "{side.dbname}" WITH (FORCE)')
        subprocess.run(["git", "worktree", "remove", "--force", str(base_root)], cwd=ROOT)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
