"""Canonical JSON: one byte string per value, for equality and for sizing batches.

Keys sorted, no spaces, UTF-8 text kept as is (`ensure_ascii=False`), no NaN or
Infinity (JSON has none). Floats with an integral value encode like integers, so an
answer typed as `2` on one device and parsed as `2.0` on another is the same value and
does not raise a conflict.
"""

from __future__ import annotations

import json
import math
from typing import Any

#: Numbers beyond this lose precision as floats; keep them as they are.
_SAFE_INT = 2**53


def _normalise(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) <= _SAFE_INT:
        return int(value)
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    """The canonical text of a JSON value; ValueError for NaN/Infinity or non-JSON types."""
    return json.dumps(
        _normalise(value),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def canonical_bytes(value: Any) -> bytes:
    return canonical_json(value).encode("utf-8")


def same_value(a: Any, b: Any) -> bool:
    """Whether two field values are equal the way the protocol compares them."""
    return canonical_json(a) == canonical_json(b)


def is_json_scalar(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return is_text(value)
    return value is None or isinstance(value, bool | int)


def is_text(value: str) -> bool:
    """Whether `value` is text UTF-8 can carry: JSON's `"\ud800"` escape decodes to an
    unpaired surrogate, which no database or JSON writer downstream accepts."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
