"""Keys of outside systems: created with their scopes, checked on each call."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from hashlib import sha256

from django.utils import timezone

from orders.models import (
    ApiKey,
    ApiScope,
)


def api_key_create(*, name: str, scopes: Iterable[str]) -> tuple[ApiKey, str]:
    """A new key allowed `scopes` (ApiScope values); the plain key is returned once and only
    its hash is stored."""
    scopes = sorted(set(scopes))
    if not scopes or not set(scopes) <= set(ApiScope.values):
        raise ValueError(f"scopes must be some of {', '.join(ApiScope.values)}: {scopes}")
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    plain = f"cvr_{prefix}_{secret}"
    key = ApiKey.objects.create(
        name=name, prefix=prefix, key_hash=sha256(plain.encode()).hexdigest(), scopes=scopes
    )
    return key, plain


def api_key_authenticate(plain: str) -> ApiKey | None:
    parts = plain.split("_")
    # A prefix with a NUL or of the wrong size is no key (PostgreSQL refuses a NUL outright).
    if len(parts) < 3 or parts[0] != "cvr" or "\x00" in plain or len(parts[1]) > 12:
        return None
    key = ApiKey.objects.filter(prefix=parts[1], revoked_at__isnull=True).first()
    if key is None or not secrets.compare_digest(key.key_hash, sha256(plain.encode()).hexdigest()):
        return None
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return key
