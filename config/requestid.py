"""One id per request, in every log line the request writes and in the Celery tasks it
queues, so an operator can follow a click from the access log to the worker that sent the
e-mail.

The id comes from the proxy's X-Request-ID when it looks like one (nginx's $request_id, a
load balancer's trace id), otherwise it is made here; the response carries it back.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from http import HTTPStatus

import sentry_sdk
from celery.signals import before_task_publish, task_postrun, task_prerun
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# The Celery message header that carries the id from the web process to the worker.
TASK_HEADER = "conveyor_request_id"
# Letters, digits and a few separators, at most 128: nothing that could forge a log line.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+/=-]{0,127}", re.ASCII)

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def request_id_from(incoming: str | None) -> str:
    if incoming and _SANE.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = request_id_from(request.headers.get(HEADER))
        # Django logs a plain 4xx after the middleware has returned; the log filter finds
        # the id on the request then (an attribute of our own, unknown to the stubs).
        request.request_id = rid  # type: ignore[attr-defined]
        token = request_id.set(rid)
        sentry_sdk.set_tag("request_id", rid)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response[HEADER] = rid
        return response


class RequestIdFilter(logging.Filter):
    """Gives every record a `request_id` ("-" outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            rid = request_id.get()
            if rid is None:
                rid = getattr(getattr(record, "request", None), "request_id", None)
            record.request_id = rid or "-"
        return True


class ClientErrorsOnOneLine(logging.Filter):
    """A 4xx is the client's mistake or a probe, not ours: one line (method, path, status,
    why) instead of Django's warning with a traceback, and a wrong Host header at WARNING
    rather than ERROR. A 404 is INFO: a scanner produces hundreds. 5xx pass untouched."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        request = getattr(record, "request", None)
        if not isinstance(status, int) or not 400 <= status < 500 or request is None:
            return True
        exc = record.exc_info[1] if record.exc_info else None
        why = str(exc) if exc is not None and str(exc) else record.getMessage()
        path = getattr(request, "path", "?")
        why = why.removesuffix(f": {path}")
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        line = f"{getattr(request, 'method', '?')} {path} {status} {phrase}"
        if why and why != phrase:
            line = f"{line}: {why}"
        record.msg = line.replace("\r", "\\r").replace("\n", "\\n")[:500]
        record.args = None
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        record.levelno = logging.INFO if status == 404 else logging.WARNING
        record.levelname = logging.getLevelName(record.levelno)
        return True


# ------------------------------------------------------------------------------ Celery
_task_tokens: dict[str, Token] = {}


def task_publish_carry(headers: dict | None = None, **kwargs) -> None:
    """before_task_publish: the queued task carries the id of the request (or task) that
    queued it."""
    rid = request_id.get()
    if rid and headers is not None:
        headers.setdefault(TASK_HEADER, rid)


def task_started(task_id: str | None = None, task=None, **kwargs) -> None:
    """task_prerun: the task's log lines get the id it was queued with. An eager task runs
    inside the request and keeps the request's id."""
    carried = task.request.get(TASK_HEADER) if task is not None else None
    rid = carried if carried and _SANE.fullmatch(str(carried)) else request_id.get()
    _task_tokens[task_id or ""] = request_id.set(rid)


def task_finished(task_id: str | None = None, **kwargs) -> None:
    """task_postrun: the next task in this worker process starts without an id."""
    token = _task_tokens.pop(task_id or "", None)
    if token is None:
        return
    try:
        request_id.reset(token)
    except ValueError:  # set in another context (a thread pool): clear it instead
        request_id.set(None)


def connect_celery() -> None:
    before_task_publish.connect(task_publish_carry, weak=False, dispatch_uid="request_id_carry")
    task_prerun.connect(task_started, weak=False, dispatch_uid="request_id_start")
    task_postrun.connect(task_finished, weak=False, dispatch_uid="request_id_finish")
