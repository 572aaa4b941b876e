"""What the operator reads in the log: one line per client error, a traceback only for our
own failures, and the request id in every line of a request and of the tasks it queued."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from config.requestid import RequestIdMiddleware
from notifications.tasks import deadlines_check
from tests.deploy.site import Site
from tests.invoices.harness import ROOT, RedisServer, Worker, free_port, use_broker, wait_for

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    """What the console handler (configured from settings.LOGGING) writes."""
    handler = next(h for h in logging.getLogger().handlers if h.name == "console")
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def _lines(console: io.StringIO) -> list[str]:
    return [line for line in console.getvalue().splitlines() if "axes" not in line]


def test_a_404_is_one_info_line_with_method_path_status_and_request_id(client, db, console):
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="probe-7f3a")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "probe-7f3a"
    [line] = _lines(console)
    assert line.endswith("INFO django.request [probe-7f3a] GET /no-such-page/ 404 Not Found")


def test_a_403_is_one_warning_line_without_a_traceback(client, outsider, console):
    client.force_login(outsider)
    console.truncate(0)
    console.seek(0)
    response = client.get("/board/column/new/?after=x", HTTP_X_REQUEST_ID="r-403")
    assert response.status_code == 403
    [line] = _lines(console)
    assert line.endswith(
        "WARNING django.request [r-403] GET /board/column/new/ 403 Forbidden: "
        "Forbidden (Permission denied)"
    )


def test_a_wrong_host_is_one_warning_line_not_an_error_with_a_traceback(client, console):
    response = client.get("/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    rid = response["X-Request-ID"]
    assert GENERATED.fullmatch(rid)
    [line] = _lines(console)
    assert f"WARNING django.security.DisallowedHost [{rid}] GET /login/ 400 Bad Request: " in line
    assert "Invalid HTTP_HOST header: 'evil.example'" in line


def test_a_wrong_method_is_one_line(client, db, console):
    assert client.get("/logout/").status_code == 405
    [line] = _lines(console)
    assert "GET /logout/ 405 Method Not Allowed" in line


def test_a_server_error_still_logs_its_traceback(db, settings, console):
    settings.ROOT_URLCONF = "tests.deploy.crashing_urls"
    response = Client(raise_request_exception=False).get("/broken/", HTTP_X_REQUEST_ID="r-500")
    assert response.status_code == 500
    assert response["X-Request-ID"] == "r-500"
    out = console.getvalue()
    assert "ERROR django.request [r-500] Internal Server Error: /broken/" in out
    assert "Traceback (most recent call last)" in out
    assert "RuntimeError: the printer caught fire" in out


@pytest.mark.parametrize(
    "incoming", ["", "a b", "x" * 129, "id\nFAKE ERROR line", "-starts-with-a-dash", "ид-1"]
)
def test_a_request_id_that_could_forge_a_log_line_is_replaced(client, db, incoming, console):
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID=incoming)
    rid = response["X-Request-ID"]
    assert GENERATED.fullmatch(rid)
    [line] = _lines(console)
    assert f"[{rid}]" in line


def test_log_format_json_writes_one_json_object_per_line_with_the_request_id():
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "Client().get('/no-such-page/', HTTP_X_REQUEST_ID='json-1')\n"
    )
    env = {**os.environ, "LOG_FORMAT": "json", "DATABASE_URL": "sqlite://:memory:"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines()]
    [not_found] = [r for r in records if r["logger"] == "django.request"]
    assert not_found["level"] == "INFO"
    assert not_found["request_id"] == "json-1"
    assert not_found["message"] == "GET /no-such-page/ 404 Not Found"
    assert not_found["status_code"] == 404
    assert "request" not in not_found


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_task_queued_by_a_request_logs_with_that_request_id_in_the_worker(tmp_path, settings):
    redis = RedisServer(free_port(), tmp_path).start()
    restore = use_broker(redis.url)
    worker = None
    try:

        def view(request: HttpRequest) -> HttpResponse:
            deadlines_check.delay()
            return HttpResponse()

        request = RequestFactory().get("/", HTTP_X_REQUEST_ID="click-42")
        assert RequestIdMiddleware(view)(request)["X-Request-ID"] == "click-42"

        worker = Worker(
            broker_url=redis.url, media_root=tmp_path / "media", log=tmp_path / "worker.log"
        ).start()
        done = wait_for(
            lambda: [
                line
                for line in worker.log_text().splitlines()
                if "orders.tasks.deadlines_check" in line and "succeeded" in line
            ],
            timeout=90,
            what="the worker to run the task",
        )
        assert "[click-42]" in done[0]
        # Lines outside the task (the worker starting up) have no request id.
        assert re.search(r"celery@\S+ ready", worker.log_text())
        ready = next(line for line in worker.log_text().splitlines() if "ready." in line)
        assert "[-]" in ready
    finally:
        if worker is not None:
            worker.stop()
        restore()
        redis.stop()


def test_an_eager_task_run_inside_a_request_keeps_the_request_id(db, console, settings):
    def view(request: HttpRequest) -> HttpResponse:
        deadlines_check.delay()
        logging.getLogger("conveyor.test").info("after the task")
        return HttpResponse()

    RequestIdMiddleware(view)(RequestFactory().get("/", HTTP_X_REQUEST_ID="eager-1"))
    line = next(line for line in _lines(console) if "after the task" in line)
    assert "[eager-1]" in line
    logging.getLogger("conveyor.test").info("outside")
    assert "[-] outside" in _lines(console)[-1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_under_gunicorn_a_probe_writes_one_app_line_and_one_access_line_per_request(site):
    before = len(site.log_text().splitlines())
    assert site.get("/wp-login.php", **{"X-Request-ID": "scan-1"})[0] == 404
    assert site.get("/login/", Host="scanner.example", **{"X-Request-ID": "scan-2"})[0] == 400

    def new_lines() -> list[str]:
        return site.log_text().splitlines()[before:]

    wait_for(lambda: len(new_lines()) >= 4, timeout=10, what="the log lines")
    lines = new_lines()
    assert len(lines) == 4, lines
    app_404, access_404, app_400, access_400 = lines
    assert app_404.endswith("INFO django.request [scan-1] GET /wp-login.php 404 Not Found")
    assert '"GET /wp-login.php HTTP/1.1" 404' in access_404
    assert access_404.endswith("request_id=scan-1")
    assert "WARNING django.security.DisallowedHost [scan-2] GET /login/ 400 Bad Request" in app_400
    assert access_400.endswith("request_id=scan-2")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_with_json_logs_every_line_gunicorn_writes_is_a_json_object(static_root, tmp_path):
    site = Site(static_root=static_root, workdir=tmp_path, LOG_FORMAT="json").start()
    try:
        assert site.get("/wp-login.php", **{"X-Request-ID": "scan-j"})[0] == 404
        # The access line is written after the response, behind django.request's record of
        # the 404, which names the request id first: wait for the access line itself.
        wait_for(
            lambda: 'request_id=scan-j"' in site.log_text(), timeout=10, what="the access line"
        )
        records = [json.loads(line) for line in site.log_text().splitlines() if line.strip()]
    finally:
        site.stop()
    loggers = {record["logger"] for record in records}
    assert {"gunicorn.error", "gunicorn.access", "django.request"} <= loggers
    access = [r["message"] for r in records if r["logger"] == "gunicorn.access"]
    assert any(
        '"GET /wp-login.php HTTP/1.1" 404' in line and line.endswith("request_id=scan-j")
        for line in access
    ), access
