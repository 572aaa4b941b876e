"""One collectstatic per run and a gunicorn serving the test database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.site import Site, collectstatic
from tests.invoices.conftest import seller  # noqa: F401 (the seller's requisites on invoices)


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("deploy") / "staticfiles"
    collectstatic(root)
    return root


@pytest.fixture(scope="session")
def site(django_db_setup, static_root, tmp_path_factory) -> Iterator[Site]:
    """The deployed site, shared by the tests of a run (its users come from each test's
    committed data)."""
    server = Site(static_root=static_root, workdir=tmp_path_factory.mktemp("site")).start()
    yield server
    server.stop()


@pytest.fixture
def serve(static_root, tmp_path) -> Iterator:
    """serve(REDIS_URL=…) → a site of its own with some variables changed."""
    servers: list[Site] = []

    def start(**overrides: str) -> Site:
        workdir = tmp_path / f"site{len(servers)}"
        server = Site(static_root=static_root, workdir=workdir, **overrides)
        servers.append(server.start())
        return server

    yield start
    for server in servers:
        server.stop()
