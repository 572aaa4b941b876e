"""Fills a PostgreSQL database with a company's orders in minutes, for the benches.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> \\
        .venv/bin/python bench/seed.py --orders 1000000 [--managers 20] [--fresh] [--check]

Migrates the database, makes the staff through the ORM (managers "manager0"…, "head" of
sales, "admin", production workers "worker0"…, "logistics"; password "bench") and 40
products, then writes the rest with `INSERT … SELECT generate_series`, 100,000 orders per
transaction: customers (phones in the stored E.164 form), orders spread over every stage
in a going company's proportions, their lines (made ones with made_at), timeline events,
tasks (one per order; open ones for open orders, with due dates, some overdue, plus
production tasks per line not yet made and a delivery task), prepayment and postpayment
invoices with their payments, and the order's denormalised money as the services keep it.
Numbers follow the app's yearly sequences, and the year counters are left where the next
order and invoice continue them.

The board counters' row trigger is switched off inside each batch's transaction (a row
trigger would update the same few counter rows a million times); at the end the counters
are rebuilt by the statement migration 0003 fills them with, then VACUUM ANALYZE.

Every value is a hash of the order's index, so a seed is the same every time. --fresh
empties the seeded tables first; without it the database must hold no orders. --check
compares the maintained counters and the orders' money with what the rows say, and times
the board for a manager (`seed_check()`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Where 100 orders are, on a usual day of a company that has worked a few years.
STAGE_SHARE = {
    "new": 2,
    "qualification": 5,
    "prepayment": 7,
    "production": 12,
    "postpayment": 3,
    "delivery_details": 3,
    "delivery": 6,
    "won": 50,
    "lost": 12,
}
# The stage an order came from into its present one (the timeline's stage event).
PREVIOUS_STAGE = {
    "qualification": "new",
    "prepayment": "qualification",
    "production": "prepayment",
    "postpayment": "production",
    "delivery_details": "production",
    "delivery": "delivery_details",
    "won": "delivery",
    "lost": "qualification",
}
BATCH = 100_000
PRODUCTS = 40
WORKERS = 5
PASSWORD = "bench"
SEEDED_TABLES = [
    "orders_customer",
    "orders_order",
    "orders_orderline",
    "orders_task",
    "orders_timelineevent",
    "invoices_invoice",
    "invoices_payment",
    "orders_boardcounter",
]


def django_setup() -> None:
    """Settings for a bench run against DATABASE_URL (set by the caller)."""
    for key, value in {
        "DEBUG": "1",
        "STATIC_MANIFEST": "0",
        "SECRET_KEY": "bench-only-secret-key",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "ALLOWED_HOSTS": "testserver,localhost",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "LOG_LEVEL": "WARNING",
    }.items():
        os.environ.setdefault(key, value)
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


# ----------------------------------------------------------------------------- staff


def staff_make(managers: int) -> dict[str, list]:
    """The people and products the orders refer to, through the ORM (groups, profiles and
    passwords as the app makes them). Kept between runs: found again by name."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, User

    from orders import roles
    from production.models import Product

    # One hash for everyone: hashing the password per user would take most of a small seed.
    hashed = make_password(PASSWORD)

    def person(username: str, group: str | None, **extra) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            superuser = extra.pop("superuser", False)
            user = User.objects.create(
                username=username,
                password=hashed,
                email=f"{username}@bench.test",
                is_staff=superuser,
                is_superuser=superuser,
                **extra,
            )
        if group:
            user.groups.add(Group.objects.get(name=group))
        return user

    rng = random.Random(42)
    products = []
    for i in range(PRODUCTS):
        price = Decimal(rng.randrange(900, 60000))
        product = Product.objects.filter(sku=f"P-{i:03d}").first() or Product.objects.create(
            sku=f"P-{i:03d}",
            name=f"Product {i}",
            price=price,
            lead_time_days=3,
            labour_minutes=60,
            labour_rate=Decimal(600),
        )
        products.append(product)
    return {
        "managers": [
            person(f"manager{i}", roles.SALES_MANAGERS, first_name=f"Manager {i}")
            for i in range(managers)
        ],
        "head": [person("head", roles.HEAD_OF_SALES, first_name="Head")],
        "admin": [person("admin", None, superuser=True)],
        "workers": [
            person(f"worker{i}", roles.PRODUCTION, first_name=f"Worker {i}") for i in range(WORKERS)
        ],
        "production_head": [person("production_head", roles.HEAD_OF_PRODUCTION)],
        "logistics": [person("logistics", roles.LOGISTICS, first_name="Logistics")],
        "accountant": [person("accountant", roles.ACCOUNTANTS)],
        "products": products,
    }


# ----------------------------------------------------------------------------- SQL


def r(expr: str, salt: int, mod: int | str) -> str:
    """A pseudo-random integer in [0, mod) fixed by the value of `expr` and the salt."""
    return f"((hashint8extended(({expr})::bigint, {salt}) & 2147483647) % ({mod}))::int"


def _stage_case(expr: str) -> str:
    whens, upto = [], 0
    for stage, share in STAGE_SHARE.items():
        upto += share
        whens.append(f"WHEN {expr} < {upto} THEN '{stage}'")
    assert upto == 100
    return "CASE " + " ".join(whens) + " END"


def _in(stages: list[str]) -> str:
    return "(" + ", ".join(f"'{s}'" for s in stages) + ")"


MADE_STAGES = ["postpayment", "delivery_details", "delivery", "won"]
PAID_STAGES = ["delivery_details", "delivery", "won"]
OPEN = ["new", "qualification", "prepayment", "production", "postpayment"]
OPEN += ["delivery_details", "delivery"]


def _batch_statements(lo: int, hi: int, ids: dict[str, int], ctx: dict) -> list[tuple[str, str]]:
    """(label, SQL) for orders lo..hi (1-based indexes of the seed); labels of inserts
    name the table the rows go to."""
    tz = ctx["tz"]
    managers = "ARRAY[" + ",".join(str(pk) for pk in ctx["managers"]) + "]::int[]"
    workers = "ARRAY[" + ",".join(str(pk) for pk in ctx["workers"]) + "]::int[]"
    m, w = len(ctx["managers"]), len(ctx["workers"])
    step = ctx["span_seconds"] / ctx["orders"]
    t0 = ctx["t0"].isoformat()
    now = ctx["now"].isoformat()
    o_, c_, l_ = ids["orders_order"], ids["orders_customer"], ids["orders_orderline"]
    t_ = ids["orders_task"]
    e_, i_, p_ = ids["orders_timelineevent"], ids["invoices_invoice"], ids["invoices_payment"]
    return [
        (
            "",
            f"""
CREATE TEMP TABLE seed_o ON COMMIT DROP AS
SELECT i, {o_} + i AS id, {c_} + i AS own_customer,
    CASE WHEN {r("i", 13, 5)} = 0 AND i > 1 THEN {c_} + 1 + {r("i", 14, "i - 1")}
         ELSE {c_} + i END AS customer_id,
    created_at, stage,
    CASE WHEN stage = 'new' AND {r("i", 11, 10)} = 0 THEN NULL
         ELSE ({managers})[1 + {r("i", 12, m)}] END AS manager_id,
    CASE WHEN stage = 'new' THEN created_at
         ELSE LEAST(TIMESTAMPTZ '{now}' - interval '1 minute',
                    created_at + make_interval(hours => 2 + {r("i", 15, 24 * 30)}))
    END AS stage_changed_at,
    1 + {r("i", 1, 4)} AS n_lines,
    CASE {r("i", 6, 3)} WHEN 0 THEN 0 WHEN 1 THEN 500 ELSE 1500 END::numeric AS delivery,
    CASE WHEN stage IN ('new', 'qualification', 'lost') THEN ''
         WHEN stage = 'postpayment' OR {r("i", 7, 10)} < 3 THEN 'partial_prepayment'
         ELSE 'full_prepayment' END AS scheme,
    CASE WHEN stage = 'production' THEN {r("i", 5, "1 + " + r("i", 1, 4))}
         WHEN stage IN {_in(MADE_STAGES)} THEN 1 + {r("i", 1, 4)}
         ELSE 0 END AS made,
    CASE WHEN stage IN {_in(OPEN)}
         THEN GREATEST(created_at + interval '1 hour',
                       TIMESTAMPTZ '{now}' + make_interval(hours => {r("i", 8, 1000)} - 150))
    END AS due,
    extract(year FROM created_at AT TIME ZONE '{tz}')::int AS year
FROM (
    SELECT i,
           TIMESTAMPTZ '{t0}'
           + make_interval(secs => (((i - 1) + {r("i", 0, 1000)} / 1000.0) * {step})::float8)
           AS created_at,
           {_stage_case(r("i", 4, 100))} AS stage
    FROM generate_series({lo}, {hi}) AS i
) g
""",
        ),
        (
            "",
            f"""
CREATE TEMP TABLE seed_l ON COMMIT DROP AS
SELECT o.i, o.id AS order_id, {l_} + o.i * 4 + pos - 1 AS id, pos AS position,
    p.id AS product_id, p.sku, p.name, p.price, p.cost,
    (1 + {r("o.i * 8 + pos", 3, 5)})::numeric AS quantity,
    CASE WHEN pos <= o.made THEN 'made'
         WHEN o.stage = 'production' AND pos = o.made + 1 THEN 'in_progress'
         ELSE 'pending' END AS status,
    CASE WHEN pos <= o.made
         THEN LEAST(o.stage_changed_at, o.created_at + make_interval(hours => 20 * pos)) END
         AS made_at,
    o.stage, o.due, o.created_at
FROM seed_o o
CROSS JOIN LATERAL generate_series(1, o.n_lines) AS g(pos)
JOIN seed_product p ON p.k = {r("o.i * 8 + pos", 2, PRODUCTS)}
""",
        ),
        (
            "",
            """
CREATE TEMP TABLE seed_t ON COMMIT DROP AS
SELECT o.*, a.lines_total, a.cost, a.lines_total + o.delivery AS total,
    CASE o.scheme WHEN 'full_prepayment' THEN a.lines_total + o.delivery
                  WHEN 'partial_prepayment' THEN round((a.lines_total + o.delivery) / 2, 2)
                  ELSE 0 END AS prepay,
    row_number() OVER (PARTITION BY o.year ORDER BY o.i)
        + COALESCE(yc.last, 0) AS seq
FROM seed_o o
JOIN (SELECT i, sum(price * quantity) AS lines_total, sum(cost * quantity) AS cost
      FROM seed_l GROUP BY i) a USING (i)
LEFT JOIN orders_yearcounter yc ON yc.name = 'order' AND yc.year = o.year
""",
        ),
        (
            "",
            f"""
ALTER TABLE seed_t ADD COLUMN paid numeric;
UPDATE seed_t SET paid = CASE WHEN stage IN ('production', 'postpayment') THEN prepay
                              WHEN stage IN {_in(PAID_STAGES)} THEN total ELSE 0 END
""",
        ),
        (
            "orders_customer",
            f"""
INSERT INTO orders_customer (id, name, company, email, phone, language, do_not_notify, notes,
    created_at, account, bank_name, bik, correspondent_account, inn, kind, kpp,
    legal_address, ogrn)
SELECT own_customer, 'Client ' || i,
    CASE WHEN {r("i", 16, 10)} < 4 THEN 'Company ' || {r("i", 17, 5000)} ELSE '' END,
    'client' || i || '@example.com',
    '+79' || lpad({r("i", 9, 1000000000)}::text, 9, '0'),
    CASE WHEN {r("i", 18, 10)} = 0 THEN 'en' ELSE 'ru' END, false, '',
    created_at, '', '', '', '', '', 'person', '', '', ''
FROM seed_o
""",
        ),
        (
            "orders_order",
            f"""
INSERT INTO orders_order (id, number, source, external_id, stage, stage_changed_at,
    payment_scheme, prepayment_amount, currency, delivery_method, delivery_cost,
    delivery_address, planned_ship_date, shipped_on, tracking_number, comment, lost_reason,
    lines_total, total_amount, paid_amount, cost_amount, lines_count, lines_made,
    next_due_at, created_at, updated_at, customer_id, manager_id)
SELECT id, year || '-' || lpad(seq::text, GREATEST(5, length(seq::text)), '0'),
    CASE WHEN {r("i", 19, 2)} = 0 THEN 'web_shop' ELSE 'manager' END, '', stage,
    stage_changed_at, scheme, prepay, 'RUB',
    CASE WHEN delivery = 0 THEN 'pickup' WHEN delivery = 500 THEN 'courier'
         ELSE 'carrier' END,
    NULLIF(delivery, 0),
    CASE WHEN delivery = 0 THEN '' ELSE 'City, street ' || i END,
    CASE WHEN stage IN ('delivery', 'won') AND delivery > 0
         THEN (stage_changed_at AT TIME ZONE '{tz}')::date END,
    CASE WHEN stage = 'won' AND delivery > 0
         THEN (stage_changed_at AT TIME ZONE '{tz}')::date END,
    '', '', CASE WHEN stage = 'lost' THEN 'Too expensive' ELSE '' END,
    lines_total, total, paid, cost, n_lines, made, due, created_at, stage_changed_at,
    customer_id, manager_id
FROM seed_t
""",
        ),
        (
            "",
            """
INSERT INTO orders_yearcounter (name, year, last)
SELECT 'order', year, max(seq) FROM seed_t GROUP BY year
ON CONFLICT (name, year) DO UPDATE SET last = EXCLUDED.last
""",
        ),
        (
            "orders_orderline",
            """
INSERT INTO orders_orderline (id, position, sku, name, unit, price, quantity, discount,
    unit_cost, actual_cost, status, made_at, order_id, product_id)
SELECT id, position, sku, name, 'pcs', price, quantity, 0, cost, NULL, status, made_at,
    order_id, product_id
FROM seed_l
""",
        ),
        (
            "orders_timelineevent",
            f"""
INSERT INTO orders_timelineevent (id, kind, text, from_stage, to_stage, data, created_at,
    notification_status, order_id, awaiting)
SELECT {e_} + i * 2, 'created', '', '', 'new', '{{}}'::jsonb, created_at, '', id, '' FROM seed_t
UNION ALL
SELECT {e_} + i * 2 + 1, 'stage', '', CASE stage {
                " ".join(f"WHEN '{s}' THEN '{p}'" for s, p in PREVIOUS_STAGE.items())
            } END,
    stage, '{{}}'::jsonb, stage_changed_at, '', id, ''
FROM seed_t WHERE stage <> 'new'
""",
        ),
        (
            "orders_task",
            f"""
INSERT INTO orders_task (id, kind, title, department, status, due_at, note, created_at,
    started_at, completed_at, assignee_id, completed_by_id, line_id, order_id, title_msg)
SELECT {t_} + i * 8, CASE WHEN stage = 'new' THEN 'take_into_work' ELSE 'custom' END,
    CASE WHEN stage = 'new' THEN 'Take into work' ELSE 'Call the client' END, 'sales',
    CASE WHEN due IS NULL THEN 'done' WHEN {r("i", 20, 5)} = 0 THEN 'in_progress'
         ELSE 'open' END,
    COALESCE(due, created_at + interval '1 day'), '', created_at, NULL,
    CASE WHEN due IS NULL THEN stage_changed_at END, manager_id,
    CASE WHEN due IS NULL THEN manager_id END, NULL, id, '{{}}'::jsonb
FROM seed_t
UNION ALL
SELECT {t_} + l.i * 8 + l.position, 'produce_line', 'Produce ' || l.name, 'production',
    CASE WHEN l.status = 'in_progress' THEN 'in_progress' ELSE 'open' END,
    l.due + make_interval(hours => l.position), '', l.created_at,
    CASE WHEN l.status = 'in_progress' THEN l.created_at + interval '1 day' END, NULL,
    ({workers})[1 + {r("l.i * 8 + l.position", 21, w)}], NULL, l.id, l.order_id, '{{}}'::jsonb
FROM seed_l l WHERE l.stage = 'production' AND l.status <> 'made'
UNION ALL
SELECT {t_} + i * 8 + 7, 'deliver', 'Deliver the order', 'logistics', 'open', due, '',
    stage_changed_at, NULL, NULL, {ctx["logistics"]}, NULL, NULL, id, '{{}}'::jsonb
FROM seed_t WHERE stage = 'delivery'
""",
        ),
        (
            "",
            f"""
CREATE TEMP TABLE seed_i ON COMMIT DROP AS
SELECT v.*, extract(year FROM v.issued_at AT TIME ZONE '{tz}')::int AS year
FROM (
    SELECT i, id AS order_id, 0 AS n, 'prepayment' AS kind, prepay AS amount,
        LEAST(paid, prepay) AS paid, 0::numeric AS paid_before, total,
        LEAST(stage_changed_at, created_at + interval '1 hour') AS issued_at
    FROM seed_t WHERE scheme <> '' AND prepay > 0
    UNION ALL
    SELECT i, id, 1, 'postpayment', total - prepay, paid - prepay, prepay, total,
        LEAST(stage_changed_at, created_at + interval '5 days')
    FROM seed_t
    WHERE scheme = 'partial_prepayment' AND stage IN {_in(MADE_STAGES)} AND total > prepay
) v;
ALTER TABLE seed_i ADD COLUMN seq bigint;
UPDATE seed_i s SET seq = x.seq
FROM (SELECT i, n, row_number() OVER (PARTITION BY year ORDER BY issued_at, i, n)
             + COALESCE((SELECT last FROM orders_yearcounter yc
                         WHERE yc.name = 'invoice' AND yc.year = seed_i.year), 0) AS seq
      FROM seed_i) x
WHERE s.i = x.i AND s.n = x.n
""",
        ),
        (
            "invoices_invoice",
            f"""
INSERT INTO invoices_invoice (id, number, kind, amount, currency, paid_amount, status, lines,
    order_total, paid_before, issued_at, due_date, paid_at, overpaid, order_id,
    content_version, payment_link_error, payment_link_id, payment_url, pdf, pdf_error,
    pdf_version, public_salt, public_token_hash, reminders_sent, buyer)
SELECT {i_} + i * 2 + n,
    'INV-' || year || '-' || lpad(seq::text, GREATEST(5, length(seq::text)), '0'),
    kind, amount, 'RUB', paid,
    CASE WHEN paid >= amount THEN 'paid' WHEN paid > 0 THEN 'partially_paid'
         ELSE 'issued' END,
    '[]'::jsonb, total, paid_before, issued_at, (issued_at AT TIME ZONE '{tz}')::date + 3,
    CASE WHEN paid >= amount THEN issued_at + interval '2 hours' END, false, order_id,
    1, '', '', '', '', '', 0, '', '', 0, '{{}}'::jsonb
FROM seed_i
""",
        ),
        (
            "",
            """
INSERT INTO orders_yearcounter (name, year, last)
SELECT 'invoice', year, max(seq) FROM seed_i GROUP BY year
ON CONFLICT (name, year) DO UPDATE SET last = EXCLUDED.last
""",
        ),
        (
            "invoices_payment",
            f"""
INSERT INTO invoices_payment (id, amount, currency, source, external_id, paid_at, reference,
    reason, is_overpayment, created_at, invoice_id, order_id)
SELECT {p_} + i * 2 + n, paid, 'RUB', 'manual', '', issued_at + interval '2 hours', '', '',
    false, issued_at + interval '2 hours', {i_} + i * 2 + n, order_id
FROM seed_i WHERE paid > 0
""",
        ),
    ]


def _counters_fill_sql() -> str:
    migration = importlib.import_module("orders.migrations.0003_workspace_board_counters")
    return migration.FILL


# Maintained summaries (totals, roll-ups) beside the board counters: an app that keeps one
# lists, in its module `<app>.summaries`, SUMMARIES_REBUILD (statements that refill it from
# the rows, run here after the seed), SUMMARIES_TABLES (emptied by --fresh, vacuumed after)
# and SUMMARIES_CHECK ({label: a query counting the rows that differ}, run by --check).
SUMMARY_APPS = ["orders", "invoices", "production", "logistics"]


def _summaries() -> list:
    modules = []
    for app in SUMMARY_APPS:
        try:
            modules.append(importlib.import_module(f"{app}.summaries"))
        except ModuleNotFoundError as error:
            if error.name != f"{app}.summaries":
                raise
    return modules


def _summary_tables() -> list[str]:
    return [table for module in _summaries() for table in getattr(module, "SUMMARIES_TABLES", [])]


def seed(
    orders: int,
    *,
    managers: int = 20,
    fresh: bool = False,
    span_days: int = 3 * 365,
    batch: int = BATCH,
    verbose: bool = True,
) -> dict[str, list]:
    """Fills the default database (migrated) with `orders` orders; returns the staff and
    products made (staff_make)."""
    from django.conf import settings
    from django.db import connection, transaction

    def say(text: str) -> None:
        if verbose:
            print(text, flush=True)

    started = time.perf_counter()
    assert connection.vendor == "postgresql", "the seeder writes PostgreSQL's SQL"
    with connection.cursor() as cursor:
        if fresh:
            cursor.execute(
                f"TRUNCATE {', '.join(SEEDED_TABLES + _summary_tables())} RESTART IDENTITY CASCADE;"
                " DELETE FROM orders_yearcounter WHERE name IN ('order', 'invoice');"
            )
        cursor.execute("SELECT EXISTS (SELECT 1 FROM orders_order)")
        if cursor.fetchone()[0]:
            raise SystemExit("The database has orders already: run with --fresh to replace them.")
    people = staff_make(managers)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    ctx = {
        "tz": settings.TIME_ZONE,
        "managers": [u.pk for u in people["managers"]],
        "workers": [u.pk for u in people["workers"]],
        "logistics": people["logistics"][0].pk,
        "orders": orders,
        "span_seconds": span_days * 86400,
        "t0": now - dt.timedelta(days=span_days),
        "now": now,
    }
    with connection.cursor() as cursor:
        ids = {}
        for table in SEEDED_TABLES[:-1]:
            cursor.execute(f"SELECT COALESCE(max(id), 0) FROM {table}")
            ids[table] = cursor.fetchone()[0]
    product_rows = ", ".join(
        f"({k}, {p.pk}, '{p.sku}', '{p.name}', {p.price}, {(p.price * Decimal('0.6')):.2f})"
        for k, p in enumerate(people["products"])
    )
    say(f"seeding {orders:,} orders, {managers} managers, {batch:,} orders per transaction")
    rows_total = 0
    for lo in range(1, orders + 1, batch):
        hi = min(orders, lo + batch - 1)
        batch_started = time.perf_counter()
        rows = 0
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("ALTER TABLE orders_order DISABLE TRIGGER orders_board_counter")
            cursor.execute(
                "CREATE TEMP TABLE seed_product (k int, id bigint, sku text, name text,"
                f" price numeric, cost numeric) ON COMMIT DROP; INSERT INTO seed_product"
                f" VALUES {product_rows}"
            )
            for label, sql in _batch_statements(lo, hi, ids, ctx):
                cursor.execute(sql)
                if label:
                    rows += cursor.rowcount
            # The deferred foreign-key checks run now: ALTER TABLE waits for none pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE orders_order ENABLE TRIGGER orders_board_counter")
        rows_total += rows
        spent = time.perf_counter() - batch_started
        say(
            f"  orders {lo:>9,}–{hi:<9,} {rows:>10,} rows in {spent:6.1f} s"
            f" ({rows / spent:,.0f} rows/s)"
        )
    counters_started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM orders_boardcounter")
        cursor.execute(_counters_fill_sql())
        for module in _summaries():
            for statement in getattr(module, "SUMMARIES_REBUILD", []):
                cursor.execute(statement)
        for table in SEEDED_TABLES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
    say(f"  board counters and summaries rebuilt in {time.perf_counter() - counters_started:.1f} s")
    # VACUUM as well: it sets the visibility map, without which the covering indexes the
    # board reads would not serve index-only scans until autovacuum came by.
    analyze_started = time.perf_counter()
    with connection.cursor() as cursor:
        tables = [*SEEDED_TABLES, *_summary_tables(), "orders_yearcounter"]
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")
    say(f"  VACUUM ANALYZE in {time.perf_counter() - analyze_started:.1f} s")
    spent = time.perf_counter() - started
    say(
        f"seeded {orders:,} orders, {rows_total:,} rows in {spent:.1f} s"
        f" ({rows_total / spent:,.0f} rows/s overall)"
    )
    return people


# ----------------------------------------------------------------------------- checking

CHECKS = {
    "board counters = orders grouped by stage and manager": """
SELECT count(*) FROM (
    SELECT stage, COALESCE(manager_id, 0) AS manager_key, count(*) AS orders,
           sum(total_amount) AS total, sum(total_amount - paid_amount) AS balance
    FROM orders_order GROUP BY 1, 2
) o
FULL JOIN (SELECT * FROM orders_boardcounter WHERE orders <> 0) c USING (stage, manager_key)
WHERE o.orders IS DISTINCT FROM c.orders OR o.total IS DISTINCT FROM c.total
   OR o.balance IS DISTINCT FROM c.balance
""",
    "orders' lines total, cost, count and made = their lines": """
SELECT count(*) FROM orders_order o
LEFT JOIN (SELECT order_id, sum(price * quantity - discount) AS total,
                  sum(unit_cost * quantity) AS cost, count(*) AS n,
                  count(*) FILTER (WHERE status = 'made') AS made
           FROM orders_orderline GROUP BY order_id) l ON l.order_id = o.id
WHERE l.total IS DISTINCT FROM o.lines_total OR l.cost IS DISTINCT FROM o.cost_amount
   OR l.n IS DISTINCT FROM o.lines_count OR l.made IS DISTINCT FROM o.lines_made
   OR o.total_amount <> o.lines_total + COALESCE(o.delivery_cost, 0)
""",
    "orders' paid = their payments = their invoices' paid": """
SELECT count(*) FROM orders_order o
LEFT JOIN (SELECT order_id, sum(amount) AS paid FROM invoices_payment GROUP BY order_id) p
       ON p.order_id = o.id
LEFT JOIN (SELECT order_id, sum(paid_amount) AS paid FROM invoices_invoice GROUP BY order_id) i
       ON i.order_id = o.id
WHERE COALESCE(p.paid, 0) <> o.paid_amount OR COALESCE(i.paid, 0) <> o.paid_amount
""",
    "open orders' nearest deadline = their open tasks'": """
SELECT count(*) FROM orders_order o
LEFT JOIN (SELECT order_id, min(due_at) AS due FROM orders_task
           WHERE status IN ('open', 'in_progress') GROUP BY order_id) t ON t.order_id = o.id
WHERE t.due IS DISTINCT FROM o.next_due_at
""",
    "year counters = the last numbers given": """
SELECT count(*) FROM orders_yearcounter yc
FULL JOIN (
    SELECT 'order' AS name, split_part(number, '-', 1)::int AS year,
           max(split_part(number, '-', 2)::int) AS last FROM orders_order GROUP BY 1, 2
    UNION ALL
    SELECT 'invoice', split_part(number, '-', 2)::int,
           max(split_part(number, '-', 3)::int) FROM invoices_invoice GROUP BY 1, 2
) n USING (name, year)
WHERE yc.last IS DISTINCT FROM n.last
""",
}


def _timed_get(client, url: str, repeat: int) -> tuple[float, int, int]:
    samples, status, size = [], 0, 0
    for _ in range(repeat + 2):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        status, size = response.status_code, len(response.content)
    return statistics.median(samples[2:]), status, size


def seed_check(repeat: int = 10) -> bool:
    """Compares what is maintained (board counters, the orders' denormalised money and
    deadlines, year counters) with what the rows say, checks the stored phones, and renders
    the board for a manager and for the head of sales. True when all agree."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    from core.phones import phone_storable

    ok = True
    print("checks")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM orders_order")
        print(f"  {cursor.fetchone()[0]:,} orders")
        checks = dict(CHECKS)
        for module in _summaries():
            checks.update(getattr(module, "SUMMARIES_CHECK", {}))
        for label, sql in checks.items():
            started = time.perf_counter()
            cursor.execute(sql)
            wrong = cursor.fetchone()[0]
            ok &= wrong == 0
            print(
                f"  {label:58} {'ok' if wrong == 0 else f'{wrong:,} differ'}"
                f" ({time.perf_counter() - started:.1f} s)"
            )
        cursor.execute("SELECT phone FROM orders_customer TABLESAMPLE SYSTEM (1) LIMIT 2000")
        phones = [row[0] for row in cursor.fetchall()]
    bad = [phone for phone in phones if phone_storable(phone) != phone]
    ok &= not bad
    print(
        f"  {'phones in the stored form (a sample of ' + str(len(phones)) + ')':58}"
        f" {'ok' if not bad else f'{len(bad)} differ, e.g. {bad[:3]}'}"
    )
    for username, url in (("manager0", "/board/"), ("head", "/board/?who=all")):
        client = Client()
        client.force_login(User.objects.get(username=username))
        median, status, size = _timed_get(client, url, repeat)
        ok &= status == 200
        print(
            f"  {'board ' + url + ' as ' + username:58} {status},"
            f" {median:.1f} ms median of {repeat}, {size / 1024:.0f} KB"
        )
    print("all consistent" if ok else "INCONSISTENT")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--managers", type=int, default=20)
    parser.add_argument("--years", type=int, default=3, help="the orders' span, back from now")
    parser.add_argument("--batch", type=int, default=BATCH, help="orders per transaction")
    parser.add_argument("--fresh", action="store_true", help="empty the seeded tables first")
    parser.add_argument("--check", action="store_true", help="check consistency afterwards")
    parser.add_argument("--check-only", action="store_true", help="check, do not seed")
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        parser.error("set DATABASE_URL to the PostgreSQL database to fill")
    django_setup()
    if not args.check_only:
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"migrated in {time.perf_counter() - started:.1f} s", flush=True)
        seed(
            args.orders,
            managers=args.managers,
            fresh=args.fresh,
            span_days=args.years * 365,
            batch=args.batch,
        )
    if (args.check or args.check_only) and not seed_check():
        sys.exit(1)


if __name__ == "__main__":
    main()
