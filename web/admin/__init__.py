"""Django admin, one module per subject, registered when admin loads this."""

from web.admin import (  # noqa: F401
    integration,
    invoices,
    logistics,
    orders,
    production,
    tasks,
    working_time,
)
