"""The backup the README describes restores: pg_dump of the database plus a copy of the
media, restored into a new database and a new folder, gives back every order, every
invoice and each invoice's PDF."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import psycopg2
import pytest
from pypdf import PdfReader

from tests.invoices.conftest import make_order
from tests.invoices.harness import ROOT, database_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _run(*command: str, **env: str) -> None:
    result = subprocess.run(
        command, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True
    )
    assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"


@pytest.fixture
def restored_database() -> str:
    """A new, empty database to restore into; dropped afterwards."""
    source = database_url()
    name = f"conveyor_restored_{os.getpid()}"
    server = source.rsplit("/", 1)[0]
    _run("psql", f"{server}/postgres", "-c", f'DROP DATABASE IF EXISTS "{name}"')
    _run("psql", f"{server}/postgres", "-c", f'CREATE DATABASE "{name}"')
    yield f"{server}/{name}"
    _run("psql", f"{server}/postgres", "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_orders_invoices_and_their_pdfs_come_back_from_a_backup(
    restored_database, tmp_path, settings, catalogue, staff, seller, manager
):
    settings.MEDIA_ROOT = tmp_path / "media"
    orders = [
        make_order(catalogue=catalogue, manager=manager, email=f"client{i}@example.ru")
        for i in range(3)
    ]
    invoices = {o.number: o.invoices.get() for o in orders}
    assert all(invoice.pdf_is_current for invoice in invoices.values())

    # Back up (README, "Backup and restore"): the database, then the media.
    dump = tmp_path / "conveyor.dump"
    _run("pg_dump", "--format=custom", "--no-owner", f"--file={dump}", database_url())
    archive = tmp_path / "media.tar.gz"
    _run("tar", "-C", str(settings.MEDIA_ROOT), "-czf", str(archive), ".")

    # Restore on a new machine: an empty database and an empty media folder.
    _run("pg_restore", "--no-owner", f"--dbname={restored_database}", str(dump))
    media = tmp_path / "restored-media"
    media.mkdir()
    _run("tar", "-C", str(media), "-xzf", str(archive))

    with psycopg2.connect(restored_database) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT number, stage FROM orders_order ORDER BY number")
        assert cursor.fetchall() == sorted((o.number, o.stage) for o in orders)
        cursor.execute(
            "SELECT o.number, i.number, i.amount, i.pdf FROM invoices_invoice i"
            " JOIN orders_order o ON o.id = i.order_id ORDER BY o.number"
        )
        rows = cursor.fetchall()
    conn.close()
    assert [(order, number, amount) for order, number, amount, _pdf in rows] == sorted(
        (order, invoice.number, invoice.amount) for order, invoice in invoices.items()
    )
    for order, number, _amount, pdf in rows:
        restored = (media / pdf).read_bytes()
        assert restored.startswith(b"%PDF")
        assert len(PdfReader(io.BytesIO(restored)).pages) >= 1
        with invoices[order].pdf.open("rb") as original:
            assert restored == original.read(), number

    # The restored database is current for this code: nothing left to migrate.
    _run(
        sys.executable,
        "manage.py",
        "migrate",
        "--check",
        DATABASE_URL=restored_database,
        DJANGO_SETTINGS_MODULE="config.settings",
    )
