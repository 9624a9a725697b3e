"""The Flask-SQLAlchemy handle and the database engine settings both databases need.

SQLite serialises writers on the file, so a push opens its transaction with
`BEGIN IMMEDIATE` (ask for it with `begin_write`): two pushes can then never both read
the same heads and the same sequence counter before either writes. PostgreSQL gets
the same effect from the row lock on the sequence counter (see services/sequence.py).

On SQLite a transaction that reads first and writes later cannot take the write lock
while another connection holds it: SQLite answers "database is locked" at once, without
waiting (with tablets pushing, every login failed so). So every transaction of a
request that may write (POST, PUT, PATCH, DELETE) and of the command line starts with
BEGIN IMMEDIATE and waits its turn for the lock (at most HESABU_SQLITE_BUSY_TIMEOUT_S,
then 503). GET requests read without the lock (WAL: readers never wait); the few
writes they make (a token's last use, an export's audit event) take it with
`begin_write` in their own transaction.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from flask import has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session

from server.services.text_fold import SQLITE_FUNCTION, fold_sql_value
from server.sqlite_checkpoints import CheckpointingConnection, autocheckpoint_pages

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
#: Requests with these methods only read (their rare writes use begin_write).
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Seconds a SQLite writer waits for the lock before the request is a 503.
DEFAULT_SQLITE_BUSY_TIMEOUT_S = 30.0

_writes_expected: ContextVar[bool] = ContextVar("hesabu_writes_expected", default=False)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def engine_options(uri: str, busy_timeout_s: float = DEFAULT_SQLITE_BUSY_TIMEOUT_S
                   ) -> dict[str, Any]:
    """Engine keyword arguments for `uri` (SQLALCHEMY_ENGINE_OPTIONS). JSON columns
    written through the ORM keep text as UTF-8 ("João", not "Jo\\u00e3o"), like the
    rows a push writes: smaller, and searchable as people type it."""
    json_options = {"json_serializer": _utf8_json}
    if uri.startswith("sqlite"):
        # Writers wait for each other instead of failing at once with "database is locked".
        # Checkpoints after writes run in the background (server/sqlite_checkpoints.py).
        return {"connect_args": {"timeout": float(busy_timeout_s), "check_same_thread": False,
                                 "factory": CheckpointingConnection},
                **json_options}
    return {"pool_pre_ping": True, **json_options}


_utf8_json = functools.partial(json.dumps, ensure_ascii=False)


#: The page size of a server database SQLite creates. A push writes rows of ~4 KB (a
#: household's record: its fields, answers and heads); on SQLite's default 4 KB pages
#: each spills onto overflow pages. With 16 KB pages, storing and committing 1,000
#: records and their ops took 16 ms against 32-36 ms, and pushes were a tenth faster
#: (docs/performance.md). A database made before keeps its pages: SQLite sets the size
#: when it writes the file's first page (`VACUUM` outside WAL mode changes it).
SQLITE_PAGE_SIZE = 16384


def install_sqlite_hooks(engine: Engine, strict: bool = False) -> None:
    """Take transaction control from the sqlite3 module so BEGIN IMMEDIATE is possible,
    and give every connection the SQL function `hesabu_fold` (record search).

    pysqlite's own implicit BEGIN is switched off; SQLAlchemy's "begin" event emits
    BEGIN (or BEGIN IMMEDIATE when the connection carries WRITE_LOCK or writes are
    expected) itself. `strict` (HESABU_SQLITE_STRICT_WRITES, for tests) makes a write
    after a read in a request's transaction begun without the lock an error: under
    load that write fails with "database is locked".
    """
    if not is_sqlite(engine) or getattr(engine, "_hesabu_hooks", False):
        return

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")  # before WAL writes page 1
        # WAL lets pulls read a consistent snapshot while a push writes.
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk (the WAL synced) before COMMIT returns, so a push
        # the server acked survives a power cut; the tablet has forgotten nothing it
        # sent only if the server has it. Measured at under 1 % of a push's time here.
        cursor.execute("PRAGMA synchronous=FULL")
        # Checkpoints run in the background after writes (server/sqlite_checkpoints.py);
        # the committing connection checkpoints only past this backstop.
        (page_size,) = cursor.execute("PRAGMA page_size").fetchone()
        cursor.execute(f"PRAGMA wal_autocheckpoint={autocheckpoint_pages(page_size)}")
        cursor.close()
        # Record search folds case and accents with it (services/text_fold).
        dbapi_connection.create_function(SQLITE_FUNCTION, 1, fold_sql_value,
                                         deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(WRITE_LOCK) or writes_expected()
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        if strict:
            connection.info[_DEFERRED] = not immediate and has_request_context() and "begun"

    if strict:
        _install_strict_check(engine)
    engine._hesabu_hooks = True  # type: ignore[attr-defined]


_DEFERRED = "hesabu_deferred"


def _install_strict_check(engine: Engine) -> None:
    """Refuse a write that follows a read in a transaction begun without the lock."""

    @event.listens_for(engine, "before_cursor_execute")
    def _check(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        state = connection.info.get(_DEFERRED)
        if not state:
            return
        verb = statement.lstrip()[:6].upper()
        if verb == "SELECT" or verb.startswith("WITH"):
            connection.info[_DEFERRED] = "read"
        elif state == "read" and verb in ("INSERT", "UPDATE", "DELETE"):
            raise RuntimeError("this transaction read, then wrote, without SQLite's write "
                               "lock: use begin_write before the first read "
                               f"({statement[:80]!r})")

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _end(connection: Any) -> None:
        connection.info.pop(_DEFERRED, None)


def writes_expected() -> bool:
    """True inside `expect_writes()` and in requests whose method may write."""
    if _writes_expected.get():
        return True
    return has_request_context() and request.method not in _READ_METHODS


@contextlib.contextmanager
def expect_writes() -> Iterator[None]:
    """Every transaction started inside takes SQLite's write lock at BEGIN (the command
    line's jobs: `hesabu server create-user` while tablets push)."""
    token = _writes_expected.set(True)
    try:
        yield
    finally:
        _writes_expected.reset(token)


def begin_write(session: Session | scoped_session[Session]) -> None:
    """Start the session's transaction as a writer (BEGIN IMMEDIATE on SQLite).

    Must open the transaction: reading an attribute of an object after a commit or
    rollback silently starts a new one, so callers copy what they need first.
    """
    real = session() if isinstance(session, scoped_session) else session
    if real.in_transaction():
        raise RuntimeError("begin_write needs a session without an open transaction")
    session.connection(execution_options={WRITE_LOCK: True})
