"""Carriers that take our parcels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Carrier(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    tracking_url = models.CharField(
        _("tracking URL pattern"),
        max_length=300,
        blank=True,
        help_text=_("Use {number} where the tracking number goes."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def tracking_link(self, number: str) -> str:
        if not number or "{number}" not in self.tracking_url:
            return ""
        return self.tracking_url.replace("{number}", number)
