"""The healthchecks docker-compose.yml runs, run here against a real gunicorn and a real
worker: healthy when the service works, unhealthy when it does not."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.invoices.harness import ROOT, RedisServer, Worker, free_port, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _web_healthcheck(port: int) -> subprocess.CompletedProcess:
    kind, program, *args = COMPOSE["services"]["web"]["healthcheck"]["test"]
    assert (kind, program) == ("CMD", "python")
    args = [arg.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for arg in args]
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=30)


def test_the_web_healthcheck_passes_on_a_working_site(site):
    result = _web_healthcheck(site.port)
    assert result.returncode == 0, result.stderr


def test_the_web_healthcheck_fails_while_postgresql_is_unreachable(serve):
    site = serve(DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/conveyor")
    result = _web_healthcheck(site.port)
    assert result.returncode != 0
    assert "503" in result.stderr


@pytest.mark.redis
def test_the_worker_healthcheck_passes_only_while_the_worker_answers(tmp_path):
    kind, command = COMPOSE["services"]["worker"]["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    command = command.replace("$$", "$")  # compose's escape for a literal $
    redis = RedisServer(free_port(), tmp_path).start()
    env = {
        **os.environ,
        "REDIS_URL": redis.url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        # A container's hostname, which names its worker celery@<hostname>.
        "HOSTNAME": socket.gethostname(),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }

    def healthcheck() -> int:
        return subprocess.run(
            ["sh", "-c", command], cwd=ROOT, env=env, capture_output=True, timeout=60
        ).returncode

    worker = None
    try:
        assert healthcheck() != 0  # no worker yet
        worker = Worker(
            broker_url=redis.url, media_root=tmp_path / "media", log=tmp_path / "worker.log"
        ).start()
        wait_for(lambda: " ready" in worker.log_text(), timeout=90, what="the worker")
        assert healthcheck() == 0
    finally:
        if worker is not None:
            worker.stop()
        redis.stop()
