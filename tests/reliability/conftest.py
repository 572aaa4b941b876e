"""The invoices' fixtures (the seller, CloudPayments settings, media in a temporary
directory), and a private redis-server as the broker."""

from tests.invoices.conftest import (  # noqa: F401  (fixtures)
    cloudpayments,
    fake_cp,
    media_in_tmp,
    redis_server,
    seller,
)
