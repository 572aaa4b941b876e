"""API keys and their scopes: made on the command line, and what old keys keep."""

from __future__ import annotations

import importlib
import json

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from orders.models import ApiKey


def test_create_api_key_takes_scopes_and_prints_a_working_key(client, staff, catalogue, capsys):
    call_command("create_api_key", "Web shop", "--scope", "intake", "--scope", "read")
    plain = capsys.readouterr().out.strip().splitlines()[-1]
    assert ApiKey.objects.get().scopes == ["intake", "read"]
    response = client.post(
        "/api/v1/payments/",
        json.dumps({}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {plain}"},
    )
    assert response.status_code == 403


def test_create_api_key_needs_a_scope(db):
    with pytest.raises(CommandError, match="--scope"):
        call_command("create_api_key", "Web shop")
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("create_api_key", "Web shop", "--scope", "everything")
    assert not ApiKey.objects.exists()


def test_keys_made_before_scopes_keep_everything_they_could_do(db):
    ApiKey.objects.create(name="Old web shop", prefix="0ld0ld00", key_hash="0" * 64)
    migration = importlib.import_module("orders.migrations.0008_api_key_scopes")
    migration.grant_what_keys_could_do(apps, None)
    assert ApiKey.objects.get().scopes == ["accounting", "intake", "read"]


def test_an_admin_narrows_a_keys_scopes(admin_client, client, invoice):
    from orders.services.api_keys import api_key_create

    key, plain = api_key_create(name="1C", scopes=["accounting", "intake", "read"])
    response = admin_client.post(
        f"/admin/orders/apikey/{key.pk}/change/", {"name": "1C", "scopes": ["accounting"]}
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.scopes == ["accounting"]
    status = client.get(
        f"/api/v1/orders/{invoice.order.number}/", headers={"Authorization": f"Bearer {plain}"}
    )
    assert status.status_code == 403


@pytest.mark.parametrize("plain", ["cvr_ab\x00cd_secret", "cvr_" + "p" * 40 + "_secret"])
def test_a_key_with_a_nul_or_an_overlong_prefix_is_a_bad_key_not_a_crash(client, db, plain):
    response = client.get(
        "/api/v1/orders/2026-00001/", headers={"Authorization": f"Bearer {plain}"}
    )
    assert response.status_code == 401
