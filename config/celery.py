import logging
import os
import time

from celery import Celery
from celery.signals import (
    beat_init,
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_init,
    worker_ready,
)

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


# TASK_COST_LOG=1: one line per task run with the CPU time it took in its process beside its
# wall time ("task cost <name> cpu <ms> wall <ms>"), for bench/pipeline.py and for finding
# what a busy worker spends itself on; the wall time alone also counts waiting (the
# database, SMTP, other processes on the same cores).
_started: dict[str, tuple[float, float]] = {}
# Its own level: the lines show whatever LOG_LEVEL quietens (it is only on when asked).
cost_logger = logging.getLogger("config.celery.cost")
cost_logger.setLevel(logging.INFO)


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(task=None, **kwargs) -> None:
    """Around each task run by a worker, what Django does around a web request: a database
    connection that broke, or is older than CONN_MAX_AGE, is closed (the next query opens
    a new one); the others are kept (settings.CELERY_DB_REUSE_MAX). Not for an eager task,
    which runs inside its caller's transaction."""
    if task is None or getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


@task_prerun.connect
def _cost_start(task_id: str | None = None, **kwargs) -> None:
    from django.conf import settings

    if settings.TASK_COST_LOG and task_id:
        _started[task_id] = (time.process_time(), time.perf_counter())


@task_postrun.connect
def _cost_log(task_id: str | None = None, task=None, **kwargs) -> None:
    started = _started.pop(task_id or "", None)
    if started is None or task is None:
        return
    cpu, wall = time.process_time() - started[0], time.perf_counter() - started[1]
    cost_logger.info("task cost %s cpu %.1f wall %.1f", task.name, cpu * 1000, wall * 1000)
