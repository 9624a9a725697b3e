"""Reviewing records: browse and filter, read a record with its form's labels, and give
it a review state with a comment that devices pull.

A record belongs to a settlement through its links (structure.settlement_id ->
settlement profile record id; household.structure_id -> structure record id);
`settlement_of` resolves them for many records in three queries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from forms.spec import DEFAULT_LANG, MULTI_TYPES, SELECT_TYPES, FormSpec, Node, text_in
from server.errors import ApiError
from server.extensions import db
from server.models import FormVersion, Record, Review
from server.models.review import REVIEW_STATES
from server.services.sequence import SequenceLock
from sync.fields import INSTANCE_KEY

SETTLEMENT_FORM = "sdi_settlement_profile"
STRUCTURE_FORM = "sdi_structure_numbering"
HOUSEHOLD_FORM = "sdi_household_enumeration"
STATE_LABELS = {"approved": "Approved", "has_issues": "Has issues", "rejected": "Rejected",
                "": "Not reviewed"}


def settlement_of(records: Iterable[Record]) -> dict[str, str | None]:
    """record_id -> the settlement id it belongs to (None when its links lead nowhere)."""
    records = list(records)
    structure_ids = {str(r.fields.get("structure_id")) for r in records
                     if r.form_id == HOUSEHOLD_FORM and r.fields.get("structure_id")}
    structures: dict[str, str | None] = {}
    if structure_ids:
        for rid, fields in db.session.execute(
            select(Record.record_id, Record.fields).where(Record.record_id.in_(structure_ids))
        ):
            structures[rid] = fields.get("settlement_id")
    out: dict[str, str | None] = {}
    for r in records:
        if r.form_id == SETTLEMENT_FORM:
            out[r.record_id] = r.record_id
        elif r.form_id == STRUCTURE_FORM:
            out[r.record_id] = r.fields.get("settlement_id")
        elif r.form_id == HOUSEHOLD_FORM:
            out[r.record_id] = structures.get(str(r.fields.get("structure_id")))
        else:
            out[r.record_id] = r.fields.get("settlement_id")
    return out


def latest_reviews(record_ids: Iterable[str]) -> dict[str, Review]:
    """The newest review of each record that has one."""
    ids = list(record_ids)
    out: dict[str, Review] = {}
    for start in range(0, len(ids), 400):
        newest = (select(Review.record_id, func.max(Review.server_seq).label("seq"))
                  .where(Review.record_id.in_(ids[start:start + 400]))
                  .group_by(Review.record_id).subquery())
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


def list_records(*, settlements: set[str] | None, form_id: str | None = None,
                 settlement_id: str | None = None, state: str | None = None,
                 limit: int = 100, offset: int = 0) -> tuple[list[RecordRow], int]:
    """Records newest first, filtered; `settlements` None = every settlement (admin),
    else only records of those settlements. Returns a page and the total matching."""
    query = select(Record).order_by(Record.server_seq.desc())
    if form_id:
        query = query.where(Record.form_id == form_id)
    records = list(db.session.execute(query).scalars())
    where = settlement_of(records)
    reviews = latest_reviews(r.record_id for r in records)
    rows = []
    for r in records:
        sid = where.get(r.record_id)
        if settlements is not None and sid not in settlements:
            continue
        if settlement_id and sid != settlement_id:
            continue
        review = reviews.get(r.record_id)
        rstate = review.state if review is not None else ""
        if state is not None and state != rstate:
            continue
        rows.append(RecordRow(r.record_id, r.form_id, record_title(r), sid, rstate,
                              r.server_seq, r.deleted))
    return rows[offset:offset + limit], len(rows)


def record_ids_of(settlements: set[str] | None) -> list[str] | None:
    """Every record id in `settlements` (None = all records, no filter)."""
    if settlements is None:
        return None
    records = list(db.session.execute(select(Record)).scalars())
    where = settlement_of(records)
    return [rid for rid, sid in where.items() if sid in settlements]


def set_review(record_id: str, state: str, comment: str, reviewer: str) -> Review:
    """Record a review decision; it enters the change feed at the next server sequence."""
    if state not in REVIEW_STATES:
        raise ApiError("request.invalid", f"review state must be one of {', '.join(REVIEW_STATES)}",
                       details={"fields": {"state": [f"unknown state {state!r}"]}})
    comment = (comment or "").strip()
    if len(comment) > 4000:
        raise ApiError("request.invalid", "the comment is longer than 4000 characters",
                       details={"fields": {"comment": ["at most 4000 characters"]}})
    if state != "approved" and not comment:
        raise ApiError("request.invalid", "say what is wrong: a comment is needed unless the "
                       "record is approved", details={"fields": {"comment": ["required"]}})
    session = db.session
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


def form_spec(form_id: str, version: str) -> FormSpec | None:
    row = db.session.get(FormVersion, (form_id, version))
    return None if row is None else FormSpec.from_dict(row.spec)


# -- rendering a record with its form's labels ---------------------------------------

def _label(node: Node, lang: str | None) -> str:
    return text_in(node.label, lang, DEFAULT_LANG) or node.name


def _choice_text(spec: FormSpec, node: Node, value: Any, lang: str | None) -> str:
    labels = {c.name: text_in(c.label, lang, DEFAULT_LANG) or c.name
              for c in spec.choice_list(node.list_name or "")}
    if node.type in MULTI_TYPES and isinstance(value, list):
        return ", ".join(labels.get(str(v), str(v)) for v in value)
    return labels.get(str(value), str(value))


def display_value(spec: FormSpec, node: Node, value: Any, lang: str | None) -> str:
    if value is None or value == "" or value == []:
        return ""
    if node.type in SELECT_TYPES:
        return _choice_text(spec, node, value, lang)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def render_answers(spec: FormSpec, answers: Mapping[str, Any],
                   lang: str | None = None) -> list[dict[str, Any]]:
    """The answers in form order as display items: `{"kind": "question", "label",
    "value", "path"}`, `{"kind": "group", "label", "items"}`, and `{"kind": "repeat",
    "label", "columns", "rows"}` (one row per instance, a table on the page)."""
    lang = lang or spec.default_language
    return _render_nodes(spec, spec.children, answers, lang)


def _render_nodes(spec: FormSpec, nodes: Iterable[Node], answers: Mapping[str, Any],
                  lang: str | None) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for node in nodes:
        value = answers.get(node.name) if isinstance(answers, Mapping) else None
        if node.is_group:
            inner = _render_nodes(spec, node.children, value or {}, lang)
            if inner:
                items.append({"kind": "group", "label": _label(node, lang), "items": inner})
        elif node.is_repeat:
            instances = [i for i in (value or []) if isinstance(i, Mapping)]
            columns = [c for c in node.children if c.is_question and c.type != "note"]
            rows = [[display_value(spec, c, inst.get(c.name), lang) for c in columns]
                    for inst in instances]
            items.append({"kind": "repeat", "label": _label(node, lang),
                          "columns": [_label(c, lang) for c in columns], "rows": rows,
                          "ids": [str(inst.get(INSTANCE_KEY, "")) for inst in instances]})
        elif node.type != "note" and value not in (None, "", []):
            items.append({"kind": "question", "label": _label(node, lang),
                          "value": display_value(spec, node, value, lang),
                          "path": "/".join(node.path)})
    return items
