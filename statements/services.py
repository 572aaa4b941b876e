"""Importing a bank statement: incoming payments matched to open invoices and recorded
through the pipeline (which moves the orders), the rest listed for an accountant. One
statement is one transaction: a file refused half way books nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
from enum import Enum

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from invoices.models import Invoice, PaymentSource, SellerProfile
from orders.rules import OrderError
from pipeline.payments import payment_register
from statements.matching import invoice_match
from statements.models import LineStatus, StatementImport, StatementLine
from statements.parser import Document, Statement, StatementError, parse

LINE_CLOSED = gettext_lazy("This payment has already been dealt with; nothing was changed.")
INVOICE_NOT_OPEN = gettext_lazy("Invoice %(number)s is not awaiting payment.")
INVOICE_NOT_RUB = gettext_lazy("Invoice %(number)s is not in roubles.")
BY_HAND = gettext_noop("matched by hand")
NOT_OUR_ACCOUNT = gettext_lazy(
    "The statement is for account %(account)s, while the company's account in the "
    "seller's requisites is %(ours)s; nothing was imported."
)


class MatchError(OrderError):
    pass


class Direction(Enum):
    INCOMING = "incoming"
    OUTGOING = "outgoing"
    UNRELATED = "unrelated"


def direction_of(document: Document, ours: set[str]) -> Direction:
    """Money to one of our accounts (or marked received, ДатаПоступило) is incoming; from
    one of them (or marked debited) is outgoing; between two of ours, or between others,
    it is nothing to match."""
    to_us = document.recipient_account in ours
    from_us = document.payer_account in ours
    if to_us and from_us:
        return Direction.UNRELATED
    if to_us or (document.received_on and not from_us):
        return Direction.INCOMING
    if from_us or document.debited_on:
        return Direction.OUTGOING
    return Direction.UNRELATED


def line_key(document: Document) -> str:
    """The payment's external id: the payer's document number, its date and the payer's
    INN (the account when a person pays without one): a payer numbers its documents once
    a day at most."""
    payer = document.payer_inn or document.payer_account or document.payer_name[:40]
    return f"{document.number}|{document.date:%d.%m.%Y}|{payer}"[:100]


def statement_import(*, body: bytes, file_name: str, actor: User | None) -> StatementImport:
    """Read the statement and apply it; a StatementError refuses it whole (unreadable, or
    the statement of an account that is not the one our invoices name)."""
    statement = parse(body)
    SellerProfile.load()  # the row locked below exists, even before requisites are entered
    with transaction.atomic():
        # Two accountants uploading the same file at once: the second waits for the first
        # and then finds every line already there.
        account = SellerProfile.objects.select_for_update().get(pk=1).account
        if account and statement.accounts and account not in statement.accounts:
            # Another company's statement, or another account's: its money is not what
            # our invoices ask to be paid to.
            raise StatementError(
                str(NOT_OUR_ACCOUNT) % {"account": statement.accounts[0], "ours": account}
            )
        ours = {a for a in (account, *statement.accounts) if a}
        record = StatementImport.objects.create(
            file_name=file_name[:255],
            digest=hashlib.sha256(body).hexdigest(),
            uploaded_by=actor,
            account=statement.accounts[0] if statement.accounts else "",
            sender=statement.sender,
            period_start=statement.start,
            period_end=statement.end,
            documents=len(statement.documents),
        )
        _apply(record, statement, ours, actor)
    return record


def _apply(record: StatementImport, statement: Statement, ours: set[str], actor) -> None:
    incoming = []
    for document in statement.documents:
        direction = direction_of(document, ours)
        if direction is Direction.INCOMING:
            incoming.append(document)
        elif direction is Direction.OUTGOING:
            record.outgoing_ignored += 1
        else:
            record.unrelated_ignored += 1
    keys = [line_key(document) for document in incoming]
    seen = set(StatementLine.objects.filter(key__in=keys).values_list("key", flat=True))
    for document, key in zip(incoming, keys, strict=True):
        if key in seen:
            record.duplicates += 1
            continue
        seen.add(key)
        line = _line_apply(record, document, key, actor)
        if line.status == LineStatus.MATCHED:
            record.incoming_matched += 1
        else:
            record.incoming_unmatched += 1
    record.save()


def _line_apply(
    record: StatementImport, document: Document, key: str, actor: User | None
) -> StatementLine:
    line = StatementLine(
        statement=record,
        key=key,
        line=document.line,
        kind=document.kind,
        number=document.number,
        date=document.date,
        received_on=document.received_on,
        amount=document.amount,
        payer_name=document.payer_name,
        payer_inn=document.payer_inn,
        payer_kpp=document.payer_kpp,
        payer_account=document.payer_account,
        recipient_account=document.recipient_account,
        purpose=document.purpose,
        status=LineStatus.UNMATCHED,
    )
    match = invoice_match(document)
    line.note = match.note
    if match.invoice is not None:
        try:
            line.payment, _created = payment_register(**_payment_fields(line, match.invoice, actor))
        except OrderError as exc:  # refused by the ledger (a date ahead, a void invoice)
            line.note = exc.message[:300]
        else:
            line.invoice, line.status = match.invoice, LineStatus.MATCHED
            line.matched_at = timezone.now()
    line.save()
    return line


def _payment_fields(line: StatementLine, invoice: Invoice, actor: User | None) -> dict:
    day = line.received_on or line.date
    return {
        "invoice": invoice,
        "amount": line.amount,
        "source": PaymentSource.BANK_STATEMENT,
        "external_id": line.key,
        "reference": f"№ {line.number} {line.date:%d.%m.%Y} {line.payer_name}".strip()[:200],
        "paid_at": timezone.make_aware(dt.datetime.combine(day, dt.time())),
        "actor": actor,
    }


def statement_line_match(*, line: StatementLine, invoice: Invoice, actor: User) -> StatementLine:
    """An accountant says which invoice an unmatched payment pays: it is recorded there
    (the order moves as with any payment). A second click finds it matched."""
    with transaction.atomic():
        line = StatementLine.objects.select_for_update().get(pk=line.pk)
        if not line.is_open:
            raise MatchError(str(LINE_CLOSED))
        if not invoice.is_open:
            raise MatchError(str(INVOICE_NOT_OPEN) % {"number": invoice.number})
        if invoice.currency != "RUB":
            raise MatchError(str(INVOICE_NOT_RUB) % {"number": invoice.number})
        line.payment, _created = payment_register(**_payment_fields(line, invoice, actor))
        line.invoice, line.status, line.note = invoice, LineStatus.MATCHED_BY_HAND, BY_HAND
        line.matched_by, line.matched_at = actor, timezone.now()
        line.save()
        StatementImport.objects.filter(pk=line.statement_id).update(
            incoming_unmatched=F("incoming_unmatched") - 1,
            matched_by_hand=F("matched_by_hand") + 1,
        )
    return line


def statement_line_dismiss(*, line: StatementLine, actor: User) -> StatementLine:
    """Money that pays no invoice (a supplier's refund, a loan): off the list, kept."""
    with transaction.atomic():
        line = StatementLine.objects.select_for_update().get(pk=line.pk)
        if not line.is_open:
            raise MatchError(str(LINE_CLOSED))
        line.status, line.matched_by, line.matched_at = LineStatus.IGNORED, actor, timezone.now()
        line.save()
        StatementImport.objects.filter(pk=line.statement_id).update(
            incoming_unmatched=F("incoming_unmatched") - 1
        )
    return line
