"""Django admin for every department: one module each, registered when admin loads this."""

from web.admin import invoices, logistics, orders, production  # noqa: F401
