"""/healthz/ and /readyz/: what a load balancer, an orchestrator or the compose healthcheck
asks, answered whatever the Host header, with each dependency named."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from tests.invoices.harness import RedisServer, free_port

STRANGER = {"HTTP_HOST": "10.0.3.7:8000"}


def test_healthz_answers_a_host_that_is_not_allowed(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz/", **STRANGER)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"process": "ok"}}
    assert response["Cache-Control"] == "no-store"
    # Nothing else on the site answers that host.
    assert client.get("/login/", **STRANGER).status_code == 400


def test_readyz_reports_each_dependency_for_a_host_that_is_not_allowed(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True  # a probe speaks plain HTTP: no redirect for it
    response = client.get("/readyz/", **STRANGER)
    assert response.status_code == 200
    expected = {"database": "ok", "migrations": "ok"}
    if settings.REDIS_URL:
        expected["redis"] = "ok"
    assert response.json() == {"status": "ok", "checks": expected}
    assert client.get("/readyz", **STRANGER).status_code == 200


def test_readyz_answers_503_naming_a_migration_not_yet_applied(client, db):
    app, name = sorted(MigrationLoader(connection).graph.leaf_nodes())[0]
    MigrationRecorder(connection).record_unapplied(app, name)
    response = client.get("/readyz/", **STRANGER)
    assert response.status_code == 503
    answer = response.json()
    assert answer["status"] == "fail"
    assert answer["checks"]["database"] == "ok"
    assert answer["checks"]["migrations"] == f"fail: 1 unapplied ({app}.{name})"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_readyz_answers_503_naming_the_database_when_postgresql_is_unreachable(serve):
    closed = free_port()
    site = serve(DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed}/conveyor")
    status, answer = site.get_json("/readyz/", Host="127.0.0.1:8000")
    assert status == 503
    assert answer["checks"]["database"] == "fail: OperationalError"
    assert answer["checks"]["migrations"] == "fail: database unreachable"
    # The process itself is alive: the orchestrator must not restart it for that.
    assert site.get_json("/healthz/", Host="127.0.0.1:8000")[0] == 200
    log = site.log_text()
    assert "readiness: database is not reachable" in log
    assert "Traceback" not in log


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_readyz_answers_503_naming_redis_while_it_is_down_and_200_once_it_is_back(serve, tmp_path):
    redis = RedisServer(free_port(), tmp_path).start()
    try:
        site = serve(REDIS_URL=redis.url)
        status, answer = site.get_json("/readyz/", Host="127.0.0.1:8000")
        assert (status, answer["checks"]["redis"]) == (200, "ok")

        redis.stop()
        status, answer = site.get_json("/readyz/", Host="127.0.0.1:8000")
        assert status == 503
        assert answer["checks"] == {
            "database": "ok",
            "redis": "fail: ConnectionError",
            "migrations": "ok",
        }

        redis.start()
        status, answer = site.get_json("/readyz/", Host="127.0.0.1:8000")
        assert (status, answer["status"]) == (200, "ok")
    finally:
        redis.stop()
