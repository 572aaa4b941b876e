"""Error tracking and log format, chosen by the environment from settings.py."""

from __future__ import annotations

from pythonjsonlogger.core import RESERVED_ATTRS


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float, release: str) -> bool:
    """Report unhandled errors of web requests and Celery tasks to Sentry (or a compatible
    service such as GlitchTip) when a DSN is given; without one nothing is loaded."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import ignore_logger

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration(), CeleryIntegration(monitor_beat_tasks=False)],
        # Clients' names, e-mails and addresses stay out of the error reports.
        send_default_pii=False,
    )
    # A wrong Host header is a scanner, not a bug of ours: it stays a log line.
    ignore_logger("django.security.DisallowedHost")
    return True


PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def log_formatters() -> dict[str, dict]:
    return {
        "plain": {"format": PLAIN_FORMAT},
        # One JSON object per line for a log shipper (Loki, ELK, CloudWatch).
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            # Django passes the request object along with its log records; it is not data.
            "reserved_attrs": [*RESERVED_ATTRS, "request"],
            "json_ensure_ascii": False,
        },
    }
