"""Bodies past the limit, over a real socket: gunicorn on loopback, as deployed."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SIX_MB = 6 * 1024 * 1024


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    """gunicorn serving the project with DEBUG=0. The refusal comes before the key is read,
    so the server needs no data of its own."""
    port = _free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "test-only-secret-key-for-the-body-limit",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            *("--bind", f"127.0.0.1:{port}", "--workers", "1", "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("gunicorn did not start")
            time.sleep(0.2)
    yield port
    process.terminate()
    process.wait(timeout=10)


@pytest.mark.parametrize("path", ["/api/v1/orders/", "/api/v1/payments/"])
@pytest.mark.parametrize("authorization", ["Bearer cvr_00000000_unknown", None])
def test_a_6_mb_body_is_answered_413_instead_of_a_reset_connection(server, path, authorization):
    body = b'{"comment": "' + b"x" * SIX_MB + b'"}'
    headers = {"Content-Type": "application/json"}
    if authorization:
        headers["Authorization"] = authorization
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=30)
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    assert response.status == 413
    assert json.loads(response.read()) == {
        "errors": {"body": ["The body is larger than 1048576 bytes."]}
    }
    connection.close()


def test_a_body_within_the_limit_reaches_the_key_check(server):
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=30)
    connection.request(
        "POST",
        "/api/v1/orders/",
        body=b'{"comment": "' + b"x" * 900_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    response = connection.getresponse()
    assert response.status == 401
    assert response.getheader("WWW-Authenticate") == 'Bearer realm="conveyor"'
