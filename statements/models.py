"""Bank statements in the 1CClientBankExchange format and the payments matched from them."""

from django.db import models  # noqa: F401
