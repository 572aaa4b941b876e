"""The README's two commands on a machine that has only Python: what `make run` serves and
what `make test` brings or asks for."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _make_dry_run(*args: str, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "SITE_URL"} | env
    return subprocess.run(
        ["make", "--no-print-directory", "-n", "run", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_make_run_on_another_port_gives_links_on_that_port():
    out = _make_dry_run("PORT=8101")
    served = [line for line in out.splitlines() if "runserver" in line or "SITE_URL=" in line]
    assert all("SITE_URL=http://127.0.0.1:8101" in line for line in served if "SITE_URL" in line)
    assert any("runserver 127.0.0.1:8101" in line for line in served)
    assert "http://127.0.0.1:8101/" in out  # where to log in, printed


def test_make_run_keeps_a_site_url_that_is_set():
    out = _make_dry_run("HOST=0.0.0.0", "PORT=8101", SITE_URL="https://crm.example.com")
    assert "SITE_URL=https://crm.example.com" in out
    assert ":8101" not in out.split("runserver")[0].split("SITE_URL=")[-1].split()[0]


def _system_deps(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """bin/system-deps as an ordinary user on a machine without Chromium."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    fake_id = fake_bin / "id"
    fake_id.write_text("#!/bin/sh\necho 1000\n")
    fake_id.chmod(fake_id.stat().st_mode | stat.S_IEXEC)
    environ = {k: v for k, v in os.environ.items() if k != "CI"}
    environ |= {"PATH": f"{fake_bin}:{os.environ['PATH']}", "CHROMIUM_PATH": "/nonexistent"}
    return subprocess.run(
        ["bin/system-deps"], cwd=ROOT, env=environ | env, capture_output=True, text=True
    )


def test_without_root_make_test_names_the_exact_command(tmp_path):
    result = _system_deps(tmp_path)
    assert result.returncode == 0  # a laptop goes on, with the browser tests skipped
    assert "apt-get install -y --no-install-recommends chromium" in result.stderr


def test_without_root_in_ci_a_missing_package_is_a_failure(tmp_path):
    result = _system_deps(tmp_path, CI="1")
    assert result.returncode == 1
    assert "chromium" in result.stderr


def test_in_ci_a_missing_browser_fails_the_browser_tests_instead_of_skipping():
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    env |= {"CHROMIUM_PATH": "/nonexistent", "CONVEYOR_REQUIRE_SERVICES": "1"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/browser/test_login.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "Chromium is required here" in result.stdout
    assert " skipped" not in result.stdout.splitlines()[-1]


def test_make_runs_embedded_database_migrates_and_takes_the_demo_data(tmp_path):
    """`make run` without DATABASE_URL: SQLite, tasks in-process. Every migration must run
    there, data repairs included, not only on PostgreSQL."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env |= {"DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    env |= {"MEDIA_ROOT": str(tmp_path / "media"), "CELERY_TASK_ALWAYS_EAGER": "1"}
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert "conveyor-demo" in result.stdout
