"""`among`: rows looked up by many ids at once, in one statement."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import event, select

from server.extensions import db
from server.models import ServerSeq, Settlement
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
    # One statement, the ids in one JSON parameter that the database unpacks.
    assert len(statements) == 1
    unpack = "json_array_elements_text" if dialect == "postgresql" else "json_each"
    assert unpack in statements[0]


def test_no_ids_need_no_statement(app: Flask) -> None:
    with app.app_context():
        assert among(Settlement.id, []) == []


def test_odd_ids_are_plain_values_and_integers_work_too(
        app: Flask, settlements: list[str]) -> None:
    odd = ["a,b", "'; DROP TABLE settlements; --", '"quoted"', "Kibera \u00e9\u4e2d", "{x}"]
    with app.app_context():
        before = len(db.session.execute(select(Settlement.id)).scalars().all())
        found = [sid for where in among(Settlement.id, [*odd, settlements[2]])
                 for sid in db.session.execute(select(Settlement.id).where(where)).scalars()]
        numbers = [n for where in among(ServerSeq.id, [1, 5, 99])
                   for n in db.session.execute(select(ServerSeq.id).where(where)).scalars()]
        still_there = db.session.execute(select(Settlement.id)).scalars().all()
        db.session.rollback()
    assert found == [settlements[2]]
    assert numbers == [1]
    assert len(still_there) == before
