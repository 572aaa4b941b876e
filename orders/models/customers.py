"""The client."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.phones import PhoneError, phone_display, phone_normalize, phone_storable


class Customer(models.Model):
    class Language(models.TextChoices):
        RU = "ru", _("Russian")
        EN = "en", _("English")

    name = models.CharField(_("name"), max_length=200)
    company = models.CharField(_("company"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, db_index=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.RU
    )
    do_not_notify = models.BooleanField(_("do not notify"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # Whatever path writes a client, a valid phone is stored in one form, so equal
        # phones compare equal; forms and the API refuse an invalid one before this.
        self.phone = phone_storable(self.phone)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        try:
            self.phone = phone_normalize(self.phone)
        except PhoneError as error:
            raise ValidationError({"phone": str(error)}) from None

    @property
    def phone_display(self) -> str:
        return phone_display(self.phone)
