"""Reviewing records: browse and filter, read a record with its form's labels, and give
it a review state with a comment that devices pull.

Which settlement a record belongs to, and who may see it, is services/scoping's job
(the `record_scopes` table); filters here join it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, Text, cast, func, literal, select
from sqlalchemy.dialects.postgresql import JSONB, JSONPATH
from sqlalchemy.orm import aliased

from server.errors import ApiError
from server.extensions import db, is_sqlite
from server.models import Record, RecordScope, Review
from server.models.review import REVIEW_STATES
from server.services.id_lists import among
from server.services.resolution import open_conflicts
from server.services.sequence import SequenceLock
from server.services.text_fold import SQLITE_FUNCTION, fold, like_escape, search_regex

STATE_LABELS = {"approved": _l("Approved"), "has_issues": _l("Has issues"),
                "rejected": _l("Rejected"), "": _l("Not reviewed")}


def settlement_of(records: Iterable[Record | str]) -> dict[str, str | None]:
    """record_id -> the settlement id it belongs to (services/scoping keeps the links)."""
    ids = [r if isinstance(r, str) else r.record_id for r in records]
    out: dict[str, str | None] = dict.fromkeys(ids)
    for where in among(RecordScope.record_id, ids):
        out.update(db.session.execute(
            select(RecordScope.record_id, RecordScope.settlement_id).where(where)).all())
    return out


def latest_reviews(record_ids: Iterable[str]) -> dict[str, Review]:
    """The newest review of each record that has one."""
    out: dict[str, Review] = {}
    for where in among(Review.record_id, record_ids):
        newest = (select(Review.record_id, func.max(Review.server_seq).label("seq"))
                  .where(where).group_by(Review.record_id).subquery())
        for review in db.session.execute(
            select(Review).join(newest, Review.server_seq == newest.c.seq)
        ).scalars():
            out[review.record_id] = review
    return out


@dataclass(frozen=True)
class RecordRow:
    record_id: str
    form_id: str
    title: str
    settlement_id: str | None
    review_state: str
    server_seq: int
    deleted: bool


def record_title(record: Record) -> str:
    """A short name for a record: its instanceName, else a known name field, else its id."""
    meta = record.answers.get("meta") if isinstance(record.answers, dict) else None
    if isinstance(meta, dict) and meta.get("instanceName"):
        return str(meta["instanceName"])
    for key in ("structure_number", "section_B/B7_Settlement_Name_Community",
                "household/head_name", "B5_City"):
        if record.fields.get(key):
            return str(record.fields[key])
    return record.record_id[:13]


#: Between two answers in the text a search looks in: no search matches across it.
_ANSWER_SEPARATOR = "\x1f"
#: PostgreSQL: every string and number in a record's fields (lists of choices included).
_ANSWER_ITEMS = 'strict $.** ? (@.type() == "string" || @.type() == "number")'


def answers_contain(text: str) -> ColumnElement[bool]:
    """A record whose answers contain `text`, ignoring case and accents ("joao" finds
    "João"; services/text_fold); % and _ are plain characters. Only the answers are
    searched, not the field names, and JSON escapes (\\u00e3) read as the letter."""
    if is_sqlite(db.engine):
        atoms = func.json_tree(Record.fields).table_valued("atom", "type")
        answers = (select(func.group_concat(atoms.c.atom, _ANSWER_SEPARATOR, type_=Text))
                   .where(atoms.c.type.in_(("text", "integer", "real"))).scalar_subquery())
        pattern = literal(f"%{like_escape(fold(text))}%", Text)
        return getattr(func, SQLITE_FUNCTION)(answers, type_=Text).like(pattern, escape="/")
    # \u0000 is valid JSON but no PostgreSQL text: read it as a space, not an error.
    document = cast(func.replace(cast(Record.fields, Text), "\\u0000", "\\u0020"), JSONB)
    item = func.jsonb_array_elements_text(func.jsonb_path_query_array(
        document, cast(_ANSWER_ITEMS, JSONPATH))).column_valued("item", Text)
    answers = select(func.string_agg(item, _ANSWER_SEPARATOR, type_=Text)).scalar_subquery()
    return answers.op("~")(literal(search_regex(text), Text))


def list_records(*, visible: Select[tuple[str]] | None, form_id: str | None = None,
                 settlement_id: str | None = None, state: str | None = None,
                 text: str | None = None, limit: int = 100, offset: int = 0
                 ) -> tuple[list[RecordRow], int]:
    """Records newest first, filtered; `visible` is the query of record ids the user may
    see (None: all). `state` "" means not reviewed; `text` is looked for in the answers
    (a structure number, a name). Returns a page and the total."""
    newest = (select(Review.record_id, func.max(Review.server_seq).label("seq"))
              .group_by(Review.record_id).subquery())
    latest = aliased(Review)
    query = (select(Record, RecordScope.settlement_id, latest.state)
             .outerjoin(RecordScope, RecordScope.record_id == Record.record_id)
             .outerjoin(newest, newest.c.record_id == Record.record_id)
             .outerjoin(latest, latest.server_seq == newest.c.seq))
    if visible is not None:
        query = query.where(Record.record_id.in_(visible))
    if form_id:
        query = query.where(Record.form_id == form_id)
    if settlement_id:
        query = query.where(RecordScope.settlement_id == settlement_id)
    if text and text.strip():
        query = query.where(answers_contain(text.strip()))
    if state == "":
        query = query.where(newest.c.seq.is_(None))
    elif state is not None:
        query = query.where(latest.state == state)
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = [RecordRow(r.record_id, r.form_id, record_title(r), sid, rstate or "",
                      r.server_seq, r.deleted)
            for r, sid, rstate in db.session.execute(
                query.order_by(Record.server_seq.desc(), Record.record_id)
                .limit(limit).offset(offset))]
    return rows, int(total)


def check_review(state: str, comment: str) -> tuple[str, str]:
    """The review's state and tidied comment, or ApiError if they are not a review."""
    if state not in REVIEW_STATES:
        raise ApiError("request.invalid", _("review state must be one of %(states)s",
                                             states=", ".join(REVIEW_STATES)),
                       details={"fields": {"state": [f"unknown state {state!r}"]}})
    comment = (comment or "").strip()
    if len(comment) > 4000:
        raise ApiError("request.invalid", _("the comment is longer than 4000 characters"),
                       details={"fields": {"comment": ["at most 4000 characters"]}})
    if state != "approved" and not comment:
        raise ApiError("request.invalid", _("say what is wrong: a comment is needed unless "
                                             "the record is approved"),
                       details={"fields": {"comment": ["required"]}})
    return state, comment


def set_review(record_id: str, state: str, comment: str, reviewer: str) -> Review:
    """Record a review decision; it enters the change feed at the next server sequence."""
    state, comment = check_review(state, comment)
    session = db.session
    session.rollback()  # what the caller read is done; the lock starts a write transaction
    seq = SequenceLock(session)
    try:
        if session.get(Record, record_id) is None:
            raise ApiError("request.not_found", f"no record {record_id}")
        review = Review(record_id=record_id, state=state, comment=comment, reviewer=reviewer,
                        server_seq=seq.next())
        session.add(review)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return review


def review_history(record_id: str) -> list[Review]:
    return list(db.session.execute(
        select(Review).where(Review.record_id == record_id).order_by(Review.server_seq.desc())
    ).scalars())


def review_to_wire(review: Review) -> dict[str, Any]:
    """A review as a change in the pull feed (`type: "review"`)."""
    return {"seq": review.server_seq, "type": "review", "record_id": review.record_id,
            "state": review.state, "comment": review.comment, "reviewer": review.reviewer,
            "reviewed_at": review.reviewed_at.isoformat()}


def review_changes(cursor: int, limit: int,
                   visible_record_ids: Any) -> list[tuple[int, dict[str, Any], str]]:
    """Reviews after `cursor` of the records in `visible_record_ids` (a subquery of ids),
    as (server_seq, change, record_id), oldest first: for the pull feed."""
    rows = db.session.execute(
        select(Review).where(Review.server_seq > cursor,
                             Review.record_id.in_(visible_record_ids))
        .order_by(Review.server_seq).limit(limit + 1)
    ).scalars()
    return [(r.server_seq, review_to_wire(r), r.record_id) for r in rows]


def record_detail(record: Record) -> dict[str, Any]:
    """A record for the JSON API: answers, fields, settlement, reviews, conflicted paths."""
    return {"record_id": record.record_id, "form_id": record.form_id,
            "form_version": record.form_version, "deleted": record.deleted,
            "answers": record.answers, "fields_": record.fields,
            "settlement_id": settlement_of([record.record_id])[record.record_id],
            "reviews": review_history(record.record_id),
            "conflicts": [c.path for c in open_conflicts([record.record_id])]}
