"""The client."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.phones import PhoneError, phone_display, phone_normalize, phone_storable
from core.requisites import (
    RequisiteError,
    account_clean,
    bik_clean,
    correspondent_account_clean,
    inn_clean,
    kpp_clean,
    ogrn_clean,
)


class Customer(models.Model):
    class Language(models.TextChoices):
        RU = "ru", _("Russian")
        EN = "en", _("English")

    class Kind(models.TextChoices):
        PERSON = "person", pgettext_lazy("customer kind", "Person")
        SOLE_TRADER = "sole_trader", pgettext_lazy("customer kind", "Sole trader")
        COMPANY = "company", pgettext_lazy("customer kind", "Company")

    name = models.CharField(_("name"), max_length=200)
    company = models.CharField(_("company"), max_length=200, blank=True)
    # Requisites of a business buyer, printed on its invoices and closing documents. A
    # sole trader's or company's INN names one customer.
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.PERSON)
    inn = models.CharField(_("INN"), max_length=12, blank=True)
    kpp = models.CharField(_("KPP"), max_length=9, blank=True)
    ogrn = models.CharField(_("OGRN / OGRNIP"), max_length=15, blank=True)
    legal_address = models.CharField(_("legal address"), max_length=300, blank=True)
    bank_name = models.CharField(_("bank"), max_length=200, blank=True)
    bik = models.CharField(_("BIK"), max_length=9, blank=True)
    account = models.CharField(_("settlement account"), max_length=20, blank=True)
    correspondent_account = models.CharField(_("correspondent account"), max_length=20, blank=True)
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
        constraints = [
            models.UniqueConstraint(
                fields=["inn"],
                condition=~models.Q(inn=""),
                name="customer_inn_unique",
                violation_error_message=_("A client with this INN is already on file."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # Whatever path writes a client, a valid phone is stored in one form, so equal
        # phones compare equal; forms and the API refuse an invalid one before this.
        self.phone = phone_storable(self.phone)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        try:
            self.phone = phone_normalize(self.phone)
        except PhoneError as error:
            errors["phone"] = str(error)
        errors.update(self.requisites_clean())
        if errors:
            raise ValidationError(errors)

    def requisites_clean(self) -> dict[str, str]:
        """Normalises the requisites in place; returns {field: message} for those wrong.
        A sole trader needs a 12-digit INN, a company a 10-digit INN and a KPP; a person
        may give a 12-digit INN. OGRN/OGRNIP and bank details are optional."""
        company = self.kind == self.Kind.COMPANY
        business = company or self.kind == self.Kind.SOLE_TRADER
        if not company:
            self.kpp = ""
        if not business:
            self.ogrn = ""
        checks: list[tuple[str, Callable[[str], str], bool]] = [
            ("inn", partial(inn_clean, length=10 if company else 12), business),
            ("kpp", kpp_clean, company),
            ("ogrn", partial(ogrn_clean, length=13 if company else 15), False),
            ("bik", bik_clean, False),
            ("account", partial(account_clean, bik=self.bik), False),
            ("correspondent_account", partial(correspondent_account_clean, bik=self.bik), False),
        ]
        errors: dict[str, str] = {}
        for field, check, required in checks:
            value = getattr(self, field).strip()
            if not value:
                if required:
                    errors[field] = str(
                        _("Required for a company.")
                        if field == "kpp"
                        else _("Required for a business buyer.")
                    )
                continue
            try:
                setattr(self, field, check(value))
            except RequisiteError as error:
                errors[field] = str(error)
        return errors

    @property
    def buyer_name(self) -> str:
        """The name a document gives the buyer: the company's for a business."""
        if self.kind != self.Kind.PERSON and self.company:
            return self.company
        return self.name

    @property
    def requisites_line(self) -> str:
        """«ООО «Ромашка», ИНН 7707083893, КПП 773601001, 125040, г. Москва, …»."""
        parts = [self.buyer_name]
        if self.inn:
            parts.append(f"{_('INN')} {self.inn}")
        if self.kpp:
            parts.append(f"{_('KPP')} {self.kpp}")
        if self.legal_address:
            parts.append(self.legal_address)
        return ", ".join(str(part) for part in parts)

    @property
    def phone_display(self) -> str:
        return phone_display(self.phone)
