"""Conveyor the way docker compose runs it: gunicorn, DEBUG=0, the values of .env.example,
static files collected beforehand. Only what cannot be the same here is changed: the
database (the test database), Redis, the address, and no TLS in front."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings

from tests.invoices.harness import ROOT, database_url, free_port, wait_for

ENV_EXAMPLE = ROOT / ".env.example"


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def deployed_env(*, port: int, static_root: Path, media_root: Path, **overrides: str) -> dict:
    """A clean environment (nothing inherited from the test run) with .env.example in it."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    env |= env_example()
    env |= {
        "DATABASE_URL": database_url(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{port}",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "STATIC_ROOT": str(static_root),
        "MEDIA_ROOT": str(media_root),
        "PYTHONUNBUFFERED": "1",
    }
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    return env | overrides


def collectstatic(static_root: Path) -> None:
    """What the Dockerfile runs at build time."""
    env = deployed_env(port=0, static_root=static_root, media_root=static_root.parent / "media")
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


class Site:
    """gunicorn serving config.wsgi on a free port; its log (stderr) goes to a file."""

    def __init__(self, *, static_root: Path, workdir: Path, **overrides: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"gunicorn-{self.port}.log"
        workdir.mkdir(parents=True, exist_ok=True)
        self.env = deployed_env(
            port=self.port, static_root=static_root, media_root=workdir / "media", **overrides
        )
        self.process: subprocess.Popen | None = None

    def start(self) -> Site:
        self.handle = self.log.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "config/gunicorn.py",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
        )
        wait_for(self._answers, timeout=60, what=f"gunicorn on {self.url}")
        return self

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{self.log_text()}")
        try:
            return bool(self.get("/login/")[0])  # any answer: it is listening
        except OSError:
            return False

    def get(self, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body) without following redirects or decompressing."""
        request = urllib.request.Request(self.url + path, headers=headers)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=20) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def get_json(self, path: str, **headers: str) -> tuple[int, dict]:
        status, _headers, body = self.get(path, **headers)
        return status, json.loads(body)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None
        self.handle.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
