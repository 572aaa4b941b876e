import logging
import os

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


@worker_init.connect
@beat_init.connect
def _refuse_the_dev_key(**kwargs) -> None:
    from config.env import require_secret_key

    require_secret_key()


@worker_process_init.connect
def _warm_the_pdf_renderer(**kwargs) -> None:
    """Each pool process renders its first invoice as fast as its hundredth."""
    # Imported here: this module loads before Django's apps (config/__init__.py).
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
