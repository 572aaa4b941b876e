import logging
import os
from collections.abc import Callable

from celery import Celery
from celery.signals import beat_init, worker_init, worker_process_init, worker_ready

from config.requestid import connect_celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)

app = Celery("conveyor")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The id of the request that queued a task is in the task's log lines (config/requestid.py).
connect_celery()


def retry_or_give_up(
    task,
    exc: Exception,
    what: str,
    *,
    first: int = 10,
    cap: int = 600,
    give_up: Callable[[Exception], None] | None = None,
) -> None:
    """Retry the running task with exponential backoff (`first` seconds, doubling, at most
    `cap`). Past its max_retries: log it, then call `give_up(exc)` (which records the failure
    where people see it) or, without one, re-raise so the worker shows the failure and the
    sweep finds the row still pending."""
    if task.request.retries >= task.max_retries:
        logger.error("%s failed for good: %r", what, exc)
        if give_up is None:
            raise exc
        give_up(exc)
        return
    logger.warning("%s failed, retrying: %r", what, exc)
    raise task.retry(exc=exc, countdown=min(first * 2**task.request.retries, cap)) from exc


@worker_init.connect
@beat_init.connect
def _refuse_the_dev_key(**kwargs) -> None:
    from config.env import require_secret_key

    require_secret_key()


@worker_process_init.connect
def _warm_the_pdf_renderer(**kwargs) -> None:
    """Each pool process renders its first invoice as fast as its hundredth."""
    from invoices.pdf import renderer_warm

    try:
        renderer_warm()
    except Exception:  # a cold renderer still works; it only starts slower
        logger.exception("could not warm the PDF renderer")


@worker_ready.connect
def _warm_a_poolless_worker(sender=None, **kwargs) -> None:
    """A solo or threads worker renders in its own process, which `worker_process_init`
    never reaches: it warms itself once it is ready. A prefork parent renders nothing."""
    from celery.concurrency.prefork import TaskPool as PreforkPool

    if not isinstance(getattr(sender, "pool", None), PreforkPool):
        _warm_the_pdf_renderer()
