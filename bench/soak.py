#!/usr/bin/env python
"""The soak: orders driven through the whole funnel over HTTP while the broker is stopped
and the worker is killed, then a count of what was lost, doubled or left stuck.

A live stack of its own: gunicorn (2 workers) on loopback, a Celery worker (prefork, 2
processes), one Celery beat, PostgreSQL (a database created and dropped here), a private
redis-server started here on another port with an append-only file (as docker-compose.yml
runs it), a fake CloudPayments for the payment links, and a file-based e-mail backend.
Each order goes as its systems and people would take it: the web shop's intake API, a
manager's session takes and qualifies it (partial prepayment), a signed CloudPayments Pay
notification pays the prepayment, the production worker's session finishes each line, the
accounting system imports the postpayment, the manager enters the delivery details and
logistics completes the delivery. Meanwhile Redis is stopped twice for 10–20 s and the
worker is killed with SIGKILL twice (its pool processes once, its main process once) and
started again as a supervisor would.

    .venv/bin/python bench/soak.py [--orders 600] [--pg postgres://postgres@127.0.0.1:5432]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import email
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.payments import free_port, pay_notification, wait_port  # noqa: E402

API_SECRET = "soak-secret"
PUBLIC_ID = "pk_soak"
PASSWORD = "soak-password-1"
# A step whose answer came but whose effect did not show is taken again after this long.
REPEAT_AFTER = 120
BIN = Path(sys.executable).parent


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


# ----------------------------------------------------------------------------- the stack


class Stack:
    def __init__(self, workdir: Path, env: dict[str, str], redis_port: int, web_port: int):
        self.workdir = workdir
        self.env = env
        self.redis_port = redis_port
        self.web_port = web_port
        self.redis: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.beat: subprocess.Popen | None = None
        self.web: subprocess.Popen | None = None
        self.logs = {
            name: (workdir / f"{name}.log").open("ab") for name in ("worker", "beat", "web")
        }

    def start_redis(self) -> None:
        self.redis = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--save",
                "",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_port(self.redis_port)

    def stop_redis(self) -> None:
        assert self.redis is not None
        self.redis.terminate()
        self.redis.wait(timeout=30)

    def start_worker(self) -> None:
        self.worker = subprocess.Popen(
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "-Q",
                "pdf,email,default",
                "--pool",
                "prefork",
                "--concurrency",
                "2",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.logs["worker"],
            stderr=subprocess.STDOUT,
        )

    def worker_children(self) -> list[int]:
        assert self.worker is not None
        out = subprocess.run(
            ["pgrep", "-P", str(self.worker.pid)], capture_output=True, text=True
        ).stdout
        return [int(pid) for pid in out.split()]

    def kill_worker_children(self) -> None:
        """SIGKILL to the pool processes while they work; the main process starts new ones
        and the tasks they held come back (acks_late, reject_on_worker_lost)."""
        for pid in self.worker_children():
            os.kill(pid, signal.SIGKILL)

    def kill_worker(self) -> None:
        """SIGKILL to the main process and its pool, then a new worker, as a supervisor
        would start one: the tasks they held come back after the visibility timeout."""
        assert self.worker is not None
        children = self.worker_children()
        os.kill(self.worker.pid, signal.SIGKILL)
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.worker.wait(timeout=30)
        self.start_worker()

    def start_beat(self) -> None:
        self.beat = subprocess.Popen(
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(self.workdir / "beat-schedule"),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.logs["beat"],
            stderr=subprocess.STDOUT,
        )

    def start_web(self) -> None:
        self.web = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "config.wsgi:application",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--timeout",
                "60",
                "--chdir",
                str(ROOT),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.logs["web"],
            stderr=subprocess.STDOUT,
        )
        wait_port(self.web_port)

    def stop(self) -> None:
        for process in (self.web, self.beat, self.worker):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
        if self.redis is not None and self.redis.poll() is None:
            self.redis.terminate()
            self.redis.wait(timeout=30)
        for handle in self.logs.values():
            handle.close()


# ----------------------------------------------------------------------------- HTTP


class FormParser(HTMLParser):
    """The forms of a page as a browser would submit them: inputs with their values,
    checked radios and checkboxes, selected options, textareas."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(
                {
                    "action": a.get("action", ""),
                    "method": a.get("method", "get").lower(),
                    "fields": {},
                    "names": set(),
                    "chosen": set(),
                }
            )
            return
        if not self.forms:
            return
        fields, names = self.forms[-1]["fields"], self.forms[-1]["names"]
        name = a.get("name")
        if tag == "input" and name:
            names.add(name)
            kind = a.get("type", "text").lower()
            if kind in ("radio", "checkbox") and "checked" not in a:
                return
            if kind in ("submit", "button", "image", "file"):
                return
            fields[name] = a.get("value", "on" if kind == "checkbox" else "")
        elif tag == "select" and name:
            names.add(name)
            self._select = name
            fields.setdefault(name, "")
        elif tag == "option" and self._select is not None:
            # The first option unless one is selected.
            chosen = self.forms[-1]["chosen"]
            if "selected" in a or self._select not in chosen:
                fields[self._select] = a.get("value", "")
                chosen.add(self._select)
        elif tag == "textarea" and name:
            names.add(name)
            self._textarea = name
            fields[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None and self.forms:
            self.forms[-1]["fields"][self._textarea] += data


class Http:
    """Requests with a count of answers ≥ 500 per kind; connection errors retried."""

    def __init__(self, base: str):
        self.base = base
        self.errors: Counter[str] = Counter()
        self.server_errors: list[tuple[str, int, str]] = []
        self.lock = threading.Lock()

    def request(self, session: requests.Session, kind: str, method: str, path: str, **kw):
        for _ in range(5):
            try:
                response = session.request(
                    method, self.base + path, timeout=60, allow_redirects=False, **kw
                )
            except requests.RequestException:
                time.sleep(1)
                continue
            if response.status_code >= 500:
                with self.lock:
                    self.errors[kind] += 1
                    self.server_errors.append((kind, response.status_code, path))
            return response
        raise RuntimeError(f"{kind} {path}: no answer")

    def login(self, username: str) -> requests.Session:
        session = requests.Session()
        page = self.request(session, "login page", "GET", "/login/")
        form = next(f for f in parse_forms(page.text) if "password" in f["names"])
        fields = {**form["fields"], "username": username, "password": PASSWORD}
        answer = self.request(
            session,
            "login",
            "POST",
            "/login/",
            data=fields,
            headers={"Referer": self.base + "/login/"},
        )
        if answer.status_code != 302:
            raise SystemExit(f"{username} could not sign in: {answer.status_code}")
        return session

    def post_form(
        self, session: requests.Session, kind: str, path: str, must_have: str, overrides: dict
    ) -> requests.Response | None:
        """GET the page, take its form that has `must_have`, change `overrides`, submit it."""
        page = self.request(session, kind + " page", "GET", path)
        if page.status_code != 200:
            return None
        forms = [
            f for f in parse_forms(page.text) if f["method"] == "post" and must_have in f["names"]
        ]
        if not forms:
            return None
        form = forms[0]
        fields = {**form["fields"], **overrides}
        return self.request(
            session,
            kind,
            "POST",
            form["action"] or path,
            data=fields,
            headers={"Referer": self.base + path},
        )

    def post(self, session: requests.Session, kind: str, path: str, data: dict | None = None):
        token = session.cookies.get("csrftoken", "")
        return self.request(
            session,
            kind,
            "POST",
            path,
            data={"csrfmiddlewaretoken": token, **(data or {})},
            headers={"Referer": self.base + "/", "X-CSRFToken": token},
        )


def parse_forms(html: str) -> list[dict]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


# ----------------------------------------------------------------------------- the funnel


class Driver:
    """Moves each order one step whenever its stage allows, as the people and systems of
    that step would; several threads share the orders."""

    def __init__(self, http: Http, keys: dict[str, str], sessions: dict[str, requests.Session]):
        self.http = http
        self.keys = keys
        self.sessions = sessions
        self.numbers: dict[int, str] = {}
        self.pay_sent: dict[str, int] = {}  # transaction id → invoice id
        self.imports_sent: dict[str, int] = {}  # reference → invoice id
        self.lock = threading.Lock()
        self.last_action: dict[tuple[int, str], float] = {}
        # Whether the last action on (order, stage) was answered as done (2xx/3xx).
        self.answered: dict[tuple[int, str], bool] = {}

    def intake(self, i: int) -> None:
        body = {
            "external_id": f"soak-{i}",
            "customer": {"name": f"Клиент {i}", "email": f"client{i}@soak.test"},
            "lines": [{"sku": "SOAK-TABLE", "quantity": 1}, {"sku": "SOAK-CHAIR", "quantity": 2}],
            "delivery": {"method": "pickup"},
        }
        while True:
            answer = self.http.request(
                requests.Session(),
                "intake API",
                "POST",
                "/api/v1/orders/",
                json=body,
                headers={"Authorization": f"Bearer {self.keys['shop']}"},
            )
            if answer.status_code in (200, 201):
                with self.lock:
                    self.numbers[i] = answer.json()["number"]
                return
            time.sleep(1)

    def work(self, shard: int, *, shards: int, session_of, stop, pause: float) -> None:
        """One thread's share of the orders (those whose index is `shard` modulo `shards`),
        each open one moved a step, round after round `pause` seconds apart until `stop`.
        A round reads only each open order's stage and total, in one query; what a step
        needs besides (the invoice to pay, the tasks to finish) it reads for its order."""
        from django.db import close_old_connections, connection

        from orders.models import Order, Stage

        closed: set[str] = set()
        try:
            while not stop.is_set():
                close_old_connections()
                with self.lock:
                    numbers = [
                        n
                        for i, n in self.numbers.items()
                        if i % shards == shard and n not in closed
                    ]
                rows = Order.objects.filter(number__in=numbers).values_list(
                    "pk", "number", "stage", "total_amount", named=True
                )
                now = time.monotonic()
                for order in rows:
                    if order.stage in (Stage.WON, Stage.LOST):
                        closed.add(order.number)
                        continue
                    # One action per stage, as a person or a system would take it; taken
                    # again only when it was not answered or nothing came of it for a
                    # while (a person trying again). CloudPayments repeats a Pay
                    # notification only when it was not answered {"code": 0}.
                    key = (order.pk, order.stage)
                    last = self.last_action.get(key)
                    if last is not None:
                        wait = REPEAT_AFTER if self.answered.get(key) else 5
                        if now - last < wait:
                            continue
                    self.last_action[key] = now
                    try:
                        answers = self.step(order, session_of)
                    except Exception as exc:  # a step that failed is taken again later
                        log(f"step of {order.number} ({order.stage}) failed: {exc!r}")
                        answers = [None]
                    self.answered[key] = all(
                        answer is not None and answer.status_code < 500 for answer in answers
                    )
                time.sleep(pause)
        finally:
            connection.close()

    def step(self, order, session_of) -> list[requests.Response | None]:
        """One move of one order (pk, number, stage, total_amount), chosen by its stage
        (read from the database); the answers."""
        from invoices.models import Invoice, InvoiceKind, InvoiceStatus
        from orders.models import Stage, Task, TaskKind, TaskStatus

        number = order.number
        today = dt.date.today().isoformat()
        open_tasks = [TaskStatus.OPEN, TaskStatus.IN_PROGRESS]
        if order.stage == Stage.NEW:
            manager = session_of("manager")
            return [self.http.post(manager, "take into work", f"/orders/{number}/take/")]
        if order.stage == Stage.QUALIFICATION:
            half = str((order.total_amount / 2).quantize(Decimal("1")))
            terms = {
                "payment_scheme": "partial_prepayment",
                "prepayment_amount": half,
                "promise": "earliest",  # the earliest date the qualification form proposes
            }
            return [
                self.http.post_form(
                    session_of("manager"),
                    "qualify",
                    f"/orders/{number}/edit/",
                    "payment_scheme",
                    {**terms, "qualify": "1"},
                )
            ]
        if order.stage in (Stage.PREPAYMENT, Stage.POSTPAYMENT):
            kind = (
                InvoiceKind.PREPAYMENT
                if order.stage == Stage.PREPAYMENT
                else (InvoiceKind.POSTPAYMENT)
            )
            invoice = (
                Invoice.objects.filter(order_id=order.pk, kind=kind)
                .select_related("order__customer")
                .first()
            )
            if invoice is None or invoice.status == InvoiceStatus.PAID:
                return []
            if kind == InvoiceKind.PREPAYMENT:
                return [self.pay(invoice, str(9_000_000 + invoice.pk))]
            return [self.bank_import(invoice)]
        if order.stage == Stage.PRODUCTION:
            tasks = Task.objects.filter(
                order_id=order.pk, kind=TaskKind.PRODUCE_LINE, status__in=open_tasks
            ).values_list("pk", flat=True)
            maker = session_of("production")
            return [
                self.http.post(maker, "line done", f"/production/tasks/{task}/done/")
                for task in tasks
            ]
        if order.stage == Stage.DELIVERY_DETAILS:
            return [
                self.http.post_form(
                    session_of("manager"),
                    "delivery details",
                    f"/logistics/orders/{number}/details/",
                    "pickup_date",
                    {"pickup_date": today},
                )
            ]
        if order.stage == Stage.DELIVERY:
            tasks = Task.objects.filter(
                order_id=order.pk, kind=TaskKind.DELIVER, status__in=open_tasks
            ).values_list("pk", flat=True)
            courier = session_of("logistics")
            return [
                self.http.post(
                    courier,
                    "delivery done",
                    f"/logistics/tasks/{task}/complete/",
                    {"shipped_on": today, "tracking_number": ""},
                )
                for task in tasks
            ]
        return []

    def bank_import(self, invoice) -> requests.Response:
        reference = f"soak-bank-{invoice.pk}"
        with self.lock:
            self.imports_sent[reference] = invoice.pk
        return self.http.request(
            requests.Session(),
            "payment import API",
            "POST",
            "/api/v1/payments/",
            json={
                "invoice": invoice.number,
                "amount": str(invoice.amount),
                "paid_at": dt.date.today().isoformat(),
                "reference": reference,
            },
            headers={"Authorization": f"Bearer {self.keys['accounting']}"},
        )

    def pay(self, invoice, transaction_id: str) -> requests.Response:
        with self.lock:
            self.pay_sent[transaction_id] = invoice.pk
        body, headers = pay_notification(
            transaction_id=transaction_id,
            invoice_number=invoice.number,
            account_id=invoice.order.number,
            amount=str(invoice.balance),
            currency=invoice.currency,
            email=invoice.order.customer.email,
            secret=API_SECRET,
        )
        return self.http.request(
            requests.Session(),
            "CloudPayments Pay",
            "POST",
            "/payments/cloudpayments/pay/",
            data=body,
            headers=headers,
        )


# ----------------------------------------------------------------------------- setup


def prepare(keys: dict[str, str]) -> None:
    from django.contrib.auth.models import Group, User

    from invoices.models import SellerProfile
    from orders import roles
    from orders.models import ApiKey
    from orders.services.api_keys import api_key_create
    from production.models import Product

    def user(name: str, group: str) -> None:
        person = User.objects.create_user(name, email=f"{name}@soak.test", password=PASSWORD)
        person.groups.add(Group.objects.get(name=group))

    user("soak-manager", roles.SALES_MANAGERS)
    user("soak-maker", roles.PRODUCTION)
    user("soak-courier", roles.LOGISTICS)
    user("soak-accountant", roles.ACCOUNTANTS)
    Product.objects.create(sku="SOAK-TABLE", name="Стол", price=Decimal("15000"), lead_time_days=3)
    Product.objects.create(sku="SOAK-CHAIR", name="Стул", price=Decimal("4000"), lead_time_days=2)
    seller = SellerProfile.load()
    seller.name = "ООО «Мебель»"
    seller.inn = "7701234567"
    seller.save()
    scoped = "scopes" in {f.name for f in ApiKey._meta.get_fields()}
    for name, scopes in (("shop", ["intake", "read"]), ("accounting", ["accounting"])):
        if scoped:
            _, keys[name] = api_key_create(name=name, scopes=scopes)
        else:
            _, keys[name] = api_key_create(name=name)


def messages_by_event(directory: Path) -> Counter[int]:
    """The file-based backend writes each message after a line of 79 dashes."""
    counts: Counter[int] = Counter()
    for path in directory.glob("*.log"):
        for chunk in path.read_text(errors="replace").split("-" * 79):
            if not chunk.strip():
                continue
            message = email.message_from_string(chunk.lstrip("\n"))
            event = message.get("X-Conveyor-Event")
            if event:
                counts[int(event)] += 1
    return counts


# ----------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=600)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument(
        "--quiet-seconds", type=int, default=300, help="no progress for this long: stop waiting"
    )
    args = parser.parse_args()
    # Stopped by a supervisor or ^C: the stack and the database are still cleaned up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    import psycopg2

    dbname = f"conveyor_soak_{os.getpid()}"
    admin = psycopg2.connect(args.pg.rstrip("/") + "/postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{dbname}"')
    workdir = Path(tempfile.mkdtemp(prefix="conveyor-soak-"))
    (workdir / "mail").mkdir()
    redis_port, web_port = free_port(), free_port()
    from tests.invoices.fake_cloudpayments import FakeCloudPayments

    fake_cp = FakeCloudPayments(PUBLIC_ID, API_SECRET).start()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.soak_settings",
        "DATABASE_URL": f"{args.pg.rstrip('/')}/{dbname}",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "SECRET_KEY": "soak-only-secret-key-" + "x" * 40,
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": f"http://127.0.0.1:{web_port}",
        "CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{web_port}",
        "CLOUDPAYMENTS_PUBLIC_ID": PUBLIC_ID,
        "CLOUDPAYMENTS_API_SECRET": API_SECRET,
        "CLOUDPAYMENTS_BASE_URL": fake_cp.url,
        "CLOUDPAYMENTS_TIMEOUT": "2",
        "MEDIA_ROOT": str(workdir / "media"),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "SOAK_MAIL_DIR": str(workdir / "mail"),
        "LOG_LEVEL": "WARNING",
        "STATIC_MANIFEST": "0",
        "PYTHONUNBUFFERED": "1",
    }
    os.environ.update(env)
    stack = Stack(workdir, env, redis_port, web_port)
    report: list[str] = []
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        keys: dict[str, str] = {}
        prepare(keys)
        connection.close()
        stack.start_redis()
        stack.start_web()
        stack.start_worker()
        stack.start_beat()
        log(f"stack up: web :{web_port}, redis :{redis_port}, work in {workdir}")
        run(args, stack, keys, report)
    finally:
        stack.stop()
        fake_cp.stop()
        from django.db import connections

        connections.close_all()
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        admin.close()
        if os.environ.get("SOAK_KEEP"):
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print("\n".join(report))


def run(args, stack: Stack, keys: dict[str, str], report: list[str]) -> None:
    from django.db import close_old_connections, connection

    from invoices.models import Invoice, Payment, PaymentSource, ProviderEvent
    from orders.models import NotificationStatus, Order, Stage, TimelineEvent, Work

    http = Http(f"http://127.0.0.1:{stack.web_port}")
    sessions = {
        "manager": http.login("soak-manager"),
        "production": http.login("soak-maker"),
        "logistics": http.login("soak-courier"),
    }
    # requests.Session is not thread-safe enough to share cookies safely: one per thread.
    local = threading.local()

    def session_of(role: str) -> requests.Session:
        if not hasattr(local, "sessions"):
            local.sessions = {}
        if role not in local.sessions:
            username = {
                "manager": "soak-manager",
                "production": "soak-maker",
                "logistics": "soak-courier",
            }[role]
            local.sessions[role] = http.login(username)
        return local.sessions[role]

    driver = Driver(http, keys, sessions)
    stop = threading.Event()
    started = time.monotonic()
    intake_done = threading.Event()

    def feed() -> None:
        # Intake at a steady pace: about as fast as the funnel moves them on.
        for i in range(args.orders):
            if stop.is_set():
                break
            driver.intake(i)
            time.sleep(0.25)
        intake_done.set()
        close_old_connections()

    def work(shard: int) -> None:
        driver.work(shard, shards=args.threads, session_of=session_of, stop=stop, pause=0.5)

    threads = [threading.Thread(target=feed)] + [
        threading.Thread(target=work, args=(n,)) for n in range(args.threads)
    ]
    for thread in threads:
        thread.start()

    def won() -> int:
        return Order.objects.filter(stage=Stage.WON).count()

    def moved_since(moment: dt.datetime) -> bool:
        """Background work finished after `moment`: an order moved on by a payment's
        follow-up, a client e-mail sent, or a PDF rendered."""
        return (
            TimelineEvent.objects.filter(to_stage=Stage.PRODUCTION, created_at__gt=moment).exists()
            or TimelineEvent.objects.filter(sent_to_client_at__gt=moment).exists()
            or Invoice.objects.filter(pdf_rendered_at__gt=moment).exists()
        )

    faults: list[tuple[str, float, float | None]] = []

    def recovery_after(name: str, ended_at: dt.datetime) -> None:
        t0 = time.monotonic()
        try:
            while time.monotonic() - t0 < 600:
                close_old_connections()
                if moved_since(ended_at):
                    faults.append((name, time.monotonic() - started, time.monotonic() - t0))
                    return
                time.sleep(0.5)
            faults.append((name, time.monotonic() - started, None))
        finally:
            connection.close()

    from django.utils import timezone

    # Faults spaced over the run; each one waits until the stack is busy.
    expected = args.orders * 0.3  # seconds of intake at about 3 orders a second
    plan = [
        (0.15, "redis stopped 15 s"),
        (0.35, "worker pool killed"),
        (0.55, "redis stopped 20 s"),
        (0.75, "worker main process killed"),
    ]
    watchers: list[threading.Thread] = []
    for fraction, name in plan:
        while time.monotonic() - started < fraction * max(expected, 120):
            time.sleep(0.5)
        log(f"fault: {name} (won so far: {won()})")
        if name.startswith("redis"):
            stack.stop_redis()
            time.sleep(int(name.split()[2]))
            stack.start_redis()
        elif name == "worker pool killed":
            stack.kill_worker_children()
        else:
            stack.kill_worker()
        ended = timezone.now()
        log(f"fault over: {name}")
        watcher = threading.Thread(target=recovery_after, args=(name, ended), daemon=True)
        watcher.start()
        watchers.append(watcher)

    # Quiescence: every order won, or no progress for a while (longer than a lease).
    last, last_change = -1, time.monotonic()
    while True:
        close_old_connections()
        now_won = won()
        if now_won != last:
            last, last_change = now_won, time.monotonic()
            log(f"won {now_won}/{args.orders}")
        if intake_done.is_set() and now_won >= args.orders:
            break
        if time.monotonic() - last_change > args.quiet_seconds:
            log("no progress: stop waiting")
            break
        time.sleep(2)
    funnel_seconds = time.monotonic() - started
    # Let the last e-mails go out: the sweep runs every 15 s, and a send whose worker was
    # killed is taken over once its claim is older than the task time limit.
    for _ in range(240):
        close_old_connections()
        pending = TimelineEvent.objects.filter(
            notification_status__in=[NotificationStatus.QUEUED, NotificationStatus.SENDING]
        ).count()
        if not pending:
            break
        time.sleep(2)
    stop.set()
    for thread in threads + watchers:
        thread.join(timeout=120)

    close_old_connections()
    orders = (
        Order.objects.filter(external_id__startswith="soak-")
        if hasattr(Order, "external_id")
        else Order.objects.all()
    )
    stuck = list(orders.exclude(stage=Stage.WON).values_list("number", "stage"))
    events = TimelineEvent.objects.filter(data__has_key="notification")
    statuses = Counter(events.values_list("notification_status", flat=True))
    sent_ids = set(
        events.filter(notification_status=NotificationStatus.SENT).values_list("pk", flat=True)
    )
    mailed = messages_by_event(stack.workdir / "mail")
    lost_mail = events.exclude(
        notification_status__in=[NotificationStatus.SENT, NotificationStatus.SKIPPED]
    ).count()
    doubled_mail = sum(1 for count in mailed.values() if count > 1)
    sent_not_mailed = len(sent_ids - set(mailed))
    card = Counter(
        Payment.objects.filter(source=PaymentSource.CLOUDPAYMENTS).values_list(
            "external_id", flat=True
        )
    )
    bank = Counter(
        Payment.objects.filter(source=PaymentSource.ACCOUNTING).values_list(
            "external_id", flat=True
        )
    )
    lost_payments = sum(1 for t in driver.pay_sent if card[t] == 0) + sum(
        1 for r in driver.imports_sent if bank[r] == 0
    )
    doubled_payments = sum(1 for c in list(card.values()) + list(bank.values()) if c > 1)
    wrong_ledger = sum(
        1
        for invoice in Invoice.objects.all()
        if invoice.paid_amount != sum((p.amount for p in invoice.payments.all()), Decimal(0))
        or invoice.paid_amount > invoice.amount
    )
    dead = list(
        Work.objects.filter(failed_at__isnull=False).values_list("task", "key", "last_error")
    )
    unapplied = ProviderEvent.objects.filter(signature_ok=True, processed_at__isnull=True).count()

    report.append("")
    report.append(
        f"soak: {args.orders} orders, {funnel_seconds:.0f} s to quiescence "
        f"({args.orders / funnel_seconds * 60:.0f} orders/min overall)"
    )
    report.append(f"  orders stuck (not won): {len(stuck)} {stuck[:10]}")
    report.append(
        f"  client e-mails: {len(mailed)} events mailed, lost (not sent): {lost_mail}, "
        f"doubled: {doubled_mail}, marked sent but no message: {sent_not_mailed}; "
        f"statuses {dict(statuses)}"
    )
    report.append(
        f"  payments: {len(driver.pay_sent)} card + {len(driver.imports_sent)} bank sent; "
        f"lost: {lost_payments}, doubled: {doubled_payments}, "
        f"invoices whose ledger disagrees: {wrong_ledger}"
    )
    report.append(
        f"  notifications stored but not applied: {unapplied}; dead letters: {len(dead)} {dead[:5]}"
    )
    report.append(f"  answers >= 500: {sum(http.errors.values())} {dict(http.errors)}")
    for kind, status, path in http.server_errors[:10]:
        report.append(f"    {status} {kind} {path}")
    for name, at, recovery in faults:
        moved = f"{recovery:.0f} s" if recovery is not None else "never (10 min)"
        report.append(
            f"  after '{name}' (over at {at - (recovery or 0):.0f} s): "
            f"the funnel moved again in {moved}"
        )


if __name__ == "__main__":
    main()
