"""A batch's rows go in with one executemany (SQLite) or one COPY (PostgreSQL): the
rows arrive exactly, in the caller's transaction, and a failure is SQLAlchemy's error."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from server.extensions import db
from server.models import Op as OpRow
from server.models import Record, RecordScope
from server.services.apply import _OP_COLUMNS, _OP_TYPES, _RECORD_COLUMNS
from server.services.rows import RowStream, bind_value, copy_types, insert_rows


def _rows(app: Flask, ids: list[str]) -> list[tuple[object, ...]]:
    received = bind_value(db.session.connection(), OpRow.__table__.c.received_at,
                     datetime(2026, 12, 6, 18, 0, tzinfo=UTC))
    return [(op_id, seq, "tab-1", "tab-1", f"rec-{seq}", "household", "1",
             f"hlc-{seq}", "edit", '{"text":"Nyumba \\\\ 2\\t\\u00e9","n":null}', received)
            for seq, op_id in enumerate(ids, start=1)]


COPY_FORMATS = pytest.mark.parametrize("binary", [None, _OP_TYPES], ids=["text", "binary"])


@COPY_FORMATS
def test_rows_arrive_exactly_and_roll_back_with_their_transaction(
        app: Flask, binary: tuple[str, ...] | None) -> None:
    with app.app_context():
        insert_rows(db.session.connection(), "ops", _OP_COLUMNS, _rows(app, ["a", "b", "c"]),
                    binary)
        got = db.session.execute(select(OpRow).order_by(OpRow.server_seq)).scalars().all()
        assert [(o.op_id, o.server_seq, o.record_id) for o in got] == [
            ("a", 1, "rec-1"), ("b", 2, "rec-2"), ("c", 3, "rec-3")]
        assert got[0].payload == {"text": "Nyumba \\ 2\té", "n": None}
        assert got[0].received_at == datetime(2026, 12, 6, 18, 0, tzinfo=UTC)
        db.session.rollback()
        assert db.session.execute(select(OpRow.op_id)).all() == []


@COPY_FORMATS
def test_a_duplicate_row_is_sqlalchemys_integrity_error(
        app: Flask, binary: tuple[str, ...] | None) -> None:
    with app.app_context():
        insert_rows(db.session.connection(), "ops", _OP_COLUMNS, _rows(app, ["a", "b"]), binary)
        db.session.commit()
        with pytest.raises(IntegrityError):
            insert_rows(db.session.connection(), "ops", _OP_COLUMNS, _rows(app, ["c", "a"]),
                        binary)
        db.session.rollback()  # the session is usable again
        assert db.session.execute(select(OpRow.op_id).order_by(OpRow.op_id)).scalars().all() \
            == ["a", "b"]


def test_a_stream_stores_its_rows_when_it_ends(app: Flask) -> None:
    with app.app_context():
        conn = db.session.connection()
        with RowStream(conn, "ops", _OP_COLUMNS) as stream:
            for row in _rows(app, ["a", "b", "c"]):
                stream.put(row)
        assert stream.count == 3
        got = db.session.execute(select(OpRow.op_id, OpRow.payload)
                                 .order_by(OpRow.server_seq)).all()
        assert got == [(i, {"text": "Nyumba \\ 2\té", "n": None}) for i in "abc"]
        with RowStream(conn, "ops", _OP_COLUMNS):
            pass  # no row: no statement
        db.session.rollback()


def test_an_error_inside_a_stream_stores_none_of_it_and_is_the_one_raised(app: Flask) -> None:
    with app.app_context():
        conn = db.session.connection()
        with (pytest.raises(RuntimeError, match="disk full"),
              RowStream(conn, "ops", _OP_COLUMNS) as stream):
            for n, row in enumerate(_rows(app, ["a", "b", "c"])):
                if n == 2:
                    raise RuntimeError("disk full")
                stream.put(row)
        db.session.rollback()
        assert db.session.execute(select(OpRow.op_id)).all() == []



@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite: no stream
def test_a_connection_lost_in_a_stream_is_sqlalchemys_error_and_is_dropped(app: Flask) -> None:
    """The database server goes away while rows stream in (restart, OOM kill): the row
    that cannot be written raises SQLAlchemy's OperationalError, as a statement would,
    the pool drops that connection, and the next transaction works on a new one. (On
    SQLite a stream keeps its rows in memory until it ends: no connection to lose.)"""
    with app.app_context():
        conn = db.session.connection()
        assert conn.dialect.name == "postgresql"
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        ids = [f"op-{n:05d}" for n in range(3000)]  # ~0.5 MB: past any send buffer
        written = 0
        with (pytest.raises(OperationalError) as caught,
              RowStream(conn, "ops", _OP_COLUMNS) as stream):
            for row in _rows(app, ids):
                if written == 1:
                    with db.engine.connect() as other:  # (waits until it has ended)
                        assert other.exec_driver_sql(
                            f"SELECT pg_terminate_backend({pid}, 10000)").scalar_one()
                stream.put(row)
                written += 1
        assert caught.value.connection_invalidated
        assert written < len(ids)  # a put raised, not only the end of the COPY
        db.session.rollback()
        assert db.session.execute(select(OpRow.op_id)).all() == []


def test_a_duplicate_in_a_stream_is_sqlalchemys_integrity_error(app: Flask) -> None:
    with app.app_context():
        insert_rows(db.session.connection(), "ops", _OP_COLUMNS, _rows(app, ["a"]))
        db.session.commit()
        with (pytest.raises(IntegrityError),
              RowStream(db.session.connection(), "ops", _OP_COLUMNS) as stream):
            for row in _rows(app, ["b", "a"]):
                stream.put(row)
        db.session.rollback()
        assert db.session.execute(select(OpRow.op_id)).scalars().all() == ["a"]


def test_binary_copies_name_each_columns_type_or_none_for_json() -> None:
    assert ("varchar", "int8", *["varchar"] * 8, "timestamptz") == _OP_TYPES
    assert copy_types(RecordScope.__table__, ("record_id", "parent_id")) == ("varchar",) * 2
    # A record's fields and heads are JSON columns: the records' COPY stays text.
    assert copy_types(Record.__table__, _RECORD_COLUMNS) is None
