#!/usr/bin/env python
"""The pipeline at full speed: orders driven through the whole funnel against a live stack,
as fast as it takes them; orders a minute, the time of each step and the worker's time per
task kind.

The stack is the soak's (bench/soak.py) without its faults: gunicorn (DEBUG=0, one pool of
2 processes), Celery worker pools (prefork, 2 processes each, every queue), one beat,
PostgreSQL (a database created here from a migrated template, dropped at the end), a private
redis-server, the fake CloudPayments for payment links, and an SMTP sink on loopback that
counts the messages and the connections they came over. Each order goes the soak's way: the
shop's intake API, the manager's session takes and qualifies it (half prepaid), a signed
CloudPayments Pay notification, the production worker's session finishes each line, the
accounting import pays the balance, the manager enters the delivery details and logistics
completes the delivery. Orders are fed as fast as the funnel takes them, with at most
--in-flight open at once; a run ends when every order is won and its e-mails and PDFs are
done. Besides wall times it prints CPU times (the pools' from /proc, each task's from the
worker's TASK_COST_LOG lines), which hold on a machine busy with other work. What the
figures mean: docs/pipeline-speed.md.

`--workers 1,2` runs the funnel twice, with one worker pool and then with two (the
scale-out path: more workers, sharing only PostgreSQL, Redis and the media storage), each on
a fresh copy of the same database, and prints them side by side.

    .venv/bin/python bench/pipeline.py [--orders 300] [--workers 1,2] [--in-flight 60]
        [--pg postgres://postgres@127.0.0.1:5432]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import re
import resource
import shutil
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.payments import free_port, pct, server_env  # noqa: E402
from bench.soak import API_SECRET, BIN, PUBLIC_ID, Driver, Http, Stack, log, prepare  # noqa: E402

# The queues a worker pool takes (config/settings.py CELERY_TASK_ROUTES).
QUEUES = "pdf,email,default"
TASK_LINE = re.compile(r"Task (?P<name>[\w.]+)\[[^\]]+\] (?P<outcome>succeeded|raised|retry)")
TASK_COST = re.compile(r"task cost (?P<name>[\w.]+) cpu (?P<cpu>[\d.]+) wall (?P<wall>[\d.]+)")


# ----------------------------------------------------------------------------- SMTP sink


class SmtpSink(socketserver.ThreadingTCPServer):
    """Just enough SMTP to take messages: counts the connections and the messages."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpSession)
        self.lock = threading.Lock()
        self.connections = 0
        self.messages = 0
        self.port = self.server_address[1]

    def start(self) -> SmtpSink:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def counts(self) -> tuple[int, int]:
        with self.lock:
            return self.connections, self.messages


class _SmtpSession(socketserver.StreamRequestHandler):
    server: SmtpSink

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        with self.server.lock:
            self.server.connections += 1
        self.reply("220 sink")
        while line := self.rfile.readline():
            verb = line.decode("latin-1").strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 sink")
            elif verb == "DATA":
                self.reply("354 go on")
                while self.rfile.readline() not in (b".\r\n", b".\n", b""):
                    pass
                with self.server.lock:
                    self.server.messages += 1
                self.reply("250 taken")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:  # MAIL, RCPT, RSET, NOOP
                self.reply("250 ok")


# ----------------------------------------------------------------------------- the stack


class PipelineStack(Stack):
    """The soak's stack with `pools` worker pools (each its own main process, 2 pool
    processes, every queue) and each pool's log of its own, read for the task timings."""

    def __init__(self, workdir: Path, env: dict[str, str], redis_port: int, web_port: int, pools):
        super().__init__(workdir, env, redis_port, web_port)
        self.pools: list[subprocess.Popen] = []
        self.pool_count = pools

    def start_web(self) -> None:
        with self.client_named("web"):
            super().start_web()

    def start_beat(self) -> None:
        with self.client_named("beat"):
            super().start_beat()

    @contextlib.contextmanager
    def client_named(self, name: str):
        """The processes started meanwhile name themselves `name` to PostgreSQL (so its
        CPU is told apart by client)."""
        env = self.env
        self.env = {**env, "PGAPPNAME": name}
        try:
            yield
        finally:
            self.env = env

    def start_worker(self) -> None:
        for n in range(self.pool_count):
            self.pools.append(
                subprocess.Popen(
                    [
                        *(str(BIN / "celery"), "-A", "config", "worker", "-n", f"pool{n}@%h"),
                        *("-Q", QUEUES, "--pool", "prefork", "--concurrency", "2"),
                        *("--loglevel", "INFO", "--without-gossip", "--without-mingle"),
                    ],
                    cwd=ROOT,
                    env={**self.env, "PGAPPNAME": "worker"},
                    stdout=(self.workdir / f"pool{n}.log").open("ab"),
                    stderr=subprocess.STDOUT,
                )
            )

    def pids(self) -> dict[str, int]:
        """The processes whose CPU time is counted: the web pool, each worker pool, the
        beat and redis."""
        assert self.web is not None and self.beat is not None and self.redis is not None
        pids = {"web": self.web.pid, "beat": self.beat.pid, "redis": self.redis.pid}
        pids.update({f"pool{n}": process.pid for n, process in enumerate(self.pools)})
        return pids

    def stop(self) -> None:
        for process in self.pools:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.pools:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        super().stop()


def cpu_seconds(pid: int, *, children: bool = True) -> float:
    """CPU time (user + system) of a process and its living children, from /proc: what a
    pool cost whatever else the machine was running."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    kids = ""
    if children:
        kids = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    for each in [pid, *map(int, kids.split())]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def own_cpu_seconds() -> float:
    """This process's CPU time: the driver's threads, with the fake CloudPayments and the
    SMTP sink that run in it."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class PgCpu(threading.Thread):
    """CPU time of the PostgreSQL backends serving one database (other databases on the
    same server are other people's work), by the client each serves (its
    application_name: PGAPPNAME in each process's environment): its backends' pids from
    pg_stat_activity, each one's CPU from /proc, sampled every second (the stack keeps its
    connections: a backend that ends between two samples is rare, and loses at most its
    last second)."""

    def __init__(self, dsn: str, dbname: str):
        super().__init__(daemon=True)
        self.dsn, self.dbname = dsn, dbname
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.client: dict[int, str] = {}
        self.done = threading.Event()

    def run(self) -> None:
        import psycopg2

        connection = psycopg2.connect(self.dsn)
        connection.autocommit = True
        own = connection.get_backend_pid()
        started = True
        try:
            while not self.done.is_set():
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pid, application_name FROM pg_stat_activity WHERE datname = %s",
                        [self.dbname],
                    )
                    rows = [(pid, app) for pid, app in cursor.fetchall() if pid != own]
                for pid, app in rows:
                    spent = cpu_seconds(pid, children=False)
                    # A backend already there when counting starts counts from then on.
                    self.first.setdefault(pid, spent if started else 0.0)
                    self.last[pid] = max(self.last.get(pid, 0.0), spent)
                    self.client[pid] = app or "other"
                started = False
                self.done.wait(1.0)
        finally:
            connection.close()

    def seconds(self) -> dict[str, float]:
        """CPU seconds by client (web, worker, beat, driver)."""
        spent: Counter[str] = Counter()
        for pid, last in self.last.items():
            spent[self.client[pid]] += last - self.first[pid]
        return dict(spent)


class TimedHttp(Http):
    """The soak's client, timing every request by its kind."""

    def __init__(self, base: str):
        super().__init__(base)
        self.times: dict[str, list[float]] = defaultdict(list)

    def request(self, session: requests.Session, kind: str, method: str, path: str, **kw):
        started = time.perf_counter()
        try:
            return super().request(session, kind, method, path, **kw)
        finally:
            with self.lock:
                self.times[kind].append(time.perf_counter() - started)


# ----------------------------------------------------------------------------- one run


def worker_times(workdir: Path) -> dict[str, tuple[int, float, float, int]]:
    """Per task name: runs, wall seconds, CPU seconds (the task's own process), failures;
    from the pools' logs (TASK_COST_LOG's line per run, Celery's line for the outcome)."""
    runs: Counter[str] = Counter()
    wall: Counter[str] = Counter()
    cpu: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for path in workdir.glob("pool*.log"):
        for line in path.read_text(errors="replace").splitlines():
            if match := TASK_COST.search(line):
                name = match["name"].rsplit(".", 1)[-1]
                runs[name] += 1
                cpu[name] += float(match["cpu"]) / 1000
                wall[name] += float(match["wall"]) / 1000
            elif (match := TASK_LINE.search(line)) and match["outcome"] != "succeeded":
                failed[match["name"].rsplit(".", 1)[-1]] += 1
    return {name: (runs[name], wall[name], cpu[name], failed[name]) for name in runs}


def stage_dwell(numbers: list[str]) -> dict[str, list[float]]:
    """Seconds each order stayed in each stage, from the timeline's stage entries."""
    from orders.models import TimelineEvent

    entries = defaultdict(list)
    rows = (
        TimelineEvent.objects.filter(order__number__in=numbers)
        .exclude(to_stage="")
        .order_by("order_id", "created_at", "id")
        .values_list("order_id", "to_stage", "created_at")
    )
    for order_id, stage, at in rows:
        entries[order_id].append((stage, at))
    dwell: dict[str, list[float]] = defaultdict(list)
    for stages in entries.values():
        for (stage, at), (_, after) in itertools.pairwise(stages):
            dwell[stage].append((after - at).total_seconds())
    return dwell


def run_funnel(args, *, pools: int, template: str, keys: dict[str, str], sink: SmtpSink, cp_url):
    import psycopg2

    dbname = f"{template.removesuffix('_tpl')}_{pools}w"
    admin = psycopg2.connect(args.pg.rstrip("/") + "/postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{dbname}" TEMPLATE "{template}"')
    if os.environ.get("PIPELINE_LOG_SQL"):
        # Every statement of the run in the server's log, with its duration and client
        # (log_line_prefix %a), for counting statements per step.
        admin.cursor().execute(f'ALTER DATABASE "{dbname}" SET log_min_duration_statement = 0')
    workdir = Path(tempfile.mkdtemp(prefix="conveyor-pipeline-"))
    redis_port, web_port = free_port(), free_port()
    env = {
        **os.environ,
        **server_env(
            pg=args.pg,
            dbname=dbname,
            redis_port=redis_port,
            workdir=workdir,
            DJANGO_SETTINGS_MODULE="config.settings",
            SECRET_KEY="pipeline-only-secret-key-" + "x" * 40,
            SITE_URL=f"http://127.0.0.1:{web_port}",
            CSRF_TRUSTED_ORIGINS=f"http://127.0.0.1:{web_port}",
            CLOUDPAYMENTS_PUBLIC_ID=PUBLIC_ID,
            CLOUDPAYMENTS_API_SECRET=API_SECRET,
            CLOUDPAYMENTS_BASE_URL=cp_url,
            CLOUDPAYMENTS_TIMEOUT="2",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(sink.port),
            EMAIL_USE_TLS="0",
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            TASK_COST_LOG="1",
            LOG_LEVEL="WARNING",
            STATIC_MANIFEST="0",
            PYTHONUNBUFFERED="1",
        ),
    }
    # This process reads the same database to choose each order's next step.
    from django.conf import settings
    from django.db import connections

    connections.close_all()
    settings.DATABASES["default"]["NAME"] = dbname
    stack = PipelineStack(workdir, env, redis_port, web_port, pools)
    mail_before = sink.counts()
    try:
        stack.start_redis()
        stack.start_web()
        stack.start_worker()
        stack.start_beat()
        time.sleep(3)  # the pools warm their PDF renderers
        log(f"{pools} worker pool(s) up: web :{web_port}, redis :{redis_port}, in {workdir}")
        pg = PgCpu(args.pg.rstrip("/") + "/postgres", dbname)
        pg.start()
        before = {name: cpu_seconds(pid) for name, pid in stack.pids().items()}
        before["driver"] = own_cpu_seconds()
        result = drive(args, stack, keys)
        after = {name: cpu_seconds(pid) for name, pid in stack.pids().items()}
        after["driver"] = own_cpu_seconds()
        pg.done.set()
        pg.join()
        result["cpu"] = {name: after[name] - before.get(name, 0.0) for name in after}
        result["pg"] = pg.seconds()
        if os.environ.get("PIPELINE_LOG_SQL"):  # whose statements the log's pids are
            (workdir / "pg-clients.txt").write_text(
                "".join(f"{pid} {client}\n" for pid, client in pg.client.items())
            )
        result["cpu"]["postgres"] = sum(result["pg"].values())
    finally:
        stack.stop()
        connections.close_all()
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        admin.close()
    result["tasks"] = worker_times(workdir)
    connected, mailed = sink.counts()
    result["smtp"] = (connected - mail_before[0], mailed - mail_before[1])
    result["pools"] = pools
    if os.environ.get("PIPELINE_KEEP"):
        log(f"kept {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def drive(args, stack: Stack, keys: dict[str, str]) -> dict:
    from django.db import close_old_connections, connection
    from django.db.models import F

    from orders.models import Order, Stage

    http = TimedHttp(f"http://127.0.0.1:{stack.web_port}")
    names = {"manager": "soak-manager", "production": "soak-maker", "logistics": "soak-courier"}
    local = threading.local()
    signed_in: dict[str, requests.Session] = {}
    signing_in = threading.Lock()

    def session_of(role: str) -> requests.Session:
        """Each person signs in once (a password check is a third of a second of the web
        pool's CPU); each driver thread works in a tab of its own with that sign-in."""
        if not hasattr(local, "sessions"):
            local.sessions = {}
        if role not in local.sessions:
            with signing_in:
                if role not in signed_in:
                    signed_in[role] = http.login(names[role])
            tab = requests.Session()
            tab.cookies.update(signed_in[role].cookies)
            local.sessions[role] = tab
        return local.sessions[role]

    driver = Driver(http, keys, {})
    stop = threading.Event()
    won_at: list[float] = []
    started = time.monotonic()

    def feed() -> None:
        for i in range(args.orders):
            while not stop.is_set() and len(driver.numbers) - len(won_at) >= args.in_flight:
                time.sleep(0.05)
            if stop.is_set():
                break
            driver.intake(i)

    def work(shard: int) -> None:
        driver.work(shard, shards=args.threads, session_of=session_of, stop=stop, pause=0.25)

    threads = [threading.Thread(target=feed)] + [
        threading.Thread(target=work, args=(n,)) for n in range(args.threads)
    ]
    for thread in threads:
        thread.start()
    last_change, last_won = time.monotonic(), 0
    loads: list[float] = []
    try:
        while True:
            loads.append(os.getloadavg()[0])
            close_old_connections()
            won = Order.objects.filter(stage=Stage.WON).count()
            now = time.monotonic()
            won_at.extend([now - started] * (won - len(won_at)))
            if won != last_won:
                last_change, last_won = now, won
            if won >= args.orders:
                break
            if now - last_change > args.quiet_seconds:
                log(f"no progress for {args.quiet_seconds} s: stop waiting")
                break
            if int(now - started) // 10 != int(now - started - 0.5) // 10:
                log(f"won {won}/{args.orders}")
            time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
    wall = time.monotonic() - started
    load = sum(loads) / max(len(loads), 1)
    # The work the orders left behind: client e-mails still to send, PDFs still to render.
    from invoices.models import Invoice
    from orders.models import NotificationStatus, TimelineEvent

    pending_mail = TimelineEvent.objects.filter(
        notification_status__in=[NotificationStatus.QUEUED, NotificationStatus.SENDING]
    )
    pending_pdf = Invoice.objects.filter(pdf_version__lt=F("content_version"))
    while time.monotonic() - started < wall + args.quiet_seconds:
        close_old_connections()
        if not pending_mail.exists() and not pending_pdf.exists():
            break
        time.sleep(0.5)
    drained = time.monotonic() - started
    left = (pending_mail.count(), pending_pdf.count())
    close_old_connections()
    numbers = list(driver.numbers.values())
    result = {
        "orders": args.orders,
        "won": len(won_at),
        "wall": wall,
        "drained": drained,
        "left": left,
        "load": load,
        "won_at": won_at,
        "http": dict(http.times),
        "errors": dict(http.errors),
        "dwell": stage_dwell(numbers),
    }
    connection.close()
    return result


# ----------------------------------------------------------------------------- report


STAGES = [
    "new",
    "qualification",
    "prepayment",
    "production",
    "postpayment",
    "delivery_details",
    "delivery",
]


def report(results: list[dict]) -> None:
    for r in results:
        per_min = r["won"] / r["drained"] * 60
        # The steady part: between the 10th and the 90th percentile of orders won.
        won_at = r["won_at"]
        steady = float("nan")
        if len(won_at) >= 20:
            a, b = won_at[len(won_at) // 10], won_at[len(won_at) * 9 // 10]
            steady = (len(won_at) * 8 // 10) / (b - a) * 60 if b > a else float("nan")
        print()
        print(
            f"== {r['pools']} worker pool(s) × 2 processes: {r['won']}/{r['orders']} orders won "
            f"in {r['wall']:.0f} s, their e-mails and PDFs done at {r['drained']:.0f} s: "
            f"{per_min:.0f} orders/min; while winning {steady:.0f}/min (10th–90th percentile)"
        )
        print(
            f"   answers >= 500: {sum(r['errors'].values())} {r['errors']}; left undone: "
            f"{r['left'][0]} e-mails, {r['left'][1]} PDFs"
        )
        print(f"   {'step (HTTP)':<26} {'count':>6} {'mean ms':>8} {'p50':>7} {'p95':>7}")
        for kind, times in sorted(r["http"].items()):
            ms = [t * 1000 for t in times]
            print(
                f"   {kind:<26} {len(ms):6d} {sum(ms) / len(ms):8.1f} {pct(ms, 50):7.1f} "
                f"{pct(ms, 95):7.1f}"
            )
        print(f"   {'time in stage (s)':<26} {'orders':>6} {'mean':>8} {'p50':>7} {'p95':>7}")
        for stage in STAGES:
            values = r["dwell"].get(stage, [])
            if values:
                print(
                    f"   {stage:<26} {len(values):6d} {sum(values) / len(values):8.2f} "
                    f"{pct(values, 50):7.2f} {pct(values, 95):7.2f}"
                )
        capacity = r["pools"] * 2 * r["drained"]
        busy = sum(wall for _, wall, _, _ in r["tasks"].values())
        busy_cpu = sum(cpu for _, _, cpu, _ in r["tasks"].values())
        print(
            f"   worker: busy {busy:.0f} s of {capacity:.0f} s ({busy / capacity:.0%}); per order "
            f"won {busy / max(r['won'], 1) * 1000:.0f} ms in tasks, "
            f"{busy_cpu / max(r['won'], 1) * 1000:.0f} ms of it on a CPU"
        )
        print(
            f"   {'task':<28} {'runs':>6} {'/order':>7} {'wall ms':>8} {'cpu ms':>7} "
            f"{'cpu/order':>9} {'share':>6} {'failed':>6}"
        )
        for name, (runs, wall, cpu, failed) in sorted(
            r["tasks"].items(), key=lambda item: -item[1][2]
        ):
            print(
                f"   {name:<28} {runs:6d} {runs / max(r['won'], 1):7.2f} "
                f"{wall / runs * 1000:8.1f} {cpu / runs * 1000:7.1f} "
                f"{cpu / max(r['won'], 1) * 1000:9.1f} {cpu / max(busy_cpu, 1e-9):6.0%} {failed:6d}"
            )
        won = max(r["won"], 1)
        pools_cpu = sum(v for k, v in r["cpu"].items() if k.startswith("pool"))
        print(
            f"   CPU per order won: worker pools {pools_cpu / won * 1000:.0f} ms, web "
            f"{r['cpu']['web'] / won * 1000:.0f} ms; with the worker pools alone on 2 cores: "
            f"{2 * 60 / max(pools_cpu / won, 1e-9):.0f} orders/min; machine load during the run "
            f"{r['load']:.1f}"
        )
        every = {"worker pools": pools_cpu} | {
            name: r["cpu"][name] for name in ("web", "postgres", "driver", "redis", "beat")
        }
        total = sum(every.values())
        print(
            "   CPU per order, every process of the stack: "
            + ", ".join(f"{name} {seconds / won * 1000:.0f}" for name, seconds in every.items())
            + f"; in all {total / won * 1000:.0f} ms: {2 * 60 / max(total / won, 1e-9):.0f} "
            "orders/min on 2 cores"
        )
        print(
            "   PostgreSQL's CPU per order by client: "
            + ", ".join(
                f"{name} {seconds / won * 1000:.0f}"
                for name, seconds in sorted(r["pg"].items(), key=lambda item: -item[1])
            )
        )
        connected, mailed = r["smtp"]
        print(
            f"   SMTP: {mailed} messages over {connected} connections "
            f"({mailed / max(connected, 1):.1f} a connection)"
        )
    if len(results) > 1:
        base = results[0]["won"] / results[0]["drained"]
        print()
        print("scale-out, side by side in this run:")
        for r in results:
            rate = r["won"] / r["drained"]
            ratio = f"×{rate / base:.2f}" if base else "×–"
            print(f"   {r['pools']} pool(s): {rate * 60:6.0f} orders/min   {ratio}")


# ----------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--workers", default="1", help="worker pools per run, e.g. 1,2")
    parser.add_argument("--in-flight", type=int, default=60, help="open orders at most")
    parser.add_argument("--threads", type=int, default=6, help="driver threads")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--quiet-seconds", type=int, default=120)
    args = parser.parse_args()
    pools = [int(n) for n in args.workers.split(",")]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    import psycopg2

    template = f"conveyor_hpipe_{os.getpid()}_tpl"
    admin = psycopg2.connect(args.pg.rstrip("/") + "/postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{template}"')
    from tests.invoices.fake_cloudpayments import FakeCloudPayments

    fake_cp = FakeCloudPayments(PUBLIC_ID, API_SECRET).start()
    sink = SmtpSink().start()
    workdir = Path(tempfile.mkdtemp(prefix="conveyor-pipeline-"))
    os.environ.update(
        server_env(
            pg=args.pg,
            dbname=template,
            redis_port=free_port(),
            workdir=workdir,
            DJANGO_SETTINGS_MODULE="config.settings",
            SECRET_KEY="pipeline-only-secret-key-" + "x" * 40,
            LOG_LEVEL="WARNING",
            STATIC_MANIFEST="0",
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            PGAPPNAME="driver",
        )
    )
    results = []
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        started = time.monotonic()
        call_command("migrate", verbosity=0)
        keys: dict[str, str] = {}
        prepare(keys)
        connections.close_all()
        log(f"template database ready in {time.monotonic() - started:.0f} s")
        for n in pools:
            results.append(
                run_funnel(
                    args, pools=n, template=template, keys=keys, sink=sink, cp_url=fake_cp.url
                )
            )
    finally:
        fake_cp.stop()
        sink.shutdown()
        from django.db import connections

        connections.close_all()
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        admin.close()
        shutil.rmtree(workdir, ignore_errors=True)
    report(results)


if __name__ == "__main__":
    main()
