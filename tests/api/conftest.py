"""An order waiting for its prepayment and one key that may do everything, for the API's
generated-input tests."""

from __future__ import annotations

import pytest

from orders.services.api_keys import api_key_create
from tests.invoices.conftest import (  # noqa: F401  (fixtures)
    invoice,
    media_in_tmp,
    order_in_prepayment,
    seller,
)


@pytest.fixture
def key(db) -> str:
    return api_key_create(name="Everything", scopes=["intake", "accounting", "read"])[1]


@pytest.fixture
def auth(key) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
