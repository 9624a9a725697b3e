"""JSON the server receives (push bodies, the ops of a USB bundle), read with msgspec
and exactly as `json.loads` reads it.

msgspec reads the common case (UTF-8 JSON of finite numbers and valid text) in half
the time, with the same values: integers of any size stay integers, floats round the
same way, a repeated key keeps its last value in its first place. What msgspec
refuses (NaN, a number past the float range, an unpaired surrogate, a BOM, UTF-16,
broken JSON) is read again by `json.loads`, which gives the standard library's value
or its error. msgspec is a server dependency only: the tablet has no build of it.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

_fast = msgspec.json.Decoder()


def loads(raw: bytes | str) -> Any:
    """`json.loads(raw)`, faster: the same value, or the same ValueError (a
    UnicodeDecodeError for bytes that are no Unicode) or RecursionError."""
    try:
        return _fast.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        pass
    return json.loads(raw)
