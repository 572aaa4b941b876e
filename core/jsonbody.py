"""Reading a JSON document sent from outside: bounded in depth before it is parsed (a deep
one would exhaust the recursion limit), amounts kept exact (Decimal, never float)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from itertools import accumulate
from typing import Any

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class NotJson(ValueError):
    """Not UTF-8, or not JSON (NaN and Infinity included, when refused)."""


class TooDeep(ValueError):
    """Arrays and objects nested deeper than allowed."""


def json_depth(text: str) -> int:
    """How deep the JSON's arrays and objects nest, counted without parsing it."""
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    return max(accumulate(_STEP[c] for c in brackets), default=0)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def json_read(raw: bytes | str, *, max_depth: int, constants: bool = False) -> Any:
    """The document, or NotJson / TooDeep. `constants`: let NaN and Infinity through (as
    Decimal) for a sender whose fields are checked one by one afterwards."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise NotJson("not UTF-8") from exc
    if json_depth(text) > max_depth:
        raise TooDeep(f"nested deeper than {max_depth} levels")
    try:
        if constants:
            return json.loads(text, parse_float=Decimal, parse_constant=Decimal)
        return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise NotJson(str(exc)) from None
