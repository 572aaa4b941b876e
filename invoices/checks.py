"""Refuse settings the money side cannot work with, at startup."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


@register()
def invoice_settings_check(app_configs, **kwargs) -> list:
    problems: list[CheckMessage] = []
    raw = (settings.INVOICE_VAT_RATE or "").strip()
    if raw.lower() not in ("", "none", "0"):
        try:
            rate = Decimal(raw)
            if not (0 < rate < 100):
                raise InvalidOperation
        except InvalidOperation:
            problems.append(
                Error(
                    f"INVOICE_VAT_RATE={raw!r} is not a rate: use '' (without VAT) or e.g. '20'.",
                    id="invoices.E001",
                )
            )
    if bool(settings.CLOUDPAYMENTS_PUBLIC_ID) != bool(settings.CLOUDPAYMENTS_API_SECRET):
        problems.append(
            Error(
                "Set both CLOUDPAYMENTS_PUBLIC_ID and CLOUDPAYMENTS_API_SECRET, or neither.",
                id="invoices.E002",
            )
        )
    problems += _receipt_settings()
    if settings.CLOUDPAYMENTS_TEST_MODE and not settings.DEBUG:
        problems.append(
            Warning(
                "CLOUDPAYMENTS_TEST_MODE is on outside DEBUG: test card payments will count "
                "as real money.",
                id="invoices.W001",
            )
        )
    return problems


def _receipt_settings() -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    if settings.RECEIPTS_TAXATION_SYSTEM not in range(6):
        problems.append(
            Error(
                f"RECEIPTS_TAXATION_SYSTEM={settings.RECEIPTS_TAXATION_SYSTEM} is not one of "
                "CloudPayments' taxation systems (0 to 5).",
                id="invoices.E003",
            )
        )
    inn = settings.RECEIPTS_INN
    if inn and not (inn.isdigit() and len(inn) in (10, 12)):
        problems.append(
            Error(f"RECEIPTS_INN={inn!r} is not an INN (10 or 12 digits).", id="invoices.E004")
        )
    if settings.RECEIPTS_ENABLED and not settings.CLOUDPAYMENTS_API_SECRET:
        problems.append(
            Error(
                "RECEIPTS_ENABLED needs CloudPayments: set CLOUDPAYMENTS_PUBLIC_ID and "
                "CLOUDPAYMENTS_API_SECRET.",
                id="invoices.E005",
            )
        )
    return problems


@register(Tags.compatibility, deploy=True)
def pdf_renderer_check(app_configs, **kwargs) -> list:
    """Without HarfBuzz-Subset WeasyPrint falls back to fontTools to subset the embedded
    font, which makes every invoice PDF about five times slower (and logs a warning each
    time)."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    if harfbuzz_subset is None or not harfbuzz.hb_version_atleast(4, 1, 0):
        return [
            Warning(
                "HarfBuzz-Subset (>= 4.1) is not installed: invoice PDFs render several "
                "times slower.",
                hint="Install it with the system's package manager, e.g. "
                "apt-get install libharfbuzz-subset0.",
                id="invoices.W002",
            )
        ]
    return []
