"""The client's address behind the proxies the deployment really has: the limit on wrong
invoice links counts misses per address, and a client cannot pick its own address."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import RequestFactory

from web.invoices.views import _client_ip

ROOT = Path(__file__).resolve().parents[2]


def _path(invoice) -> str:
    return invoice.public_url.replace("http://testserver", "")


def _ip(settings, proxies: int, remote: str, forwarded: str | None = None) -> str:
    settings.TRUSTED_PROXY_COUNT = proxies
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return _client_ip(RequestFactory().get("/", **meta))


def test_without_proxies_x_forwarded_for_is_ignored(settings):
    assert _ip(settings, 0, "203.0.113.9", "1.2.3.4") == "203.0.113.9"
    assert _ip(settings, 0, "203.0.113.9") == "203.0.113.9"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        # nginx appends the address it was connected from: the rightmost entry.
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "1.2.3.4, 203.0.113.9", "203.0.113.9"),
        # A load balancer, then nginx: the second from the right.
        (2, "1.2.3.4, 203.0.113.9, 10.0.0.5", "203.0.113.9"),
        (2, "203.0.113.9, 10.0.0.5", "203.0.113.9"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_behind_proxies_it_takes_the_entry_the_outermost_proxy_wrote(
    settings, proxies, forwarded, expected
):
    assert _ip(settings, proxies, "10.0.0.2", forwarded) == expected


@pytest.mark.parametrize(
    ("proxies", "forwarded"),
    [(1, ""), (1, "not-an-address"), (1, "1.2.3.4, <script>"), (2, "10.0.0.5")],
)
def test_a_missing_or_garbled_entry_falls_back_to_the_connection(settings, proxies, forwarded):
    assert _ip(settings, proxies, "10.0.0.2", forwarded) == "10.0.0.2"


def test_without_proxies_a_guesser_cannot_escape_the_limit_by_writing_addresses(
    client, invoice, settings
):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.INVOICE_LINK_MISSES_PER_HOUR = 3
    for i in range(3):
        response = client.get(f"/i/{i:040d}/", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
        assert response.status_code == 404
    assert client.get("/i/" + "f" * 40 + "/", HTTP_X_FORWARDED_FOR="192.0.2.77").status_code == 429
    # Still a right link is served, and a neighbour at another address is not touched.
    assert client.get(_path(invoice)).status_code == 200
    assert client.get("/i/" + "f" * 40 + "/", REMOTE_ADDR="192.0.2.1").status_code == 404


def test_behind_one_proxy_each_client_behind_it_is_counted_apart(client, invoice, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.INVOICE_LINK_MISSES_PER_HOUR = 2
    guesser = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    colleague = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    for i in range(2):
        assert client.get(f"/i/{i:040d}/", **guesser).status_code == 404
    assert client.get("/i/" + "f" * 40 + "/", **guesser).status_code == 429
    assert client.get(_path(invoice), **guesser).status_code == 200
    assert client.get("/i/" + "f" * 40 + "/", **colleague).status_code == 404


def test_the_example_settings_trust_no_proxy_as_the_compose_stack_has_none():
    env = (ROOT / ".env.example").read_text()
    assert "TRUSTED_PROXY_COUNT=0" in env.splitlines()
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "nginx" not in compose and "traefik" not in compose
