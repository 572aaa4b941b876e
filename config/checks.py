"""System checks for dangerous combinations of settings."""

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_production_services(app_configs, **kwargs):
    problems: list[CheckMessage] = []
    if settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        problems.append(
            Error(
                "SECRET_KEY is not set: the development key is public.",
                hint="Set SECRET_KEY to a long random string.",
                id="conveyor.E002",
            )
        )
    if not settings.DEBUG and not settings.DATABASE_URL:
        problems.append(
            Warning(
                "DATABASE_URL is not set: production would run on a local SQLite file.",
                hint="Set DATABASE_URL=postgres://…",
                id="conveyor.W001",
            )
        )
    if not settings.DEBUG and not settings.REDIS_URL:
        problems.append(
            Warning(
                "REDIS_URL is not set: background work runs inside web requests.",
                hint="Set REDIS_URL=redis://…",
                id="conveyor.W002",
            )
        )
    if settings.CELERY_TASK_ALWAYS_EAGER and settings.REDIS_URL:
        problems.append(
            Warning(
                "CELERY_TASK_ALWAYS_EAGER is on although Redis is configured.", id="conveyor.W003"
            )
        )
    if not settings.DEBUG and settings.SITE_URL.startswith("http://"):
        problems.append(
            Warning(
                "SITE_URL is not https: links sent to clients are insecure.", id="conveyor.W004"
            )
        )
    return problems
