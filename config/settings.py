"""Conveyor settings. Every deploy-dependent value comes from the environment."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
import phonenumbers
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import (
    env_bool,
    env_choice,
    env_decimal,
    env_fraction,
    env_int,
    env_int_list,
    env_list,
    env_str,
)
from config.observability import log_formatters, sentry_init

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)
# Without SECRET_KEY, tooling (manage.py makemigrations, check, shell) still works; serving
# traffic or running workers refuses it (config.wsgi, config.celery: require_secret_key).
DEV_SECRET_KEY = "django-insecure-dev-key-change-me"
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "config.apps.ConfigConfig",
    "template_partials",
    # For its Swagger UI files (/api/docs), served from here rather than a CDN.
    "ninja",
    "orders",
    "notifications",
    "production",
    "invoices",
    "logistics",
    "documents",
    "pipeline",
    "exchange",
    "statements",
    "web",
]

MIDDLEWARE = [
    # The probes answer first, whatever the Host header or scheme (config/health.py).
    "config.health.HealthMiddleware",
    "config.requestid.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # A NUL byte in the path, query, cookies or a form: 400 (config/inputs.py).
    "config.inputs.NulGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    }
]

# Database: PostgreSQL when DATABASE_URL is set, a local SQLite file otherwise.
DATABASE_URL = env_str("DATABASE_URL", "")
DATABASES: dict[str, Any]
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
            # WAL and immediate transactions: the dev server and eager tasks write at once.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: the Celery broker and the shared cache. Without it tasks run eagerly in-process.
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# A request body (other than uploaded files) larger than this is refused: the JSON API
# answers 413 (config/api.py), forms a 400. No form or API document of ours comes near 1 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)
# WhiteNoise serves what collectstatic gathered in STATIC_ROOT: compressed (gzip, Brotli),
# under content-hashed names, cached by browsers for a year. Without STATIC_MANIFEST (DEBUG,
# the test suite) it serves static/ as the files are, re-read on every request.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", default=not DEBUG)
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = not STATIC_MANIFEST
# Media (invoice PDFs) on this machine's MEDIA_ROOT, or in an S3-compatible bucket that
# several web nodes and workers share. Code reaches files only through the storage API.
STORAGE_BACKEND = env_choice(
    "STORAGE_BACKEND", "s3" if env_str("AWS_STORAGE_BUCKET_NAME", "") else "local", ("local", "s3")
)
if STORAGE_BACKEND == "s3":
    MEDIA_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
            # Empty: AWS itself; otherwise MinIO, Yandex Object Storage, Selectel, …
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("AWS_S3_REGION_NAME", "") or None,
            # Empty keys: boto3 finds credentials itself (instance role, ~/.aws).
            "access_key": env_str("AWS_ACCESS_KEY_ID", "") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY", "") or None,
            "custom_domain": env_str("AWS_S3_CUSTOM_DOMAIN", "") or None,
            "addressing_style": env_choice("AWS_S3_ADDRESSING_STYLE", "", ("", "path", "virtual"))
            or None,
            "location": env_str("AWS_LOCATION", ""),
            # Invoices are private: objects carry no public ACL, links to them are signed.
            "default_acl": None,
            "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", default=True),
            "querystring_expire": env_int("AWS_QUERYSTRING_EXPIRE", 3600),
            "file_overwrite": False,
        },
    }
else:
    MEDIA_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": MEDIA_STORAGE,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# E-mail
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env_str("EMAIL_HOST", "")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Conveyor <orders@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security: strict in production, relaxed only with DEBUG on.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# CloudPayments
CLOUDPAYMENTS_PUBLIC_ID = env_str("CLOUDPAYMENTS_PUBLIC_ID", "")
CLOUDPAYMENTS_API_SECRET = env_str("CLOUDPAYMENTS_API_SECRET", "")
CLOUDPAYMENTS_BASE_URL = env_str("CLOUDPAYMENTS_BASE_URL", "https://api.cloudpayments.ru/")
CLOUDPAYMENTS_TEST_MODE = env_bool("CLOUDPAYMENTS_TEST_MODE", default=False)
CLOUDPAYMENTS_TIMEOUT = env_int("CLOUDPAYMENTS_TIMEOUT", 10)
# Fiscal receipts (54-ФЗ) through CloudPayments' online cash register: every card payment
# carries its receipt, a delivery its settlement, a card refund its return receipt.
RECEIPTS_ENABLED = env_bool("RECEIPTS_ENABLED", default=False)
# The INN the register is registered to; blank: the seller's INN from its requisites.
RECEIPTS_INN = env_str("RECEIPTS_INN", "")
# 0 general, 1 simplified (income), 2 simplified (income minus expenses), 3 imputed income,
# 4 agricultural tax, 5 patent.
RECEIPTS_TAXATION_SYSTEM = env_int("RECEIPTS_TAXATION_SYSTEM", 0)

# Celery: reliable delivery. A task is acknowledged only after it ran; a task whose worker
# died goes back to the queue; Redis redelivers unacknowledged tasks after the visibility
# timeout, which must exceed the task time limit (a killed worker's tasks come back within
# minutes). No task waits on a countdown longer than that: retries are scheduled in the
# database (orders.models.Work.next_attempt_at) and queued by the sweep.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker process keeps its database connection from task to task: Celery's Django fixup
# otherwise closes it around every task, and each of an order's ten tasks started a new
# PostgreSQL backend. config/celery.py closes one that broke or outlived CONN_MAX_AGE,
# as Django does after a web request; the fixup still closes it every 500 tasks.
CELERY_DB_REUSE_MAX = 500
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 60}
# A unit of background work that failed this many times is a dead letter: no longer
# retried, shown in the admin (Background work) and e-mailed to the accountants.
WORK_MAX_ATTEMPTS = env_int("WORK_MAX_ATTEMPTS", 5)
# Three queues, so a kind of work never waits behind a backlog of another: "pdf" (renders,
# a few hundred ms each), "email" (client and staff e-mails, sent in batches) and "default"
# (payments' follow-ups, links, sweeps: what moves orders on). A worker taking several
# queues takes from each in turn (docker-compose.yml: --queues pdf,email,default); a host
# may run a pool for one queue only.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "invoices.tasks.invoice_render_pdf": {"queue": "pdf"},
    "documents.tasks.closing_document_render": {"queue": "pdf"},
    "web.tasks.job_ticket_render": {"queue": "pdf"},
    "orders.tasks.send_client_email": {"queue": "email"},
    "orders.tasks.send_staff_notifications": {"queue": "email"},
}
CELERY_BEAT_SCHEDULE: dict = {}
CELERY_TIMEZONE = TIME_ZONE
# A log line per task run with its CPU and wall time (config/celery.py).
TASK_COST_LOG = env_bool("TASK_COST_LOG", default=False)

# LOG_FORMAT=json: one JSON object per line for a log shipper. Every line carries the id of
# the request (or of the request that queued the task); a client's 4xx is one line.
LOG_FORMAT = env_choice("LOG_FORMAT", "plain", ("plain", "json"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "config.requestid.RequestIdFilter"},
        "client_errors": {"()": "config.requestid.ClientErrorsOnOneLine"},
    },
    "formatters": log_formatters(),
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["client_errors", "request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Eager tasks would log every run into the dev server's console.
    "loggers": {
        "celery.app.trace": {"level": "INFO" if REDIS_URL else "WARNING"},
        # WeasyPrint logs every step of every render at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
# The worker logs through LOGGING above, not a handler of Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Conveyor
# The company's currency: every order, its invoices, the catalogue prices and production
# costs are in it. All of these CloudPayments accepts and invoices can write out in words.
CURRENCIES = ("RUB", "USD", "EUR", "KZT", "BYN")
ORDER_CURRENCY = env_choice("ORDER_CURRENCY", "RUB", CURRENCIES)
# Phones typed without a country code are read in this region ("8 900 …" in RU is +7 900 …).
PHONE_DEFAULT_REGION = env_str("PHONE_DEFAULT_REGION", "RU")
if PHONE_DEFAULT_REGION not in phonenumbers.SUPPORTED_REGIONS:
    raise ImproperlyConfigured(
        f"PHONE_DEFAULT_REGION={PHONE_DEFAULT_REGION!r} is not a two-letter region code "
        "in capitals, such as RU, KZ or BY."
    )

# ------------------------------------------------- shop floor, notifications, deadline control
# Remind the assignee this many working hours before a task's deadline.
DEADLINE_REMINDER_WORKING_HOURS = env_decimal("DEADLINE_REMINDER_WORKING_HOURS", "2", positive=True)
CELERY_BEAT_SCHEDULE["deadlines"] = {
    "task": "orders.tasks.deadlines_check",
    "schedule": env_int("DEADLINES_CHECK_SECONDS", 60),
}
TEMPLATES[0]["OPTIONS"]["context_processors"].append("web.orders.bell.unread_notifications")

# ------------------------------------------------------------------- production schedule
# Working days from an order being made to its delivery (a pickup: none); the promised
# date proposed to the client and the "at risk" warning count it.
DELIVERY_LEAD_DAYS = env_int("DELIVERY_LEAD_DAYS", 2)
if not 0 <= DELIVERY_LEAD_DAYS <= 60:
    raise ImproperlyConfigured(
        f"DELIVERY_LEAD_DAYS={DELIVERY_LEAD_DAYS} must be from 0 to 60 working days."
    )
# The schedule is computed after every change that moves it, and this often besides,
# since time passing moves it too (work not done when planned pushes the rest).
SCHEDULE_MINUTES = env_int("SCHEDULE_MINUTES", 10)
if SCHEDULE_MINUTES < 1:
    raise ImproperlyConfigured(f"SCHEDULE_MINUTES={SCHEDULE_MINUTES} must be 1 or more.")
CELERY_BEAT_SCHEDULE["production-schedule"] = {
    "task": "production.tasks.schedule_run",
    "schedule": timedelta(minutes=SCHEDULE_MINUTES),
}

# ----------------------------------------------------------------------------- invoices
# VAT on invoices: "" (without VAT) or a rate included in the prices, e.g. "20".
INVOICE_VAT_RATE = env_str("INVOICE_VAT_RATE", "")
# A won order's closing documents: one УПД, or an act for services and a waybill for goods.
CLOSING_DOCUMENTS = env_choice("CLOSING_DOCUMENTS", "upd", ("upd", "act_waybill"))
INVOICE_DUE_DAYS = env_int("INVOICE_DUE_DAYS", 5)
# The client's link (and card payment) stays open this many days after the due date.
INVOICE_LINK_DAYS = env_int("INVOICE_LINK_DAYS", 30)
# Wrong public links one address may try per hour before it is answered 429.
INVOICE_LINK_MISSES_PER_HOUR = env_int("INVOICE_LINK_MISSES_PER_HOUR", 20)
# How many reverse proxies stand in front of the app and append to X-Forwarded-For (nginx,
# a load balancer); 0 reads the client's address from the connection itself.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
PAYMENTS_RECONCILE_MINUTES = env_int("PAYMENTS_RECONCILE_MINUTES", 10)
# The client is reminded of an unpaid invoice this many days after it was issued (one
# e-mail per step; empty: no reminders), by a job each morning at this hour.
INVOICE_REMINDER_DAYS = env_int_list("INVOICE_REMINDER_DAYS", [3, 7])
INVOICE_REMINDER_HOUR = env_int("INVOICE_REMINDER_HOUR", 10)
# A broker that is down must not hold a webhook: fail fast, the sweep queues it later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BEAT_SCHEDULE["payments-reconcile"] = {
    "task": "invoices.tasks.payments_reconcile",
    "schedule": timedelta(minutes=PAYMENTS_RECONCILE_MINUTES),
}
CELERY_BEAT_SCHEDULE["invoice-reminders"] = {
    "task": "invoices.tasks.invoice_reminders_send",
    "schedule": crontab(hour=INVOICE_REMINDER_HOUR, minute=0),
}
# Queues again what the broker lost or was never given, and retries whose time came: work
# moves again within about 30 s of the broker's return (with its 20 s staleness).
CELERY_BEAT_SCHEDULE["invoices-sweep"] = {
    "task": "invoices.tasks.invoices_sweep",
    "schedule": timedelta(seconds=env_int("SWEEP_SECONDS", 15)),
}

# ------------------------------------------------------------------------ 1C exchange
# 1C's "exchange with a website" at /exchange/1c/ (docs/exchange-1c.md). The orders
# document goes to 1C in this encoding; 1C's own files are read by their XML declaration.
EXCHANGE_1C_ENCODING = env_choice("EXCHANGE_1C_ENCODING", "windows-1251", ("windows-1251", "utf-8"))
# The chunk 1C sends in one request (its file_limit), at most a request body's limit; one
# file in all its chunks; orders a query; a sign-in's cookie; failed sign-ins an hour.
EXCHANGE_1C_FILE_LIMIT = min(
    env_int("EXCHANGE_1C_FILE_LIMIT", 1024 * 1024), DATA_UPLOAD_MAX_MEMORY_SIZE
)
EXCHANGE_1C_MAX_FILE = env_int("EXCHANGE_1C_MAX_FILE", 20 * 1024 * 1024)
# Whether 1C is asked to zip its files (zip=yes); an archive is taken either way.
EXCHANGE_1C_ZIP = env_bool("EXCHANGE_1C_ZIP", default=False)
EXCHANGE_1C_BATCH = env_int("EXCHANGE_1C_BATCH", 500)
EXCHANGE_1C_SESSION_MINUTES = env_int("EXCHANGE_1C_SESSION_MINUTES", 60)
EXCHANGE_1C_FAILURES_PER_HOUR = env_int("EXCHANGE_1C_FAILURES_PER_HOUR", 20)
if (
    min(EXCHANGE_1C_FILE_LIMIT, EXCHANGE_1C_MAX_FILE, EXCHANGE_1C_BATCH) < 1
    or min(EXCHANGE_1C_SESSION_MINUTES, EXCHANGE_1C_FAILURES_PER_HOUR) < 1
):
    raise ImproperlyConfigured("The EXCHANGE_1C_* limits must be 1 or more.")

# ------------------------------------------------------------- sign-in throttling, CSP
# django-axes records failed sign-ins in its database tables and refuses further attempts
# with 429, on /login/ and /admin/login/ alike (both authenticate with the request). Policy:
# a username that fails LOGIN_FAILURE_LIMIT times from one address within
# LOGIN_COOLOFF_MINUTES is locked for that address only, so a stranger elsewhere cannot lock
# a person out and a colleague behind the same office address still signs in. An address
# that fails LOGIN_FAILURES_PER_ADDRESS times across all usernames (password spraying) is
# locked for every username; axes compares one limit, so web.accounts.login_failure_limit
# applies the second. A refused attempt during a lockout restarts the cool-off (axes'
# default), so "try again in N minutes" holds from the moment it is shown. A successful
# sign-in forgets that username's failures from that address. `manage.py axes_reset`
# (or deleting the row under Admin → Axes → Access attempts) unlocks at once.
INSTALLED_APPS.append("axes")
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 20)
LOGIN_COOLOFF_MINUTES = env_int("LOGIN_COOLOFF_MINUTES", 15)
if min(LOGIN_FAILURE_LIMIT, LOGIN_FAILURES_PER_ADDRESS, LOGIN_COOLOFF_MINUTES) < 1:
    raise ImproperlyConfigured(
        "LOGIN_FAILURE_LIMIT, LOGIN_FAILURES_PER_ADDRESS and LOGIN_COOLOFF_MINUTES "
        "must be 1 or more."
    )
AXES_FAILURE_LIMIT = "web.accounts.login_failure_limit"
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# No banner in every process's start-up log; failed sign-ins are still logged.
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "web.accounts.lockout_response"
# The address the invoice links are throttled on too: TRUSTED_PROXY_COUNT 0 reads the
# connection and ignores X-Forwarded-For, which the client can write.
AXES_CLIENT_IP_CALLABLE = "web.accounts.login_client_ip"

# Content-Security-Policy on every page: only our own scripts, styles, images and fonts.
# Templates carry no inline code, style or handlers (static/js, static/css; data goes in
# data-* attributes or json_script, which is not executed), so no 'unsafe-inline'.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
# Added on the client's invoice page only (csp_update on its view): CloudPayments' widget
# script, its stylesheet, the payment form it opens in a frame, and the calls its script
# may make to CloudPayments from the page (not reachable from the test machine, so only
# the script's loading is tested).
CLOUDPAYMENTS_CSP = {
    "script-src": ["https://widget.cloudpayments.ru"],
    "style-src": ["https://widget.cloudpayments.ru"],
    "frame-src": ["https://widget.cloudpayments.ru"],
    "connect-src": ["https://widget.cloudpayments.ru", "https://api.cloudpayments.ru"],
}
# AxesMiddleware last: it turns a refused sign-in into the 429 page, which CSP then covers.
MIDDLEWARE += ["csp.middleware.CSPMiddleware", "axes.middleware.AxesMiddleware"]

# ----------------------------------------------------------------------------- workspace
# The sales workspace: navigation context (open task count, role) on every page.
TEMPLATES[0]["OPTIONS"]["context_processors"].append("web.context_processors.workspace")
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
# The board's covering index includes non-key columns, a PostgreSQL optimisation; on the
# SQLite demo database the key columns alone are indexed, which is fine there.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# ------------------------------------------------------------------------ error tracking
# With SENTRY_DSN, unhandled errors of requests and Celery tasks are reported to Sentry (or
# GlitchTip); without it the SDK is not started at all.
SENTRY_DSN = env_str("SENTRY_DSN", "")
sentry_init(
    dsn=SENTRY_DSN,
    environment=env_str("SENTRY_ENVIRONMENT", "production"),
    traces_sample_rate=env_fraction("SENTRY_TRACES_SAMPLE_RATE", "0"),
    release=env_str("SENTRY_RELEASE", ""),
)
