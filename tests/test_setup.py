"""What a new user meets: demo data, the login page, the deploy check, the funnel diagram."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from orders import roles
from orders.models import OPEN_STAGES, Order, Stage
from pipeline.graph import pipeline_mermaid

ROOT = Path(__file__).resolve().parents[1]


def test_seed_demo_gives_every_role_a_user_and_orders_in_every_stage(db, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    for group in roles.ROLE_LABELS:
        user = User.objects.filter(groups__name=group).first()
        assert user is not None and user.check_password("conveyor-demo")
        assert user.username in out
    stages = set(Order.objects.values_list("stage", flat=True))
    assert stages == set(OPEN_STAGES) | {Stage.WON, Stage.LOST}
    assert 18 <= Order.objects.count() <= 36  # two to four at each of nine stages
    # Made by the services: every order past "new" has its stage changes in the timeline.
    for order in Order.objects.exclude(stage=Stage.NEW):
        assert order.events.filter(kind="stage").exists()

    count = Order.objects.count()
    call_command("seed_demo")  # `make run` again: nothing doubled
    assert Order.objects.count() == count


def test_the_login_page_and_admin_answer(client, db):
    assert client.get("/login/").status_code == 200
    assert client.get("/admin/login/").status_code == 200
    assert client.get("/").status_code == 302


def test_check_deploy_is_clean_with_production_values():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env |= {
        "DEBUG": "0",
        "SECRET_KEY": "x" * 60 + "-production-like-secret",
        "DATABASE_URL": "postgres://conveyor@127.0.0.1:5432/conveyor",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "SITE_URL": "https://crm.example.com",
        "ALLOWED_HOSTS": "crm.example.com",
        "SECURE_SSL_REDIRECT": "1",
        "SESSION_COOKIE_SECURE": "1",
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_missing_secret_key_fails_loudly_where_it_matters():
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True
        )

    # Tooling works without it...
    assert run("manage.py", "makemigrations", "--check", "--dry-run").returncode == 0
    # ...serving traffic and the deploy check refuse it.
    served = run("-c", "import config.wsgi")
    assert served.returncode != 0
    assert "Environment variable SECRET_KEY is required." in served.stderr
    deploy = run("manage.py", "check", "--deploy")
    assert deploy.returncode != 0
    assert "SECRET_KEY is not set: the development key is public." in deploy.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean"),
        ("ORDER_CURRENCY", "GBP", "ORDER_CURRENCY='GBP' is not one of RUB, USD, EUR, KZT, BYN."),
        (
            "PHONE_DEFAULT_REGION",
            "RUS",
            "PHONE_DEFAULT_REGION='RUS' is not a two-letter region code in capitals",
        ),
        (
            "INVOICE_REMINDER_DAYS",
            "7,3",
            "INVOICE_REMINDER_DAYS='7,3' must be ascending numbers more than 0.",
        ),
    ],
)
def test_a_bad_setting_fails_loudly(name, value, message):
    env = {**os.environ, name: value}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_the_funnel_diagram_in_docs_is_current():
    assert (ROOT / "docs" / "pipeline.md").read_text(encoding="utf-8") == pipeline_mermaid()
