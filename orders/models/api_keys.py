"""Keys of outside systems to the API."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiScope(models.TextChoices):
    """What a key may do; each API operation requires one."""

    INTAKE = "intake", _("intake: create orders")
    ACCOUNTING = "accounting", _("accounting: record payments, read any order")
    READ = "read", _("read: the status of orders")
    EXCHANGE = "exchange", _("exchange: 1C's exchange with the site (CommerceML)")


class ApiKey(models.Model):
    """A key of an outside system (the web shop, accounting). Only its hash is stored."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True, verbose_name=_("prefix"))
    key_hash = models.CharField(max_length=64, verbose_name=_("key hash"))
    # A list of ApiScope values. JSON rather than an array: SQLite serves development.
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last used at"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def allows(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def reads_any_order(self) -> bool:
        """Accounting pays invoices of any order, so its key reads any order; any other key
        reads only the orders it brought in."""
        return self.allows(ApiScope.ACCOUNTING)
