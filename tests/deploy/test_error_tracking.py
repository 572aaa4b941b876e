"""Sentry: with SENTRY_DSN an unhandled error of a page reaches the error tracker, tagged
with its environment and request id; without it the SDK is not started."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import brotli
import pytest

from tests.invoices.harness import ROOT

CRASH = (
    "import django; django.setup()\n"
    "import sentry_sdk\n"
    "from django.test import Client, override_settings\n"
    "print('active' if sentry_sdk.get_client().is_active() else 'inactive')\n"
    "Client(HTTP_HOST='evil.example').get('/login/')\n"
    "with override_settings(ROOT_URLCONF='tests.deploy.crashing_urls'):\n"
    "    status = Client(raise_request_exception=False).get(\n"
    "        '/broken/', HTTP_X_REQUEST_ID='crash-1').status_code\n"
    "print(status)\n"
    "sentry_sdk.flush(timeout=10)\n"
)


@pytest.fixture
def ingest() -> Iterator[tuple[str, list[bytes]]]:
    """A stand-in for Sentry's ingestion endpoint: (address, bodies it received)."""
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            encoding = self.headers.get("Content-Encoding", "")
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "br":
                body = brotli.decompress(body)
            elif encoding == "deflate":
                body = zlib.decompress(body)
            received.append(body)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


def _crash(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    return subprocess.run(
        [sys.executable, "-c", CRASH],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_unhandled_error_reaches_sentry_with_its_environment_and_request_id(ingest):
    address, received = ingest
    result = _crash(
        SENTRY_DSN=f"http://publickey@{address}/42",
        SENTRY_ENVIRONMENT="staging",
        SENTRY_TRACES_SAMPLE_RATE="0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["active", "500"]
    events = [body for body in received if b"the printer caught fire" in body]
    assert len(events) == 1
    event = events[0].decode()
    assert '"RuntimeError"' in event
    assert '"environment":"staging"' in event
    assert '"request_id":"crash-1"' in event
    assert "/broken/" in event
    # A scanner's wrong Host header is no error report.
    assert not [body for body in received if b"evil.example" in body]


def test_without_a_dsn_nothing_is_sent(ingest):
    _address, received = ingest
    result = _crash()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["inactive", "500"]
    assert received == []


@pytest.mark.parametrize("rate", ["1.5", "-0.1", "often"])
def test_a_traces_sample_rate_outside_0_to_1_refuses_to_start(rate):
    result = _crash(SENTRY_DSN="http://publickey@127.0.0.1:9/1", SENTRY_TRACES_SAMPLE_RATE=rate)
    assert result.returncode != 0
    assert f"SENTRY_TRACES_SAMPLE_RATE='{rate}'" in result.stderr
