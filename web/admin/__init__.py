"""Django admin, one module per subject, registered when admin loads this."""

from django.apps import apps
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from web.admin import (  # noqa: F401
    documents,
    exchange,
    integration,
    invoices,
    logistics,
    orders,
    production,
    statements,
    tasks,
    working_time,
)

# The product's own name, as on the workspace's pages (templates/base.html).
admin.site.site_header = "Conveyor"
admin.site.site_title = "Conveyor"
admin.site.index_title = _("Administration")

# django-axes names its app "Axes": the lockouts read in the reader's language too.
if apps.is_installed("axes"):
    apps.get_app_config("axes").verbose_name = _("Login attempts")
