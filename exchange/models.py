"""The 1C exchange: what was sent to and taken from 1C (CommerceML 2, "обмен с сайтом").

1C speaks first: it signs in (checkauth) with an API key holding the `exchange` scope and
gets a cookie, which names an ExchangeSession. It asks for the orders changed since the
last exchange it confirmed (query, then success: the watermark), and uploads its own
orders document in chunks (file) before asking us to apply it (import). Every call leaves
an ExchangeLog row."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from orders.models import ApiKey


class ExchangeSession(models.Model):
    """One exchange of 1C's, from checkauth on: the cookie's value is hashed here, as an
    API key is."""

    key = models.ForeignKey(
        ApiKey,
        on_delete=models.CASCADE,
        related_name="exchange_sessions",
        verbose_name=pgettext_lazy("1C exchange", "key"),
    )
    token_hash = models.CharField(
        max_length=64, unique=True, verbose_name=pgettext_lazy("1C exchange", "token hash")
    )
    created_at = models.DateTimeField(pgettext_lazy("1C exchange", "started"), default=timezone.now)
    expires_at = models.DateTimeField(pgettext_lazy("1C exchange", "expires"))

    class Meta:
        verbose_name = _("exchange session")
        verbose_name_plural = _("exchange sessions")

    def __str__(self) -> str:
        return f"{self.key.name} {self.created_at:%Y-%m-%d %H:%M}"


class ExchangeUpload(models.Model):
    """A file 1C uploads (mode=file), appended chunk by chunk until it asks to import it.
    In the database rather than on disk: every web process sees it, whatever the storage."""

    session = models.ForeignKey(
        ExchangeSession,
        on_delete=models.CASCADE,
        related_name="uploads",
        verbose_name=pgettext_lazy("1C exchange", "session"),
    )
    filename = models.CharField(pgettext_lazy("1C exchange", "file name"), max_length=200)
    content = models.BinaryField(pgettext_lazy("1C exchange", "content"), default=b"")
    size = models.PositiveIntegerField(pgettext_lazy("1C exchange", "size"), default=0)
    updated_at = models.DateTimeField(pgettext_lazy("1C exchange", "updated"), auto_now=True)

    class Meta:
        verbose_name = _("exchange upload")
        verbose_name_plural = _("exchange uploads")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "filename"], name="exchange_upload_unique_per_session"
            )
        ]

    def __str__(self) -> str:
        return self.filename


class ExchangeWatermark(models.Model):
    """Where an exchange login's orders stand: everything changed up to `confirmed_at` has
    reached 1C, and so have the orders in `confirmed_versions` (id → updated_at) at those
    versions. A query leaves its own pair pending; 1C's success confirms it. Without it the
    next query sends the same orders again."""

    key = models.OneToOneField(
        ApiKey,
        on_delete=models.CASCADE,
        related_name="exchange_watermark",
        verbose_name=pgettext_lazy("1C exchange", "key"),
    )
    confirmed_at = models.DateTimeField(_("confirmed up to"), null=True, blank=True)
    confirmed_versions = models.JSONField(default=dict, blank=True)
    pending_at = models.DateTimeField(_("sent up to, unconfirmed"), null=True, blank=True)
    pending_versions = models.JSONField(default=dict, blank=True)
    pending_count = models.PositiveIntegerField(_("orders sent, unconfirmed"), default=0)
    queried_at = models.DateTimeField(_("last query"), null=True, blank=True)
    success_at = models.DateTimeField(_("last confirmation"), null=True, blank=True)

    class Meta:
        verbose_name = _("exchange watermark")
        verbose_name_plural = _("exchange watermarks")

    def __str__(self) -> str:
        return self.key.name


class Mode(models.TextChoices):
    CHECKAUTH = "checkauth", pgettext_lazy("1C exchange step", "Sign-in")
    INIT = "init", pgettext_lazy("1C exchange step", "Parameters")
    QUERY = "query", pgettext_lazy("1C exchange step", "Orders sent")
    SUCCESS = "success", pgettext_lazy("1C exchange step", "Receipt confirmed")
    FILE = "file", pgettext_lazy("1C exchange step", "File chunk")
    IMPORT = "import", pgettext_lazy("1C exchange step", "Orders imported")
    OTHER = "other", pgettext_lazy("1C exchange step", "Unknown request")


class Direction(models.TextChoices):
    TO_1C = "to_1c", _("to 1C")
    FROM_1C = "from_1c", _("from 1C")
    NONE = "none", pgettext_lazy("exchange direction", "none")


class ExchangeLog(models.Model):
    """One call of 1C's: what it asked, what came of it, and the document (its beginning)."""

    created_at = models.DateTimeField(
        pgettext_lazy("1C exchange", "time"), default=timezone.now, db_index=True
    )
    key = models.ForeignKey(
        ApiKey,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=pgettext_lazy("1C exchange", "key"),
    )
    login = models.CharField(pgettext_lazy("1C exchange", "login"), max_length=150, blank=True)
    mode = models.CharField(
        pgettext_lazy("1C exchange", "step"), max_length=16, choices=Mode.choices
    )
    direction = models.CharField(
        pgettext_lazy("1C exchange", "direction"),
        max_length=8,
        choices=Direction.choices,
        default=Direction.NONE,
    )
    ok = models.BooleanField(pgettext_lazy("1C exchange", "success"), default=True)
    filename = models.CharField(
        pgettext_lazy("1C exchange", "file name"), max_length=200, blank=True
    )
    size = models.PositiveIntegerField(pgettext_lazy("1C exchange", "bytes"), default=0)
    documents = models.PositiveIntegerField(pgettext_lazy("1C exchange", "documents"), default=0)
    payments = models.PositiveIntegerField(_("payments recorded"), default=0)
    repeated = models.PositiveIntegerField(_("payments already recorded"), default=0)
    shipments = models.PositiveIntegerField(_("orders shipped"), default=0)
    skipped = models.PositiveIntegerField(_("documents skipped"), default=0)
    errors = models.TextField(_("errors and notes"), blank=True)
    document = models.TextField(_("document (beginning)"), blank=True)
    remote_addr = models.GenericIPAddressField(
        pgettext_lazy("1C exchange", "address"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("1C exchange log entry")
        verbose_name_plural = _("1C exchange log entries")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.created_at):%Y-%m-%d %H:%M:%S} {self.get_mode_display()}"
