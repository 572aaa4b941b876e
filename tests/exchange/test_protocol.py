"""The protocol's edges, as 1C meets them: what it may ask, in which encoding it hears."""

from __future__ import annotations

import base64

import pytest

from exchange.models import ExchangeLog

URL = "/exchange/1c/"


@pytest.fixture
def signed_in(client, exchange_key):
    credentials = base64.b64encode(f"1c:{exchange_key}".encode()).decode()
    answer = client.get(
        URL, {"type": "sale", "mode": "checkauth"}, HTTP_AUTHORIZATION=f"Basic {credentials}"
    )
    _status, name, value = answer.content.decode().split("\n")
    client.cookies[name] = value
    return client


def test_the_catalogue_exchange_is_refused_and_logged(signed_in):
    answer = signed_in.get(URL, {"type": "catalog", "mode": "init"})
    assert answer.content.decode().startswith("failure\nЗдесь поддерживается только type=sale")
    assert ExchangeLog.objects.filter(mode="other", ok=False).count() == 1


def test_without_the_cookie_nothing_is_answered_but_failure(client, exchange_key):
    answer = client.get(URL, {"type": "sale", "mode": "query"})
    assert answer.status_code == 401
    assert answer.content.decode() == "failure\nНет сеанса: сначала авторизуйтесь (checkauth)."


def test_file_limit_never_exceeds_what_a_request_may_carry(signed_in, settings):
    settings.EXCHANGE_1C_FILE_LIMIT = 50 * 1024 * 1024
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    answer = signed_in.get(URL, {"type": "sale", "mode": "init"})
    assert answer.content.decode() == "zip=no\nfile_limit=1048576"


@pytest.mark.parametrize("encoding", ["windows-1251", "utf-8"])
def test_the_orders_document_is_in_the_configured_encoding(signed_in, settings, encoding):
    settings.EXCHANGE_1C_ENCODING = encoding
    answer = signed_in.get(URL, {"type": "sale", "mode": "query"})
    assert answer["Content-Type"] == f"application/xml; charset={encoding}"
    assert answer.content.startswith(f'<?xml version="1.0" encoding="{encoding}"?>'.encode())
    assert "КоммерческаяИнформация".encode(encoding) in answer.content


def test_a_chunk_over_file_limit_is_refused_with_failure(signed_in, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    answer = signed_in.post(
        f"{URL}?type=sale&mode=file&filename=orders.xml",
        data=b"x" * 1025,
        content_type="application/octet-stream",
    )
    assert answer.content.decode() == "failure\nЧасть файла больше file_limit."
    assert ExchangeLog.objects.filter(mode="file", ok=False).count() == 1


def test_1c_is_asked_to_zip_its_files_when_set(signed_in, settings):
    settings.EXCHANGE_1C_ZIP = True
    answer = signed_in.get(URL, {"type": "sale", "mode": "init"})
    assert answer.content.decode().startswith("zip=yes\n")
