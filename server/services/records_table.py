"""The records table leaders work in (ODK Central's submissions table is the bar):
columns chosen from the form's questions plus submitted-at, enumerator, device, review
state and open conflicts; sorting and filtering on any of them; pages that stay fast at
100,000 records (bench/records_table.py); several records reviewed at once.

Where each column comes from: *submitted* is the `received_at` of the op that created
the record (`ops.server_seq = records.created_seq`; sorted by the indexed `created_seq`,
the same order); *enumerator* and *device* are that op's device and the person it works
for (`device_accounts`); *review* is the newest review; *conflicts* counts the open ones;
a question column is the answer in `records.fields`, numbers compared as numbers.

A page is found in two steps: the ids of the page's records (a narrow sorted query,
LIMIT/OFFSET), then those records' rows and answers; so the sort never carries whole
records. Answers that are not numbers never break a number sort or filter (they count
as no answer there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from forms.spec import GEO_TYPES, MEDIA_TYPES, METADATA_TYPES, MULTI_TYPES, FormSpec, Node
from server.errors import ApiError
from server.extensions import db
from server.models import (
    Assignment,
    Conflict,
    Device,
    DeviceAccount,
    Record,
    RecordScope,
    RecordValue,
    Review,
    Settlement,
    User,
)
from server.models import Op as OpRow
from server.services.record_values import ensure_current
from server.services.review import answers_contain, check_review, record_title, settlement_of
from server.services.scoping import PARENT_FIELD
from server.services.sequence import SequenceLock
from server.services.text_fold import fold, like_escape

#: Columns every table has, in order; a question column is "q:<path>".
META_COLUMNS = ("record", "settlement", "submitted", "enumerator", "device", "review",
                "conflicts")
NUMBER_TYPES = frozenset({"integer", "decimal", "range", "calculate"})
#: Question types that make no sense as a column (shapes, photos, metadata).
_NOT_A_COLUMN = GEO_TYPES | MEDIA_TYPES | METADATA_TYPES | {"note"}
MAX_BULK = 500
#: Answers that link a record to its parent record (an id, not for reading).
LINK_FIELDS = frozenset(PARENT_FIELD.values())
#: The review column sorted ascending: what waits for a leader first (not reviewed 0).
REVIEW_ORDER = {"has_issues": 1, "rejected": 2, "approved": 3}


@dataclass(frozen=True)
class QuestionColumn:
    path: str  # the field path (no repeat: questions inside repeats are not columns)
    node: Node

    @property
    def key(self) -> str:
        return f"q:{self.path}"

    @property
    def numeric(self) -> bool:
        return self.node.type in NUMBER_TYPES


def question_columns(spec: FormSpec | None) -> list[QuestionColumn]:
    """The questions of a form that can be columns: not in a repeat, not a note, a
    shape, a photo or metadata; in form order."""
    if spec is None:
        return []
    out = []

    def walk(nodes: Sequence[Node]) -> None:
        for node in nodes:
            if node.is_group and node.name != "meta":
                walk(node.children)
            elif node.is_question and node.type not in _NOT_A_COLUMN:
                out.append(QuestionColumn("/".join(node.path), node))

    walk(spec.children)
    return out


def default_columns(columns: Sequence[QuestionColumn], count: int = 3
                    ) -> list[QuestionColumn]:
    """The columns shown before any are chosen: the first questions that are not the
    link to the record's structure or settlement (the Settlement column shows it)."""
    return [c for c in columns if c.path not in LINK_FIELDS][:count]


@dataclass
class Query:
    """What the table shows: filters, sort, page, the question columns."""

    form_id: str | None = None
    settlement_id: str | None = None
    state: str | None = None  # None: any; "": not reviewed
    text: str | None = None
    submitted_from: date | None = None
    submitted_to: date | None = None
    enumerator: str | None = None  # a user id
    device: str | None = None
    conflicts: bool | None = None
    #: question filters: path -> (kind, value): ("eq", "tenant"), ("has", "floods"),
    #: ("contains", "otieno"), ("min", 3.0), ("max", 10.0)
    answers: list[tuple[str, str, Any]] = field(default_factory=list)
    columns: list[QuestionColumn] = field(default_factory=list)
    sort: str = "submitted"
    descending: bool = True
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class Row:
    record_id: str
    form_id: str
    form_version: str
    title: str
    settlement_id: str | None
    submitted_at: datetime | None
    enumerator: str
    device: str
    review_state: str
    conflicts: int
    deleted: bool
    answers: dict[str, Any]  # question column path -> value


# -- SQL pieces --------------------------------------------------------------------------
def _keys(form_id: str, path: str) -> Any:
    """The sort keys of one question (services/record_values), as a subquery."""
    return (select(RecordValue.record_id, RecordValue.value, RecordValue.folded,
                   RecordValue.number)
            .where(RecordValue.form_id == form_id, RecordValue.path == path))


def _answer_condition(form_id: str, path: str, tests: Sequence[tuple[str, Any]]
                      ) -> ColumnElement[bool]:
    """Records whose answer to `path` passes every (kind, value) test of its filters:
    one lookup per question (a range is one index range, not two lookups)."""
    keys = _keys(form_id, path)
    for kind, value in tests:
        if kind == "eq":
            keys = keys.where(RecordValue.value == str(value))
        elif kind == "has":
            keys = keys.where(RecordValue.value.like(f"% {like_escape(str(value))} %",
                                                     escape="/"))
        elif kind == "contains":
            keys = keys.where(RecordValue.folded.like(
                f"%{like_escape(fold(str(value)))}%", escape="/"))
        elif kind == "min":
            keys = keys.where(RecordValue.number >= float(value))
        else:
            keys = keys.where(RecordValue.number <= float(value))
    return Record.record_id.in_(keys.with_only_columns(RecordValue.record_id))


def _latest_review(ids: Sequence[str] | None) -> Any:
    newest = select(Review.record_id, func.max(Review.server_seq).label("seq"))
    if ids is not None:
        newest = newest.where(Review.record_id.in_(ids))
    return newest.group_by(Review.record_id).subquery(), aliased(Review)


def _open_conflicts(ids: Sequence[str] | None) -> Any:
    query = (select(Conflict.record_id, func.count().label("n"))
             .where(Conflict.resolved_at_seq.is_(None)))
    if ids is not None:
        query = query.where(Conflict.record_id.in_(ids))
    return query.group_by(Conflict.record_id).subquery()


class _Sql:
    """The joins a query needs, added only when a filter or the sort uses them;
    `ids`: only these records (a page's), so reviews and conflicts of others are not
    read."""

    def __init__(self, ids: Sequence[str] | None = None) -> None:
        self.origin = aliased(OpRow)
        self.account = aliased(DeviceAccount)
        self.person = aliased(User)
        self.device = aliased(Device)
        self.newest, self.latest = _latest_review(ids)
        self.conflicts = _open_conflicts(ids)
        self.needs: set[str] = set()

    def person_name(self) -> ColumnElement[Any]:
        return func.coalesce(func.nullif(self.person.display_name, ""), self.person.username)

    def join(self, query: Select[Any]) -> Select[Any]:
        if self.needs & {"origin", "account", "person", "device"}:
            query = query.outerjoin(self.origin, self.origin.server_seq == Record.created_seq)
        if self.needs & {"account", "person"}:
            query = query.outerjoin(self.account,
                                    self.account.device_id == self.origin.device_id)
        if "person" in self.needs:
            query = query.outerjoin(self.person, self.person.id == self.account.user_id)
        if "device" in self.needs:
            query = query.outerjoin(self.device, self.device.id == self.origin.device_id)
        if "review" in self.needs:
            query = (query.outerjoin(self.newest, self.newest.c.record_id == Record.record_id)
                     .outerjoin(self.latest, self.latest.server_seq == self.newest.c.seq))
        if "conflicts" in self.needs:
            query = query.outerjoin(self.conflicts,
                                    self.conflicts.c.record_id == Record.record_id)
        if "scope" in self.needs:
            query = query.outerjoin(RecordScope, RecordScope.record_id == Record.record_id)
        return query


def _where(q: Query, sql: _Sql, visible: Select[tuple[str]] | None) -> list[Any]:
    conditions: list[Any] = []
    if visible is not None:
        conditions.append(Record.record_id.in_(visible))
    if q.form_id:
        conditions.append(Record.form_id == q.form_id)
    if q.settlement_id:
        sql.needs.add("scope")
        conditions.append(RecordScope.settlement_id == q.settlement_id)
    if q.text and q.text.strip():
        conditions.append(answers_contain(q.text.strip()))
    if q.state is not None:
        sql.needs.add("review")
        conditions.append(sql.newest.c.seq.is_(None) if q.state == ""
                          else sql.latest.state == q.state)
    if q.submitted_from or q.submitted_to:
        sql.needs.add("origin")
        if q.submitted_from:
            conditions.append(sql.origin.received_at >= datetime.combine(
                q.submitted_from, time.min))
        if q.submitted_to:
            conditions.append(sql.origin.received_at <= datetime.combine(
                q.submitted_to, time.max))
    if q.enumerator:
        sql.needs.add("account")
        conditions.append(sql.account.user_id == q.enumerator)
    if q.device:
        sql.needs.add("origin")
        conditions.append(sql.origin.device_id == q.device)
    if q.conflicts is not None:
        sql.needs.add("conflicts")
        conditions.append(sql.conflicts.c.n.is_not(None) if q.conflicts
                          else sql.conflicts.c.n.is_(None))
    by_path: dict[str, list[tuple[str, Any]]] = {}
    for path, kind, value in q.answers:
        by_path.setdefault(path, []).append((kind, value))
    if q.form_id:
        conditions += [_answer_condition(q.form_id, path, tests)
                       for path, tests in by_path.items()]
    return conditions


def _order(q: Query, sql: _Sql) -> list[Any]:
    key: Any
    if q.sort == "enumerator":
        sql.needs.add("person")
        key = sql.person_name()
    elif q.sort == "device":
        sql.needs.add("device")
        key = func.coalesce(sql.device.name, sql.origin.device_id)
    elif q.sort == "review":
        sql.needs.add("review")
        key = case(REVIEW_ORDER, value=sql.latest.state, else_=0)
    elif q.sort == "conflicts":
        sql.needs.add("conflicts")
        key = func.coalesce(sql.conflicts.c.n, 0)
    elif q.sort == "settlement":
        sql.needs.add("scope")
        key = RecordScope.settlement_id
    elif q.sort == "record":
        key = Record.record_id
    else:  # submitted: the order records arrived in
        key = Record.created_seq
    # Ties (and the default order) in arrival order, all one direction, so a form's
    # newest page is read backwards off ix_records_form_created and stops at the page.
    arrival = [Record.created_seq, Record.record_id]
    arrival = [c.desc() for c in arrival] if q.descending else [c.asc() for c in arrival]
    if key is Record.created_seq:
        return arrival
    ordered = key.desc() if q.descending else key.asc()
    return [ordered.nulls_last(), *arrival]


def records_page(q: Query, visible: Select[tuple[str]] | None) -> tuple[list[Row], int]:
    """One page of the table and the number of records matching the filters."""
    if q.form_id:
        used = {p for p, _kind, _value in q.answers}
        if q.sort.startswith("q:"):
            used.add(q.sort[2:])
        ensure_current(q.form_id, used)
    sql = _Sql()
    conditions = _where(q, sql, visible)
    total = db.session.execute(  # before the sort adds its joins: only the filters' ones
        sql.join(select(func.count()).select_from(Record)).where(*conditions)).scalar_one()
    if q.sort.startswith("q:") and q.form_id:
        ids = _ids_by_question(q, sql, conditions)
    else:
        order = _order(q, sql)  # first: it names the joins the sort needs
        ids = list(db.session.execute(
            sql.join(select(Record.record_id).select_from(Record)).where(*conditions)
            .order_by(*order).limit(q.limit).offset(q.offset)).scalars())
    return _rows(ids, q.columns), int(total)


def _ids_by_question(q: Query, sql: _Sql, conditions: list[Any]) -> list[str]:
    """A page sorted on a question: first the records with an answer, read in order off
    the question's keys index (number or folded text, then record id: ties in a stable
    order, about that of arrival as record ids are UUIDv7) and stopping at the page;
    after them, in arrival order, the records without an answer (or, in a number
    column, with one that is not a number)."""
    assert q.form_id is not None
    path = q.sort[2:]
    column = next((c for c in q.columns if c.key == q.sort), None)
    keys = aliased(RecordValue)
    value = keys.number if column is not None and column.numeric else keys.folded
    answered = and_(keys.form_id == q.form_id, keys.path == path, value.is_not(None))
    with_answer = (sql.join(select(Record.record_id).select_from(Record))
                   .join(keys, and_(keys.record_id == Record.record_id, answered))
                   .where(*conditions))
    order = [value, keys.record_id]
    ids = list(db.session.execute(
        with_answer.order_by(*[c.desc() if q.descending else c.asc() for c in order])
        .limit(q.limit).offset(q.offset)).scalars())
    if len(ids) == q.limit:
        return ids
    # The page reaches past the answered records (rare: the last pages only).
    count = db.session.execute(select(func.count()).select_from(
        with_answer.subquery())).scalar_one()
    unanswered = (sql.join(select(Record.record_id).select_from(Record))
                  .where(*conditions, ~select(keys.record_id).where(
                      keys.record_id == Record.record_id, answered).exists()))
    arrival = [Record.created_seq, Record.record_id]
    return ids + list(db.session.execute(
        unanswered.order_by(*[c.desc() if q.descending else c.asc() for c in arrival])
        .limit(q.limit - len(ids)).offset(max(q.offset - count, 0))).scalars())


def _rows(ids: list[str], columns: list[QuestionColumn]) -> list[Row]:
    if not ids:
        return []
    sql = _Sql(ids)
    query = (select(Record, sql.origin.received_at, sql.origin.device_id, sql.device.name,
                    sql.person_name(), sql.latest.state, sql.conflicts.c.n)
             .select_from(Record)
             .outerjoin(sql.origin, sql.origin.server_seq == Record.created_seq)
             .outerjoin(sql.account, sql.account.device_id == sql.origin.device_id)
             .outerjoin(sql.person, sql.person.id == sql.account.user_id)
             .outerjoin(sql.device, sql.device.id == sql.origin.device_id)
             .outerjoin(sql.newest, sql.newest.c.record_id == Record.record_id)
             .outerjoin(sql.latest, sql.latest.server_seq == sql.newest.c.seq)
             .outerjoin(sql.conflicts, sql.conflicts.c.record_id == Record.record_id)
             .where(Record.record_id.in_(ids)))
    where = settlement_of(ids)
    found = {}
    for record, received, device_id, device_name, person, state, conflicts in \
            db.session.execute(query):
        found[record.record_id] = Row(
            record.record_id, record.form_id, record.form_version, record_title(record),
            where.get(record.record_id), received, person or "",
            device_name or device_id or "", state or "", int(conflicts or 0), record.deleted,
            {c.path: record.fields.get(c.path) for c in columns})
    return [found[i] for i in ids if i in found]


# -- choices for the filters -------------------------------------------------------------
def enumerators(visible_settlements: Select[tuple[str]] | None,
                assigned_only: bool = False) -> list[tuple[str, str]]:
    """(user id, name) of the people with a device, for the filter: everyone (admin),
    the federations' people and those assigned to its settlements (leaders), or only
    the people assigned to the same settlements (`assigned_only`: an enumerator)."""
    query = (select(User.id, func.coalesce(func.nullif(User.display_name, ""), User.username))
             .join(DeviceAccount, DeviceAccount.user_id == User.id).distinct())
    if visible_settlements is not None:
        federations = select(Settlement.federation_id).where(
            Settlement.id.in_(visible_settlements))
        assigned = select(Assignment.user_id).where(
            Assignment.settlement_id.in_(visible_settlements))
        query = query.where(User.id.in_(assigned) if assigned_only else
                            or_(User.federation_id.in_(federations), User.id.in_(assigned)))
    return sorted(db.session.execute(query).all(), key=lambda r: str(r[1]).lower())


def devices(people: Sequence[str] | None) -> list[tuple[str, str]]:
    """(device id, name) of the devices of `people` (all when None)."""
    query = select(Device.id, Device.name)
    if people is not None:
        query = query.join(DeviceAccount, DeviceAccount.device_id == Device.id).where(
            DeviceAccount.user_id.in_(list(people)))
    return sorted(db.session.execute(query).all(), key=lambda r: str(r[1]).lower())


# -- several records reviewed at once ----------------------------------------------------
def review_many(record_ids: Sequence[str], state: str, comment: str, reviewer: str,
                visible: Select[tuple[str]] | None) -> list[str]:
    """Give the same review to every record of `record_ids` the reviewer may see, in one
    transaction (each a review in the change feed, as one by one); returns their ids."""
    ids = list(dict.fromkeys(r for r in record_ids if isinstance(r, str) and r))
    if not ids:
        raise ApiError("request.invalid", "choose at least one record",
                       details={"fields": {"record_ids": ["empty"]}})
    if len(ids) > MAX_BULK:
        raise ApiError("request.invalid", f"at most {MAX_BULK} records at once",
                       details={"fields": {"record_ids": [f"at most {MAX_BULK}"]}})
    state, comment = check_review(state, comment)
    query = select(Record.record_id).where(Record.record_id.in_(ids))
    if visible is not None:
        query = query.where(Record.record_id.in_(visible))
    allowed = set(db.session.execute(query).scalars())
    chosen = [r for r in ids if r in allowed]
    session = db.session
    session.rollback()
    seq = SequenceLock(session)
    try:
        for record_id in chosen:
            session.add(Review(record_id=record_id, state=state, comment=comment,
                               reviewer=reviewer, server_seq=seq.next()))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return chosen


def parse_answer_filters(columns: Sequence[QuestionColumn], args: Mapping[str, str]
                         ) -> list[tuple[str, str, Any]]:
    """The question filters of a request: `f.<path>` (a choice, or text contained),
    `min.<path>` and `max.<path>` (numbers); others are ignored."""
    out: list[tuple[str, str, Any]] = []
    for column in columns:
        node = column.node
        value = (args.get(f"f.{column.path}") or "").strip()[:200]
        if value:
            if node.type in MULTI_TYPES:
                out.append((column.path, "has", value))
            elif node.list_name:
                out.append((column.path, "eq", value))
            elif not column.numeric:
                out.append((column.path, "contains", value))
        if column.numeric:
            for kind in ("min", "max"):
                raw = (args.get(f"{kind}.{column.path}") or "").strip()
                try:
                    number = float(raw)
                except ValueError:
                    continue
                if number == number and abs(number) < 1e15:
                    out.append((column.path, kind, number))
    return out

