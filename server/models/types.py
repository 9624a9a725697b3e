"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

#: UUIDv7 text (canonical, lowercase): the length of every op and record id.
UUID_LEN = 36
#: Field paths (sync.fields.MAX_PATH_LENGTH).
PATH_LEN = 512
#: HLC text: 13 + 1 + 6 + 1 + node (64).
HLC_LEN = 85
#: Device ids are HLC node ids.
DEVICE_LEN = 64


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, on SQLite too.

    SQLite has no time zones and hands back naive values; comparing those with
    `datetime.now(UTC)` would raise, so they are marked UTC on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)
