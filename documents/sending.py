"""The closing documents reach a business client by e-mail, once all of them have their
PDF: one letter with every document attached."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from documents.models import ClosingDocument
from notifications.client import tell_client
from orders.models import Customer
from orders.services.common import lock_order


def closing_documents_send(*, order_id: int) -> bool:
    """E-mail the order's documents to a business client when every one is rendered and
    none has gone out in its current version. Claimed under the order's lock by sent_at,
    so two renders finishing at once send one letter; a person gets none (a private
    buyer needs no closing documents for their books). True when a letter was queued."""
    with transaction.atomic():
        order = lock_order(order_id)
        if order.customer.kind == Customer.Kind.PERSON:
            return False
        documents = list(ClosingDocument.objects.filter(order=order).order_by("kind"))
        if not documents or not all(d.pdf_is_current for d in documents):
            return False
        if all(d.sent_at is not None for d in documents):
            return False
        ClosingDocument.objects.filter(order=order).update(sent_at=timezone.now())
        tell_client(
            order=order,
            kind="closing_documents",
            document_ids=[d.pk for d in documents],
        )
    return True
