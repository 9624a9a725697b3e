"""Identifiers made on devices: UUIDv7 for ops and records, short ids for repeat instances.

Python 3.11's `uuid` module has no version 7, so it is built here from the RFC 9562
layout: 48 bits of Unix milliseconds, the version nibble 7, 12 random bits, the
variant bits 10, then 62 random bits. The time prefix makes ids sort roughly by
creation, which keeps database indexes compact; uniqueness comes from the 74 random bits.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid

_UUID7_RE = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
)
#: Repeat instance ids appear inside field paths, so they avoid "/", "[" and "]".
INSTANCE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_MAX_MS = (1 << 48) - 1


def new_uuid7(now_ms: int | None = None) -> str:
    """A new UUIDv7 in canonical lowercase form; `now_ms` overrides the clock (tests)."""
    ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    if not 0 <= ms <= _MAX_MS:
        raise ValueError(f"UUIDv7 time must be 0..{_MAX_MS} ms, got {ms}")
    rand = int.from_bytes(secrets.token_bytes(10), "big")  # 80 bits, 74 used
    rand_a = rand >> 68  # 12 bits
    rand_b = rand & ((1 << 62) - 1)
    value = (ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    return str(uuid.UUID(int=value))


def is_uuid7(value: object) -> bool:
    """True for a UUIDv7 string in canonical form (lowercase, hyphenated)."""
    return isinstance(value, str) and _UUID7_RE.match(value) is not None


def uuid7_ms(value: str) -> int:
    """The Unix milliseconds stored in a UUIDv7; ValueError if it is not one."""
    if not is_uuid7(value):
        raise ValueError(f"not a canonical UUIDv7: {value!r}")
    return uuid.UUID(value).int >> 80


def new_instance_id() -> str:
    """A short random id for a repeat instance (12 hex digits, 48 bits).

    It only has to be unique among the instances of one repeat in one record, where
    two devices adding members at the same time must not pick the same id.
    """
    return secrets.token_hex(6)


def is_instance_id(value: object) -> bool:
    return isinstance(value, str) and INSTANCE_ID_RE.fullmatch(value) is not None
