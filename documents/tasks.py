"""Background work of closing documents: a thin adapter that takes an id and calls the
services. Queued with a Work row (orders.queue.enqueue_after_commit(record=True)), so the
sweep queues it again when the broker lost it; a failure is retried with backoff, and
after WORK_MAX_ATTEMPTS it is a dead letter with its error on the document."""

from __future__ import annotations

from celery import shared_task

from documents.models import ClosingDocument
from documents.pdf import document_pdf_store
from documents.sending import closing_documents_send
from orders.work import work_done, work_failed


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def closing_document_render(self, document_id: int) -> None:
    """Idempotent: renders only when the stored PDF is older than the document, and the
    e-mail is claimed once per version. Never run in a request."""
    try:
        document_pdf_store(document_id)
        order_id = ClosingDocument.objects.values_list("order_id", flat=True).get(pk=document_id)
        closing_documents_send(order_id=order_id)
    except ClosingDocument.DoesNotExist:
        work_done(self.name, [document_id])
        return
    except Exception as exc:
        work_failed(
            self.name,
            [document_id],
            exc,
            give_up=lambda exc: ClosingDocument.objects.filter(pk=document_id).update(
                pdf_error=repr(exc)[:1000]
            ),
        )
        return
    work_done(self.name, [document_id])
