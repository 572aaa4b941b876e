"""The invoices' fixtures (the seller, CloudPayments settings, media in a temporary
directory), and a private redis-server as the broker."""

import pytest

from tests.invoices.conftest import (  # noqa: F401  (fixtures)
    cloudpayments,
    fake_cp,
    media_in_tmp,
    seller,
)
from tests.invoices.harness import RedisServer, free_port, use_broker


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(free_port(), tmp_path).start()
    restore = use_broker(server.url)
    yield server
    restore()
    server.stop()
