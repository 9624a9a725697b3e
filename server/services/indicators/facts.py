"""Keeping the facts tables (server/models/indicators.py) current with the records.

The facts are a derived cache: every record of the SDI forms becomes one row of flat
numbers and codes. `refresh_facts` brings them up to the records' latest server_seq,
reading only records changed since the last refresh (keyset pages by server_seq), so
a city profile over a million households is one GROUP BY over narrow rows instead of
parsing a million JSON documents. It runs before any indicator is read; when nothing
changed it costs one indexed query.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from forms.answers import get as answer_at
from server.extensions import begin_write, is_sqlite
from server.models import Record
from server.models.indicators import (
    FactsWatermark,
    HouseholdFacts,
    SettlementEnumeration,
    SettlementFacts,
    StructureFacts,
)
from server.services.indicators import enumeration, formulas
from server.services.indicators.profile_questions import profile_questions

SETTLEMENT_FORM = "sdi_settlement_profile"
STRUCTURE_FORM = "sdi_structure_numbering"
HOUSEHOLD_FORM = "sdi_household_enumeration"
CITY_FORM = "sdi_city_profile"
FACT_FORMS = (SETTLEMENT_FORM, STRUCTURE_FORM, HOUSEHOLD_FORM)

_PAGE = 2000
_CHUNK = 400
#: pg_advisory_xact_lock key: one refresher at a time ("hesabu facts").
_LOCK_KEY = 0x4E5A_FAC7


def _watermark(session: Session) -> int | None:
    return session.execute(select(FactsWatermark.seq).where(FactsWatermark.id == 1)
                           ).scalar_one_or_none()


def is_current(session: Session) -> bool:
    latest = session.execute(select(func.max(Record.server_seq))).scalar_one_or_none()
    mark = _watermark(session)
    return mark is not None and mark >= (latest or 0)


def refresh_facts(session: Session) -> int:
    """Bring the facts up to date; returns how many records were re-read.

    Commits its own transaction, so call it before reading, not in the middle of a write.
    """
    if is_current(session):
        session.rollback()
        return 0
    session.rollback()
    begin_write(session)  # BEGIN IMMEDIATE on SQLite: one writer
    if not is_sqlite(session.get_bind()):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    mark = _watermark(session)
    if mark is None:  # first run after the tables were emptied: rebuild everything
        for model in (SettlementFacts, StructureFacts, HouseholdFacts, SettlementEnumeration):
            session.execute(delete(model))
        session.add(FactsWatermark(id=1, seq=0))
        session.flush()
        mark = 0
    seen = 0
    records = Record.__table__
    fresh = mark == 0  # empty facts tables: nothing to delete first
    affected: set[str] = set()  # settlements whose enumeration totals change
    try:
        while True:
            # Only the server_seq range in SQL: the index on server_seq then serves the
            # ORDER BY ... LIMIT page by page (with the form in the WHERE, a planner
            # with stale statistics sorts every remaining record for every page).
            # Through the connection: plain Core rows, without the ORM's result overhead.
            page = session.connection().execute(
                select(records.c.record_id, records.c.form_id, records.c.answers,
                       records.c.deleted, records.c.server_seq)
                .where(records.c.server_seq > mark)
                .order_by(records.c.server_seq).limit(_PAGE)
            ).all()
            if not page:
                break
            ours = [row for row in page if row.form_id in FACT_FORMS]
            _apply_page(session, ours, fresh, affected)
            seen += len(ours)
            mark = page[-1].server_seq
        enumeration.store(session, None if fresh else affected)
        # The last record read, not max(server_seq) now: a push that committed after
        # the last page must be read by the next refresh.
        session.execute(FactsWatermark.__table__.update().where(FactsWatermark.id == 1)
                        .values(seq=mark))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return seen


def _apply_page(session: Session, page: Sequence[Any], fresh: bool,
                affected: set[str]) -> None:
    """Replace the facts of these records; add to `affected` the settlements whose
    enumeration totals change (before and after: a household or structure can move)."""
    by_form: dict[str, list[Any]] = {form: [] for form in FACT_FORMS}
    for row in page:
        by_form[row.form_id].append(row)
    for form_id, model, key in ((SETTLEMENT_FORM, SettlementFacts, "settlement_id"),
                                (STRUCTURE_FORM, StructureFacts, "structure_id"),
                                (HOUSEHOLD_FORM, HouseholdFacts, "household_id")):
        rows = by_form[form_id]
        if not rows:
            continue
        ids = [r.record_id for r in rows]
        column = getattr(model, key)
        if not fresh:
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start:start + _CHUNK]
                if form_id != SETTLEMENT_FORM:
                    affected.update(_settlements_of(session, form_id, chunk))
                session.execute(delete(model).where(column.in_(chunk)))
        values = [_facts(form_id, r) for r in rows if not r.deleted]
        if values:  # a Core executemany: the ORM's bulk path costs twice as much here
            session.execute(insert(model.__table__), values)
        if not fresh and form_id != SETTLEMENT_FORM:
            for start in range(0, len(ids), _CHUNK):
                affected.update(_settlements_of(session, form_id, ids[start:start + _CHUNK]))


def _settlements_of(session: Session, form_id: str, ids: Sequence[str]) -> set[str]:
    """The settlements these structures or households are in, per the facts now."""
    if form_id == STRUCTURE_FORM:
        query = select(StructureFacts.settlement_id).where(StructureFacts.structure_id.in_(ids))
    else:
        query = (select(StructureFacts.settlement_id)
                 .join(HouseholdFacts, HouseholdFacts.structure_id == StructureFacts.structure_id)
                 .where(HouseholdFacts.household_id.in_(ids)))
    return {sid for sid in session.connection().execute(query.distinct()).scalars() if sid}


def _facts(form_id: str, row: Any) -> dict[str, Any]:
    answers = row.answers if isinstance(row.answers, dict) else {}
    if form_id == HOUSEHOLD_FORM:
        facts = formulas.household_facts(answers)
        for name, length in (("structure_id", 36), ("tenure", 50), ("water_source", 50),
                             ("toilet", 50), ("electricity", 50), ("savings_member", 20)):
            facts[name] = _clip(facts[name], length)
        return {"household_id": row.record_id, **facts}
    if form_id == STRUCTURE_FORM:
        facts = formulas.structure_facts(answers)
        facts.pop("households")
        facts["settlement_id"] = _clip(facts["settlement_id"], 36)
        facts["structure_use"] = _clip(facts["structure_use"], 50)
        return {"structure_id": row.record_id, **facts}
    questions = profile_questions()
    indicators = formulas.settlement_profile(answers, questions)
    point = formulas.geopoint(answer_at(answers, questions.point))
    ring = formulas.geoshape(answer_at(answers, questions.boundary))
    return {
        "settlement_id": row.record_id,
        "name": _clip(indicators["name"], 200),
        "city": _clip(indicators["city"], 200),
        "country": _clip(indicators["country"], 100),
        "federation": _clip(indicators["federation"], 200),
        "legal_status": _clip(indicators["legal_status"], 100),
        "eviction_threat": _clip(indicators["eviction_threat_current"], 20),
        "population": indicators["population"],
        "households": indicators["households"],
        "lon": point[0] if point else None,
        "lat": point[1] if point else None,
        "boundary": [list(p) for p in ring] if ring else None,
        "indicators": indicators,
        "server_seq": row.server_seq,
    }


def _clip(value: str | None, length: int) -> str | None:
    return value[:length] if value is not None else None
