"""Column types shared by the models."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, ColumnElement, DateTime, Dialect, Text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
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


class _JSONAsText(TypeDecorator[Any]):
    """JSON values in a `text` column (see `StoredJSON`)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else compact_std_json(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)


#: Compact JSON by the standard library, as the push writes these columns
#: (services/rows.compact_json falls back to it); never NaN, which PostgreSQL's json
#: type refused too.
compact_std_json = functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":"),
                                     allow_nan=False)

#: A JSON value that the database keeps without reading it: `text` on PostgreSQL (its
#: `json` type parses every value on the way in, a tenth of the database's work for a
#: push of new households), SQLite's JSON column as before. Python sees the same values,
#: and `CAST(... AS TEXT)` still gives the stored JSON text. SQL that looks into such a
#: column reads it through `json_of` (a record's `fields`). Migrations 0015 and 0017.
StoredJSON = JSON().with_variant(_JSONAsText(), "postgresql")


class json_of(FunctionElement[Any]):  # lower case: used like SQLAlchemy's func.*
    """A `StoredJSON` column as JSON in SQL, so that its JSON operators work on both
    databases: `json_of(Record.fields)["structure_number"].as_string()`. PostgreSQL
    reads the text as `json` (`CAST(fields AS JSON)`: one more parse of the value
    than a `json` column's operator takes); on SQLite it is the column itself."""

    type = JSON()
    name = "json_of"
    inherit_cache = True

    def __init__(self, column: ColumnElement[Any]) -> None:
        super().__init__(column)


@compiles(json_of)
def _json_of(element: json_of, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(json_of, "postgresql")
def _json_of_postgresql(element: json_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS JSON)"
