"""Liveness and readiness for load balancers, orchestrators and the compose healthcheck.

They are answered by the first middleware, before host validation and the HTTPS redirect:
a probe calls the container by its address (Host: 127.0.0.1:8000) over plain HTTP, which
the site itself rightly refuses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

OK = "ok"


def _database() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
    return OK


def _redis() -> str:
    import redis

    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2, health_check_interval=0
    )
    try:
        client.ping()
    finally:
        client.close()
    return OK


def _migrations() -> str:
    # About 3 ms once the migration modules are imported: one query on django_migrations.
    executor = MigrationExecutor(connections["default"])
    unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if unapplied:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in unapplied[:3])
        return f"fail: {len(unapplied)} unapplied ({names})"
    return OK


def _run(name: str, check: Callable[[], str]) -> str:
    try:
        return check()
    except Exception as exc:
        # The probe's answer names the dependency; the details go to the log only.
        logger.warning("readiness: %s is not reachable: %r", name, exc)
        return f"fail: {type(exc).__name__}"


def readiness() -> dict[str, str]:
    checks = {"database": _run("database", _database)}
    if settings.REDIS_URL:
        checks["redis"] = _run("redis", _redis)
    if checks["database"] == OK:
        checks["migrations"] = _run("migrations", _migrations)
    else:
        checks["migrations"] = "fail: database unreachable"
    return checks


def _answer(checks: dict[str, str]) -> HttpResponse:
    healthy = all(value == OK for value in checks.values())
    response = JsonResponse(
        {"status": OK if healthy else "fail", "checks": checks}, status=200 if healthy else 503
    )
    response["Cache-Control"] = "no-store"
    # Each failed check was logged once with its cause; Django's own "Service Unavailable"
    # error line every few seconds of an outage would add nothing but noise (and alerts).
    # A Django-internal flag the stubs do not declare.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def healthz() -> HttpResponse:
    """The process is alive and answers; nothing else is asked."""
    return _answer({"process": OK})


def readyz() -> HttpResponse:
    """The process can serve: PostgreSQL answers, Redis answers (when configured) and every
    migration is applied."""
    return _answer(readiness())


PROBES: dict[str, Callable[[], HttpResponse]] = {
    "/healthz/": healthz,
    "/healthz": healthz,
    "/readyz/": readyz,
    "/readyz": readyz,
}


class HealthMiddleware:
    """First in MIDDLEWARE: answers the probes whatever the Host header or scheme."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        return probe()
