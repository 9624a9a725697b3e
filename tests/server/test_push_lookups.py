"""What a push reads before it writes, on SQLite and PostgreSQL: lookups that cannot
find anything for records new to the server are not run (each is a round trip to
PostgreSQL), and those that can still are. (An op id reused for a new record, which the
skipped lookup of stored ops would have found: tests/server/test_push_pull.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise

from flask import Flask
from server_harness import Device, publish_test_form, push_ok
from sqlalchemy import event, func, select

from server.extensions import db
from server.models import RecordScope
from server.services.scoping import HOUSEHOLD_FORM
from sync.ids import new_uuid7


@contextmanager
def tables_read(app: Flask) -> Iterator[set[str]]:
    """The tables the SELECTs run meanwhile read from (FROM or JOIN)."""
    seen: set[str] = set()

    def note(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        words = statement.replace("\n", " ").split()
        if words and words[0] == "SELECT":
            seen.update(w.strip('"') for before, w in pairwise(words)
                        if before in ("FROM", "JOIN"))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_new_records_skip_the_lookups_of_stored_ones_and_edits_run_them(
        app: Flask, tablet: Device) -> None:
    publish_test_form(app, HOUSEHOLD_FORM, "1")
    households = [tablet.op(new_uuid7(), {"household/head_name": name},
                            form_id=HOUSEHOLD_FORM, form_version="1")
                  for name in ("Wanjiru", "Achieng")]
    with tables_read(app) as first:
        push_ok(app, tablet, households)
    assert "records" in first  # what the push must know
    # Stored ops, conflicts, parent rows and scopes hang off stored records: none for
    # new ones (an op stored before is a replay, and its record was stored with it).
    assert not first & {"ops", "conflicts", "field_parents", "record_scopes"}, \
        " ".join(sorted(first))

    edit = tablet.op(households[0].record_id, {"household/head_name": "Wanjiru Achieng"},
                     heads={"household/head_name": [households[0].op_id]},
                     form_id=HOUSEHOLD_FORM, form_version="1")
    with tables_read(app) as second:
        push_ok(app, tablet, [edit])
    assert {"ops", "conflicts", "field_parents", "record_scopes"} <= second, \
        " ".join(sorted(second))

    with app.app_context():  # both have their scope row (no structure: no settlement)
        assert db.session.execute(select(func.count()).select_from(RecordScope).where(
            RecordScope.record_id.in_([h.record_id for h in households]))).scalar_one() == 2
        db.session.rollback()
