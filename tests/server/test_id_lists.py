"""`among`: rows looked up by many ids at once, one statement on PostgreSQL."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import event, select

from server.extensions import db
from server.models import Settlement
from server.services.id_lists import CHUNK, among


@pytest.fixture
def settlements(app: Flask, people) -> list[str]:
    with app.app_context():
        rows = [Settlement(federation_id=people.federation_a, name=f"Mtaa {n}")
                for n in range(7)]
        db.session.add_all(rows)
        db.session.commit()
        return [row.id for row in rows]


def test_every_wanted_row_is_found_whatever_the_number_of_ids(
        app: Flask, settlements: list[str]) -> None:
    # Ids that match nothing pad the list well past one IN list's worth.
    missing = [f"00000000-0000-7000-8000-{n:012d}" for n in range(CHUNK * 2 + 5)]
    wanted = missing[:CHUNK] + settlements + missing[CHUNK:]
    statements: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda *args: statements.append(args[2])
                     if args[2].startswith("SELECT") else None)
        found = {sid for where in among(Settlement.id, wanted)
                 for sid in db.session.execute(select(Settlement.id).where(where)).scalars()}
        db.session.rollback()
        dialect = db.engine.dialect.name
    assert found == set(settlements)
    # PostgreSQL: one statement with one array parameter; SQLite: IN lists of CHUNK ids.
    assert len(statements) == (1 if dialect == "postgresql" else 3)
    assert ("ANY" in statements[0]) == (dialect == "postgresql")


def test_no_ids_need_no_statement(app: Flask) -> None:
    with app.app_context():
        assert among(Settlement.id, []) == []
