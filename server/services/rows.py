"""Writing a batch's rows fast, on SQLite and PostgreSQL alike: compact JSON text for
the JSON columns and one multi-row insert (COPY on PostgreSQL) per table, past the ORM.
`RowStream` writes rows while the caller makes the next ones. Used by the push's
apply (`apply.py`), record scopes (`scoping.py`), the records
table's values (`record_values.py`) and the pull feed's encoding (`pull.py`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeEngine

from server.models.types import compact_std_json

_PG = postgresql.dialect()


def compact_json(value: Any) -> str:
    """Compact JSON of a batch's rows. orjson writes it several times faster than the
    standard library (this was a quarter of a push's server time); values reaching here
    passed the wire checks (finite numbers, str keys). orjson does not write integers
    beyond 64 bits: those few rows take the standard library's path."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:
        return compact_std_json(value)


def insert_rows(conn: Connection, table: str, columns: Sequence[str],
                 rows: Sequence[Sequence[Any]], binary: Sequence[str] | None = None) -> None:
    """One executemany of plain values (JSON columns already as JSON text): the rows of
    a batch past the ORM and the per-value type machinery, which cost more than the
    database on a batch of a thousand households. On PostgreSQL the rows go in one
    COPY instead (no statement per row on either side; measured 25-40 % less wall time
    for a batch's ops). The COPY runs in the connection's transaction like the insert
    would, and is not seen by SQLAlchemy's statement events; its errors are raised as
    SQLAlchemy's (a database gone away is still an OperationalError, answered 503).
    `binary` (`copy_types`) sends the COPY in PostgreSQL's binary format."""
    if conn.dialect.name == "postgresql" and len(rows) > 1:
        _copy_rows(conn, table, columns, rows, binary)
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})",
        list(rows))


def _copy_rows(conn: Connection, table: str, columns: Sequence[str],
               rows: Sequence[Sequence[Any]], binary: Sequence[str] | None) -> None:
    with RowStream(conn, table, columns, binary) as stream:
        for row in rows:
            stream.put(row)


#: PostgreSQL's name of each column type a binary COPY can send as such.
_BINARY_NAMES: tuple[tuple[type[TypeEngine[Any]], str], ...] = (
    (BigInteger, "int8"), (Integer, "int4"), (Boolean, "bool"), (Text, "text"),
    (String, "varchar"))


def copy_types(table: Table, columns: Sequence[str]) -> tuple[str, ...] | None:
    """The PostgreSQL types of `columns` of `table` for a binary COPY (`insert_rows`):
    the values go as they are, not written out as text and read back by the database
    (measured for the ops of a batch of 1,000: a third less of this process's time for
    the COPY, and a quarter less wall time). None when a column has a type this does
    not name: a JSON column, so the records' COPY stays in text format. PostgreSQL 15
    writes a binary COPY's rows to the table only every 1,000 rows (it counts a binary
    row as no bytes), so a streamed batch of new households would be stored after the
    merge instead of during it (docs/performance.md, seventh session)."""
    names = []
    for name in columns:
        kind = table.c[name].type.dialect_impl(_PG)
        if isinstance(kind, TypeDecorator):
            kind = kind.impl_instance
        if isinstance(kind, DateTime):
            names.append("timestamptz" if kind.timezone else "timestamp")
            continue
        found = next((pg for base, pg in _BINARY_NAMES if isinstance(kind, base)), None)
        if found is None:
            return None
        names.append(found)
    return tuple(names)


@contextlib.contextmanager
def _database_errors(conn: Connection, statement: str) -> Iterator[None]:
    """psycopg's errors of a COPY raised as SQLAlchemy's, as a statement's would be."""
    try:
        yield
    except conn.dialect.loaded_dbapi.Error as err:
        raise _database_error(conn, statement, err) from err


def _database_error(conn: Connection, statement: str, err: Exception) -> DBAPIError:
    """SQLAlchemy's error for psycopg's `err`; the connection is invalidated if it is gone."""
    raw = conn.connection.dbapi_connection
    gone = conn.dialect.is_disconnect(err, raw, None)  # type: ignore[arg-type]
    if gone:
        conn.invalidate(err)
    return DBAPIError.instance(statement, None, err, conn.dialect.loaded_dbapi.Error,
                               dialect=conn.dialect, connection_invalidated=gone)


class RowStream:
    """Rows written while the caller is still making the next ones.

    On PostgreSQL the rows go into a COPY that opens with the first row and ends with
    the block: the database server parses, compresses and indexes them in its own
    process while this one works on (a push's new households are stored while the
    batch's other ops are merged, instead of after). Until the block ends the caller
    must run no other statement on `conn`: the connection is inside the COPY. On SQLite
    the rows are kept and inserted at the end of the block (`insert_rows`).

        with RowStream(conn, "records", columns) as stream:
            for ...:
                stream.put(row)

    An exception inside the block ends the COPY unfinished: nothing of it is stored,
    and the transaction is to be rolled back, as after any failed statement.
    """

    def __init__(self, conn: Connection, table: str, columns: Sequence[str],
                 binary: Sequence[str] | None = None) -> None:
        self._conn = conn
        self._table = table
        self._columns = tuple(columns)
        self._binary = tuple(binary) if binary is not None else None
        self._statement = (f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                           + (" (FORMAT BINARY)" if binary is not None else ""))
        self._copying = conn.dialect.name == "postgresql"
        self._kept: list[Sequence[Any]] = []
        self._open: contextlib.ExitStack | None = None
        self._write: Any = None
        self.count = 0

    def __enter__(self) -> RowStream:
        return self

    def put(self, row: Sequence[Any]) -> None:
        self.count += 1
        if not self._copying:
            self._kept.append(row)
            return
        if self._write is None:
            self._start()
        try:  # (not `_database_errors`: a context manager per row costs ~1 µs)
            self._write(row)
        except self._conn.dialect.loaded_dbapi.Error as err:
            raise _database_error(self._conn, self._statement, err) from err

    def _start(self) -> None:
        raw = self._conn.connection.dbapi_connection
        stack = contextlib.ExitStack()
        with _database_errors(self._conn, self._statement):
            cursor = stack.enter_context(raw.cursor())  # type: ignore[union-attr]
            copy = stack.enter_context(cursor.copy(self._statement))  # type: ignore[attr-defined]
            if self._binary is not None:
                copy.set_types(self._binary)
        self._open, self._write = stack, copy.write_row

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if self._open is not None:
            stack, self._open, self._write = self._open, None, None
            with _database_errors(self._conn, self._statement):
                stack.__exit__(kind, error, trace)  # ends the COPY (CopyFail on an error)
            return
        rows, self._kept = self._kept, []
        if rows and kind is None:
            insert_rows(self._conn, self._table, self._columns, rows, self._binary)


def bind_value(conn: Connection, column: Any, value: Any) -> Any:
    """`value` as the column's type stores it on this database. A timestamp for SQLite
    is made the text sqlite3's own adapter would make of it, once (not once per row of
    an executemany)."""
    processor = column.type.bind_processor(conn.dialect)
    bound = processor(value) if processor is not None else value
    if isinstance(bound, datetime) and conn.dialect.name == "sqlite":
        return bound.isoformat(" ")  # what sqlite3.dbapi2.adapt_datetime stores
    return bound
