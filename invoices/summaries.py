"""The totals kept beside invoices and payments (invoices.models.summaries), and the
database triggers that keep them.

Triggers rather than service code: an invoice's amount, paid amount, status and overpaid
flag are written by several services (issue, payments, refunds, reversals, voiding), by
migrations and by the seeder; a trigger follows every one of them in the writer's
transaction. On PostgreSQL they are statement triggers over the transition tables, so a
bulk INSERT … SELECT adds up its rows once, and a write that changes nothing the totals
count (a PDF version, a reminder) writes nothing. A writer never waits on a summary row
(_Summary.add): payments and invoices are written under order and staff locks, and a
summary row every payment of the day shares would make them queue, or deadlock.

bench/seed.py runs SUMMARIES_REBUILD after seeding, and SUMMARIES_CHECK with --check."""

from __future__ import annotations

from core.zones import company_zone
from invoices.models import NO_DUE_DATE_KEY

RECEIVABLE_TABLE = "invoices_receivableday"
PAYMENT_DAY_TABLE = "invoices_paymentday"

_OPEN = "{r}.status IN ('issued', 'partially_paid')"
_OWES_BACK_VOID = "{r}.status = 'void' AND {r}.paid_amount > 0"
# The invoices that count at all (invoices.models.RECEIVABLE), for the refill.
RECEIVABLE_WHERE = (
    "(r.status IN ('issued', 'partially_paid') OR r.overpaid"
    " OR (r.status = 'void' AND r.paid_amount > 0))"
)


def _receivable_parts(row: str, sign: int) -> list[tuple[str, str]]:
    """(column, expression) of one invoice's share of its (currency, due date) row."""
    minus = "-" if sign < 0 else ""
    opened = _OPEN.format(r=row)
    void = _OWES_BACK_VOID.format(r=row)
    return [
        ("currency", f"{row}.currency"),
        ("due_key", f"COALESCE({row}.due_date, '{NO_DUE_DATE_KEY.isoformat()}')"),
        ("open_count", f"{minus}(CASE WHEN {opened} THEN 1 ELSE 0 END)"),
        ("due", f"{minus}(CASE WHEN {opened} THEN {row}.amount - {row}.paid_amount ELSE 0 END)"),
        (
            "owed_back_count",
            f"{minus}(CASE WHEN {void} THEN 1 WHEN {row}.status <> 'void' AND {row}.overpaid"
            " THEN 1 ELSE 0 END)",
        ),
        (
            "owed_back",
            f"{minus}(CASE WHEN {void} THEN {row}.paid_amount WHEN {row}.status <> 'void'"
            f" AND {row}.overpaid THEN {row}.paid_amount - {row}.amount ELSE 0 END)",
        ),
    ]


def _payment_parts(row: str, sign: int, *, vendor: str) -> list[tuple[str, str]]:
    minus = "-" if sign < 0 else ""
    if vendor == "postgresql":
        day = f"({row}.paid_at AT TIME ZONE '{company_zone()}')::date"
    else:
        # Django registers this function on every SQLite connection it opens.
        day = f"django_datetime_cast_date({row}.paid_at, '{company_zone()}', 'UTC')"
    return [
        ("day", day),
        ("source", f"{row}.source"),
        ("currency", f"{row}.currency"),
        ("received", f"{minus}(CASE WHEN {row}.amount > 0 THEN {row}.amount ELSE 0 END)"),
        ("given_back", f"{minus}(CASE WHEN {row}.amount < 0 THEN -{row}.amount ELSE 0 END)"),
        ("movements", f"{minus}1"),
    ]


class _Summary:
    def __init__(self, table: str, source: str, keys: list[str], parts, where: str = "true"):
        self.table = table
        self.source = source
        self.keys = keys
        self.parts = parts  # (row, sign, vendor) -> [(column, expression)]
        self.where = where

    def columns(self) -> list[str]:
        return [column for column, _ in self.parts("r", 1, "postgresql")]

    def values(self) -> list[str]:
        return [column for column in self.columns() if column not in self.keys]

    def select(self, row: str, sign: int, vendor: str, source: str) -> str:
        parts = ", ".join(f"{expr} AS {column}" for column, expr in self.parts(row, sign, vendor))
        return f"SELECT {parts} FROM {source} AS {row}"

    def _grouped(self, changes: str) -> str:
        """The changes added up per key, without the keys they leave unchanged."""
        keys = ", ".join(self.keys)
        sums = ", ".join(f"SUM({column}) AS {column}" for column in self.values())
        nonzero = " OR ".join(f"SUM({column}) <> 0" for column in self.values())
        return f"SELECT {keys}, {sums} FROM ({changes}) AS changes GROUP BY {keys} HAVING {nonzero}"

    def fill(self, changes: str) -> str:
        columns = ", ".join(self.columns())
        return f"INSERT INTO {self.table} ({columns}) {self._grouped(changes)}"

    def add(self, changes: str) -> str:
        """Add the changes as new rows, folding in the rows of the same keys that no other
        transaction holds (SKIP LOCKED): a writer never waits for another one here, so
        these totals cannot make two transactions wait for each other, and a key keeps
        about as many rows as there are concurrent writers. Readers add the rows up."""
        columns = ", ".join(self.columns())
        keys = ", ".join(self.keys)
        return (
            f"WITH changes AS ({self._grouped(changes)}),"
            f" taken AS (DELETE FROM {self.table} WHERE id IN ("
            f"SELECT kept.id FROM {self.table} AS kept JOIN changes USING ({keys})"
            f" FOR UPDATE OF kept SKIP LOCKED) RETURNING {columns})"
            f" INSERT INTO {self.table} ({columns})"
            + self._grouped(f"SELECT {columns} FROM changes UNION ALL SELECT {columns} FROM taken")
        )

    def rebuild(self) -> list[str]:
        rows = self.select("r", 1, "postgresql", self.source) + f" WHERE {self.where}"
        return [f"DELETE FROM {self.table}", self.fill(rows)]

    def check(self) -> str:
        """How many summary rows differ from what the rows add up to."""
        keys = ", ".join(self.keys)
        stored = f"SELECT {', '.join(self.columns())} FROM {self.table}"
        recounted = self.select("r", -1, "postgresql", self.source) + f" WHERE {self.where}"
        nonzero = " OR ".join(f"SUM({column}) <> 0" for column in self.values())
        return (
            f"SELECT count(*) FROM (SELECT {keys} FROM ({stored} UNION ALL {recounted})"
            f" AS both_ GROUP BY {keys} HAVING {nonzero}) AS differ"
        )

    # ------------------------------------------------------------------ PostgreSQL
    def _name(self) -> str:
        return f"{self.table}_apply"

    def pg_function(self) -> str:
        def changes(*sources: tuple[str, int]) -> str:
            return " UNION ALL ".join(
                self.select("r", sign, "postgresql", table) for table, sign in sources
            )

        return f"""
CREATE OR REPLACE FUNCTION {self._name()}() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {self.add(changes(("new_rows", 1)))};
    ELSIF TG_OP = 'UPDATE' THEN
        {self.add(changes(("new_rows", 1), ("old_rows", -1)))};
    ELSE
        {self.add(changes(("old_rows", -1)))};
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
"""

    def pg_triggers(self) -> list[str]:
        # A trigger with transition tables serves one event.
        tables = {
            "INSERT": "NEW TABLE AS new_rows",
            "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            "DELETE": "OLD TABLE AS old_rows",
        }
        return [
            f"CREATE TRIGGER {self.table}_{event.lower()} AFTER {event} ON {self.source}"
            f" REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION {self._name()}()"
            for event, transition in tables.items()
        ]

    def pg_drop(self) -> list[str]:
        return [
            *(
                f"DROP TRIGGER IF EXISTS {self.table}_{event} ON {self.source}"
                for event in ("insert", "update", "delete")
            ),
            f"DROP FUNCTION IF EXISTS {self._name()}()",
        ]

    # ------------------------------------------------------------------ SQLite
    def _sqlite_add(self, row: str, sign: int) -> str:
        # SQLite has one writer at a time: one row per key, added to in place.
        parts = self.parts(row, sign, "sqlite")
        same_key = " AND ".join(
            f"{column} = {expr}" for column, expr in parts if column in self.keys
        )
        add = ", ".join(
            f"{column} = {column} + {expr}" for column, expr in parts if column not in self.keys
        )
        return (
            f"UPDATE {self.table} SET {add} WHERE {same_key};"
            f" INSERT INTO {self.table} ({', '.join(column for column, _ in parts)})"
            f" SELECT {', '.join(expr for _, expr in parts)}"
            f" WHERE NOT EXISTS (SELECT 1 FROM {self.table} WHERE {same_key});"
        )

    def sqlite_triggers(self) -> list[str]:
        bodies = {
            "insert": self._sqlite_add("NEW", 1),
            "update": self._sqlite_add("OLD", -1) + " " + self._sqlite_add("NEW", 1),
            "delete": self._sqlite_add("OLD", -1),
        }
        return [
            f"CREATE TRIGGER {self.table}_{event} AFTER {event.upper()} ON {self.source}"
            f" BEGIN {body} END;"
            for event, body in bodies.items()
        ]

    def sqlite_drop(self) -> list[str]:
        return [
            f"DROP TRIGGER IF EXISTS {self.table}_{event}"
            for event in ("insert", "update", "delete")
        ]


RECEIVABLES = _Summary(
    RECEIVABLE_TABLE,
    "invoices_invoice",
    ["currency", "due_key"],
    lambda row, sign, vendor: _receivable_parts(row, sign),
    where=RECEIVABLE_WHERE,
)
PAYMENT_DAYS = _Summary(
    PAYMENT_DAY_TABLE,
    "invoices_payment",
    ["day", "source", "currency"],
    lambda row, sign, vendor: _payment_parts(row, sign, vendor=vendor),
)
SUMMARIES = [RECEIVABLES, PAYMENT_DAYS]


def install(schema_editor, *, fill: bool = True) -> None:
    """(Re)create the triggers and fill the totals from the rows (a migration's step)."""
    vendor = schema_editor.connection.vendor
    uninstall(schema_editor)
    for summary in SUMMARIES:
        if vendor == "postgresql":
            schema_editor.execute(summary.pg_function())
            for statement in summary.pg_triggers():
                schema_editor.execute(statement)
        elif vendor == "sqlite":
            for statement in summary.sqlite_triggers():
                schema_editor.execute(statement)
        else:
            raise NotImplementedError(f"Invoice totals need triggers written for {vendor}.")
        if fill:
            schema_editor.execute(f"DELETE FROM {summary.table}")
            rows = summary.select("r", 1, vendor, summary.source) + f" WHERE {summary.where}"
            schema_editor.execute(summary.fill(rows))


def uninstall(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    for summary in SUMMARIES:
        statements = summary.pg_drop() if vendor == "postgresql" else summary.sqlite_drop()
        for statement in statements:
            schema_editor.execute(statement)


# For bench/seed.py (PostgreSQL). The payments' function is written again first: it names
# the time zone the days are counted in, which is settings.TIME_ZONE at the time.
SUMMARIES_TABLES = [RECEIVABLE_TABLE, PAYMENT_DAY_TABLE]
SUMMARIES_REBUILD = [
    PAYMENT_DAYS.pg_function(),
    *RECEIVABLES.rebuild(),
    *PAYMENT_DAYS.rebuild(),
]
SUMMARIES_CHECK = {
    "receivables by due date = the invoices": RECEIVABLES.check(),
    "payments by day = the payments": PAYMENT_DAYS.check(),
}
