"""Typed readers of the environment that refuse bad values instead of guessing."""

import os
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"Environment variable {name} is required.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false).")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, default).strip()
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} is not one of {', '.join(choices)}.")
    return value


def env_int_list(name: str, default: list[int]) -> list[int]:
    """Whole numbers more than 0, comma-separated, ascending: "3,7"."""
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        numbers = [int(item) for item in value.split(",") if item.strip()]
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a list of whole numbers.") from None
    if any(n <= 0 for n in numbers) or numbers != sorted(set(numbers)):
        raise ImproperlyConfigured(f"{name}={value!r} must be ascending numbers more than 0.")
    return numbers


def env_decimal(name: str, default: str, *, positive: bool = False) -> Decimal:
    raw = os.environ.get(name, default)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None
    if not value.is_finite() or (positive and value <= 0):
        raise ImproperlyConfigured(f"{name}={raw!r} must be a number more than 0.")
    return value


def require_secret_key() -> None:
    """Servers and workers refuse the development key unless DEBUG is on."""
    from django.conf import settings

    if settings.SECRET_KEY == settings.DEV_SECRET_KEY and not settings.DEBUG:
        raise ImproperlyConfigured("Environment variable SECRET_KEY is required.")


def env_fraction(name: str, default: str) -> float:
    """A share from 0 to 1 inclusive: "0.1" is one in ten."""
    raw = os.environ.get(name, default)
    try:
        value = Decimal(raw.strip() or default)
    except InvalidOperation:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None
    if not value.is_finite() or not 0 <= value <= 1:
        raise ImproperlyConfigured(f"{name}={raw!r} must be a number from 0 to 1.")
    return float(value)
