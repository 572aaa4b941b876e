"""Facts about a request that several pages need."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address, read as the invoice links read it. With TRUSTED_PROXY_COUNT
    at 0 it is the connection's and X-Forwarded-For, the client's own words, is ignored.
    Behind that many proxies it is the count-th entry from the right of X-Forwarded-For
    (what lies further left the client may have written itself). Only a real address."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies and _is_address(forwarded[-proxies]):
            return forwarded[-proxies]
    return remote if _is_address(remote) else ""


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
