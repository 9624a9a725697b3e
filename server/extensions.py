"""The Flask-SQLAlchemy handle and the database engine settings both databases need.

SQLite serialises writers on the file, so a push opens its transaction with
`BEGIN IMMEDIATE` (ask for it with `begin_write`): two pushes can then never both read
the same heads and the same sequence counter before either writes. PostgreSQL gets
the same effect from the row lock on the sequence counter (see services/sequence.py).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session

from server.services.text_fold import SQLITE_FUNCTION, fold_sql_value

#: Constraint names are fixed so migrations and the models name things the same way.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Execution option that makes the SQLite transaction start with BEGIN IMMEDIATE.
WRITE_LOCK = "hesabu_write_lock"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def engine_options(uri: str) -> dict[str, Any]:
    """Engine keyword arguments for `uri` (SQLALCHEMY_ENGINE_OPTIONS). JSON columns
    written through the ORM keep text as UTF-8 ("João", not "Jo\\u00e3o"), like the
    rows a push writes: smaller, and searchable as people type it."""
    json_options = {"json_serializer": _utf8_json}
    if uri.startswith("sqlite"):
        # Writers wait for each other instead of failing at once with "database is locked".
        return {"connect_args": {"timeout": 30, "check_same_thread": False}, **json_options}
    return {"pool_pre_ping": True, **json_options}


_utf8_json = functools.partial(json.dumps, ensure_ascii=False)


def install_sqlite_hooks(engine: Engine) -> None:
    """Take transaction control from the sqlite3 module so BEGIN IMMEDIATE is possible,
    and give every connection the SQL function `hesabu_fold` (record search).

    pysqlite's own implicit BEGIN is switched off; SQLAlchemy's "begin" event emits
    BEGIN (or BEGIN IMMEDIATE when the connection carries WRITE_LOCK) itself.
    """
    if not is_sqlite(engine) or getattr(engine, "_hesabu_hooks", False):
        return

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL lets pulls read a consistent snapshot while a push writes.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # Record search folds case and accents with it (services/text_fold).
        dbapi_connection.create_function(SQLITE_FUNCTION, 1, fold_sql_value,
                                         deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(WRITE_LOCK)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    engine._hesabu_hooks = True  # type: ignore[attr-defined]


def begin_write(session: Session | scoped_session[Session]) -> None:
    """Start the session's transaction as a writer (BEGIN IMMEDIATE on SQLite).

    Must open the transaction: reading an attribute of an object after a commit or
    rollback silently starts a new one, so callers copy what they need first.
    """
    real = session() if isinstance(session, scoped_session) else session
    if real.in_transaction():
        raise RuntimeError("begin_write needs a session without an open transaction")
    session.connection(execution_options={WRITE_LOCK: True})
