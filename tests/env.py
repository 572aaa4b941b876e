"""Test environment defaults, set before Django reads its settings."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
os.environ.setdefault("SITE_URL", "http://testserver")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
# Pages link the files in static/ as they are; tests/deploy collects and serves them hashed.
os.environ.setdefault("STATIC_MANIFEST", "0")
