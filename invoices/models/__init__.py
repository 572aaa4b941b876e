"""Invoices' models, one module per subject. Every model and choice is imported here:
Django finds the models through this package, and the rest of the project imports them
from `invoices.models`."""

from invoices.models.money import (
    MONEY_EPOCH,
    MONEY_HORIZON,
    PAYMENT_SIGN_FOLLOWS_KIND,
    UNPAID_STATUSES,
    ZERO,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    IssueKind,
    Payment,
    PaymentSource,
    ProviderEvent,
    ProviderEventKind,
    ReconciliationIssue,
    SellerProfile,
    public_token_for,
    public_token_hash,
)
from invoices.models.receipts import (
    PREPAYMENT_METHODS,
    Receipt,
    ReceiptStatus,
    ReceiptType,
    SettlementMethod,
)

__all__ = [
    "MONEY_EPOCH",
    "MONEY_HORIZON",
    "PAYMENT_SIGN_FOLLOWS_KIND",
    "PREPAYMENT_METHODS",
    "UNPAID_STATUSES",
    "ZERO",
    "Invoice",
    "InvoiceKind",
    "InvoiceStatus",
    "IssueKind",
    "Payment",
    "PaymentSource",
    "ProviderEvent",
    "ProviderEventKind",
    "Receipt",
    "ReceiptStatus",
    "ReceiptType",
    "ReconciliationIssue",
    "SellerProfile",
    "SettlementMethod",
    "public_token_for",
    "public_token_hash",
]
