"""Keep `record_values` (the records table's sort keys) current for the columns in use.

A question becomes a kept column the first time someone sorts or filters the table on
it: `ensure_current(form_id, paths)` then reads every record of the form once (keyset
pages of 2,000) and writes its answer as text, folded text and number. Afterwards a
call reads only the records whose `server_seq` passed the column's mark: a push, a
correction or an import changes `server_seq`, so the keys follow the records without
the push path knowing about them. When nothing changed it is one indexed query.

One refresher at a time (a PostgreSQL advisory lock, SQLite's write lock), as the
indicators' facts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, select, text, update

from server.extensions import begin_write, db, is_sqlite
from server.models import Record, RecordValue, RecordValueColumn, ServerSeq
from server.models.record_values import VALUE_LEN
from server.models.types import json_of
from server.services.rows import insert_rows
from server.services.text_fold import fold

_LOCK_KEY = 0x4E5A_7AB1  # pg_advisory_xact_lock: "hesabu record values"
_PAGE = 2000
_COLUMNS = ("form_id", "path", "record_id", "value", "folded", "number")
#: Text that is a number (no "nan", "inf" or "1_000", which float() also reads).
_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def sort_keys(value: Any) -> tuple[str | None, str | None, float | None]:
    """(text, folded text, number) of an answer; a list of choices as " a b "."""
    if value is None or value == "" or value == []:
        return None, None, None
    number = None
    if isinstance(value, bool):
        shown = "true" if value else "false"
    elif isinstance(value, int | float):
        number = _finite(value)
        shown = str(value)
    elif isinstance(value, list):
        shown = " " + " ".join(str(v) for v in value) + " "
    else:
        shown = str(value)
        if _NUMBER.fullmatch(shown):  # a number as text (an OpenRosa calculate)
            number = _finite(float(shown))
    shown = shown[:VALUE_LEN]
    return shown, fold(shown)[:VALUE_LEN], number


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _marks(form_id: str, paths: Iterable[str]) -> dict[str, int]:
    return dict(db.session.execute(
        select(RecordValueColumn.path, RecordValueColumn.seq).where(
            RecordValueColumn.form_id == form_id,
            RecordValueColumn.path.in_(list(paths)))).all())


def ensure_current(form_id: str, paths: Iterable[str]) -> int:
    """Bring the sort keys of `paths` of `form_id` up to the records; returns how many
    records were read. Commits its own transaction: call it before reading the table."""
    wanted = sorted(set(paths))
    if not wanted:
        return 0
    latest = db.session.execute(select(ServerSeq.value)).scalar_one_or_none() or 0
    marks = _marks(form_id, wanted)
    if all(marks.get(p, -1) >= latest for p in wanted):
        db.session.rollback()
        return 0
    db.session.rollback()
    session = db.session
    begin_write(session)
    try:
        if not is_sqlite(db.engine):
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        latest = session.execute(select(ServerSeq.value)).scalar_one_or_none() or 0
        marks = _marks(form_id, wanted)  # another refresher may have done it meanwhile
        stale = {p: marks.get(p, -1) for p in wanted if marks.get(p, -1) < latest}
        read = _refresh(form_id, stale) if stale else 0
        for path, mark in stale.items():
            if mark < 0:
                session.add(RecordValueColumn(form_id=form_id, path=path, seq=latest))
            else:
                session.execute(update(RecordValueColumn).where(
                    RecordValueColumn.form_id == form_id, RecordValueColumn.path == path)
                    .values(seq=latest))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    if any(mark < 0 for mark in stale.values()) and not is_sqlite(db.engine):
        # A question's keys were just made (up to every record of the form): give the
        # planner their statistics now rather than at autovacuum's next round.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE record_values")
    return read


def _refresh(form_id: str, stale: Mapping[str, int]) -> int:
    """Rewrite the keys of `stale` paths for the records changed since the oldest mark
    (every record for a path not kept before)."""
    session = db.session
    since = max(min(stale.values()), 0)
    fresh = {p for p, mark in stale.items() if mark < 0}  # nothing kept yet: no delete
    after_seq, after_id, read = since, "", 0
    paths = list(stale)
    while True:
        # Only the answers needed, taken out of the JSON by the database (not whole
        # records). The page is a subquery so that PostgreSQL reads each record's text as
        # JSON once however many paths are asked (`json_of`; a LIMIT keeps it apart).
        page = (select(Record.server_seq, Record.record_id,
                       json_of(Record.fields).label("doc"))
                .where(Record.form_id == form_id, Record.server_seq >= after_seq,
                       (Record.server_seq > after_seq) | (Record.record_id > after_id))
                .order_by(Record.server_seq, Record.record_id).limit(_PAGE).subquery())
        batch = session.execute(
            select(page.c.server_seq, page.c.record_id, *(page.c.doc[p] for p in paths))
            .order_by(page.c.server_seq, page.c.record_id)).all()
        if not batch:
            return read
        read += len(batch)
        ids = [row.record_id for row in batch]
        old = [p for p in stale if p not in fresh]
        if old:
            session.execute(delete(RecordValue).where(
                RecordValue.form_id == form_id, RecordValue.path.in_(old),
                RecordValue.record_id.in_(ids)))
        rows = []
        for row in batch:
            for path, answer in zip(paths, row[2:], strict=True):
                value, folded, number = sort_keys(answer)
                if value is not None:
                    rows.append((form_id, path, row.record_id, value, folded, number))
        if rows:
            # Plain values past the ORM, as a push writes its rows (services/apply).
            insert_rows(session.connection(), RecordValue.__tablename__, _COLUMNS, rows)
        after_seq, after_id = batch[-1].server_seq, batch[-1].record_id
