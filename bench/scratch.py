"""A database of a bench's own: created empty beside the one DATABASE_URL names, Django set
up on it with the bench's settings, dropped at the end."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit


def admin_execute(admin_url: str, sql: str) -> None:
    import psycopg2

    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(sql)
    connection.close()


@contextmanager
def scratch_database(suffix: str, **environ: str) -> Iterator[None]:
    """<name>_<suffix> beside DATABASE_URL's database, with Django set up on it and
    `environ` in the environment (the bench's settings); dropped on the way out."""
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/conveyor"
    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/')}_{suffix}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}"')
    admin_execute(admin_url, f'CREATE DATABASE "{name}"')
    try:
        os.environ.update(DATABASE_URL=urlunsplit(parts._replace(path="/" + name)), **environ)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django

        django.setup()
        yield
    finally:
        from django.db import connections

        connections.close_all()
        admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}"')
