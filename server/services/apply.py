"""Applying admitted ops to the tables, through the protocol's per-field merge.

The rule itself is `sync.merge.merge_field`; this module feeds it the heads of one
field (and whether a stored op already names the incoming op as a parent) and keeps
the outcome. A `Batch` loads what a whole push needs in a few set-based queries up
front (records, the heads of their fields, open conflicts, stored ops naming an op of
the batch as parent), merges in memory while the ops apply, and writes everything at
the end with one executemany per table. The heads of a record's fields are one JSON
value in its row (`Record.heads`, format in `encode_heads`), so a new household of 50
answers is one row, not 50. A batch costs a handful of statements whatever its size,
and the work per field is a few dictionary operations: a field with no heads yet (a new
record's answers) skips the merge function entirely, since its outcome is always "the
incoming version is the only head".

Callers hold the sequence lock (`server.services.sequence.SequenceLock`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from server.models import Conflict, FieldParent, Record
from server.models import Op as OpRow
from server.models.types import utcnow
from server.services.id_lists import among
from server.services.rows import RowStream, bind_value, compact_json, copy_types, insert_rows
from sync.fields import DELETED, unflatten
from sync.merge import Conflict as MergeConflict
from sync.merge import Version, merge_field
from sync.ops import Op

FieldKey = tuple[str, str]
#: A head in memory: (op_id, hlc, device_id, value).
Head = tuple[str, str, str, Any]

FieldHeads = dict[str, dict[str, Head]]  # path -> op_id -> head

def encode_heads(heads: FieldHeads, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """The stored form of a record's heads:

        {"ops": [[op_id, hlc, device_id], ...],
         "won": [[path, ...], ...],                  # per op: fields it is the only head of
         "fields": {path: [[op index, value], ...]}} # fields with several heads

    Each op is listed once, however many fields it heads. A field's only head is its
    winner, so its value is the record's (`fields`, or `deleted` for `__deleted__`) and
    is not stored twice. When one op heads every field of the record (a household as
    its tablet created it) `won` is the string "all": the paths are the keys of the
    record's `fields` (`values`), so they are not listed again; "all+deleted" is the same
    with the `__deleted__` field as well (its value is the record's `deleted`), which is
    how tablets send new households (migration 0014; before it such heads were listed).
    """
    index: dict[str, int] = {}
    ops: list[list[str]] = []
    won: list[list[str]] = []
    fields: dict[str, list[list[Any]]] = {}
    last_id, last_won = None, won  # most paths in a row share their op: skip the lookup
    for path, versions in heads.items():
        if len(versions) == 1:
            (head,) = versions.values()
            if head[0] != last_id:
                last_id = head[0]
                i = index.get(last_id)
                if i is None:
                    i = index[last_id] = len(ops)
                    ops.append([last_id, head[1], head[2]])
                    won.append([])
                last_won = won[i]
            last_won.append(path)
            continue
        entry = []
        for op_id, hlc, device_id, value in versions.values():
            i = index.get(op_id)
            if i is None:
                i = index[op_id] = len(ops)
                ops.append([op_id, hlc, device_id])
                won.append([])
            entry.append([i, value])
        fields[path] = entry
    if values and len(ops) == 1 and not fields:
        paths = won[0]
        tomb = DELETED in heads  # never a key of `values`
        if len(paths) == len(values) + tomb and values.keys() <= heads.keys():
            return {"ops": ops, "won": _ALL_DELETED if tomb else _ALL, "fields": fields}
    return {"ops": ops, "won": won, "fields": fields}


_ALL = "all"
_ALL_DELETED = "all+deleted"


def decode_heads(stored: dict[str, Any] | None, values: dict[str, Any] | None = None,
                 deleted: bool | None = None) -> FieldHeads:
    """`encode_heads` reversed; `values` and `deleted` are the record's `fields` and
    `deleted` (the values of single heads; `values` is needed for the "all" form)."""
    if not stored:
        return {}
    ops = stored["ops"]
    heads: FieldHeads = {}
    values = values or {}
    won = stored.get("won", ())
    if won in (_ALL, _ALL_DELETED):
        if not values:
            raise ValueError(f"heads stored as {won!r} need the record's fields")
        won = [[*values, DELETED] if won == _ALL_DELETED else list(values)]
    for i, paths in enumerate(won):
        op_id, hlc, device_id = ops[i]
        for path in paths:
            value = deleted if path == DELETED else values.get(path)
            heads[path] = {op_id: (op_id, hlc, device_id, value)}
    for path, versions in stored["fields"].items():
        field_heads = heads[path] = {}
        for i, value in versions:
            op_id, hlc, device_id = ops[i]
            field_heads[op_id] = (op_id, hlc, device_id, value)
    return heads


@dataclass
class RecordState:
    """A record as the batch sees it; written back at the end if `dirty`."""

    record_id: str
    form_id: str
    form_version: str
    latest_hlc: str
    latest_op_id: str
    fields: dict[str, Any]
    deleted: bool
    created_seq: int
    server_seq: int
    heads: FieldHeads = field(default_factory=dict)
    new: bool = False
    dirty: bool = False
    #: The nested answers of the one op that created this record in this batch, when
    #: they are exactly its state (saves rebuilding them from the fields).
    answers: dict[str, Any] | None = None
    answers_text: str | None = None  # their JSON, already made for the op's payload
    #: (op_id, hlc, device_id, tombstone value or _NO_TOMB) while the op that created
    #: this record in this batch is the only head of every field: `heads` is then left
    #: empty (a dictionary per field was a tenth of a push) until another op needs it.
    sole: tuple[str, str, str, Any] | None = None

    def full_heads(self) -> FieldHeads:
        """`heads`, made from `sole` first if need be."""
        if self.sole is not None:
            op_id, hlc, device_id, tomb = self.sole
            self.heads = {path: {op_id: (op_id, hlc, device_id, value)}
                          for path, value in self.fields.items()}
            if tomb is not _NO_TOMB:
                self.heads[DELETED] = {op_id: (op_id, hlc, device_id, tomb)}
            self.sole = None
        return self.heads


_NO_TOMB = object()  # RecordState.sole: the creating op had no __deleted__ field


class Batch:
    """The field state of the records one push touches, and the rows it will write."""

    def __init__(self, session: Session, record_ids: Iterable[str]) -> None:
        """Loads the stored state of `record_ids` (those of every op of the push); the
        ops to apply then name themselves to `load_history`."""
        self.session = session
        self.records: dict[str, RecordState] = {}
        self.children: set[tuple[str, str, str]] = set()  # (record, path, parent op id)
        self._child_records: set[str] = set()  # records with entries in `children`
        self.conflicts: dict[FieldKey, Conflict] = {}
        self._ops: list[tuple[Any, ...]] = []  # columns of _OP_COLUMNS but received_at
        self._parents: list[tuple[str, str, str, str]] = []
        #: Inside `storing_new_records`: the records to write as soon as their op is
        #: applied, where to, and those written so far.
        self._at_once: set[str] = set()
        self._stream: RowStream | None = None
        self._written: list[str] = []
        #: Records this batch creates (new to the server).
        self.created: set[str] = set()
        self._load_records(sorted(set(record_ids)))

    def _load_records(self, record_ids: list[str]) -> None:
        rec = Record.__table__.c
        for ids in among(rec.record_id, record_ids):
            for r in self.session.execute(select(
                    rec.record_id, rec.form_id, rec.form_version, rec.latest_hlc,
                    rec.latest_op_id, rec.fields, rec.deleted, rec.created_seq,
                    rec.server_seq, rec.heads).where(ids)):
                self.records[r.record_id] = RecordState(
                    r.record_id, r.form_id, r.form_version, r.latest_hlc, r.latest_op_id,
                    dict(r.fields), r.deleted, r.created_seq, r.server_seq,
                    decode_heads(r.heads, r.fields, r.deleted))

    def load_history(self, ops: Iterable[tuple[str, str]]) -> None:
        """The open conflicts and stored parent rows the ops to apply (their (record id,
        op id)) may meet. Both belong to stored ops, so to records stored with them (none
        is ever deleted): a record new to the server has neither, and a batch of new
        households runs no statement here."""
        ops = [(rid, op_id) for rid, op_id in ops if rid in self.records]
        record_ids = sorted({rid for rid, _ in ops})
        op_ids = [op_id for _, op_id in ops]
        session = self.session
        for ids in among(Conflict.record_id, record_ids):
            for c in session.execute(select(Conflict).where(
                    ids, Conflict.resolved_at_seq.is_(None))).scalars():
                self.conflicts[(c.record_id, c.path)] = c
        # Stored ops that already name an op of this batch as their parent: that op
        # arrives after its descendant and must not become a head again.
        fp = FieldParent.__table__.c
        for ids in among(fp.parent_op_id, op_ids):
            for rid, path, parent in session.execute(
                    select(fp.record_id, fp.path, fp.parent_op_id).where(ids)):
                self.children.add((rid, path, parent))
                self._child_records.add(rid)

    @contextmanager
    def storing_new_records(self, record_ids: Iterable[str]) -> Iterator[None]:
        """While the block runs, a record that one op of the batch creates, and no other
        op of it touches, is written as soon as that op is applied (rows.RowStream): on
        PostgreSQL the database stores the new households while the batch's next ops
        are merged, instead of after them. `record_ids` are those of the ops to apply,
        one per op. No statement may run inside the block (the connection is in the
        COPY): whatever the ops need is loaded before it."""
        counts = Counter(record_ids)
        self._at_once = {rid for rid, n in counts.items()
                         if n == 1 and rid not in self.records}
        try:
            with RowStream(self.session.connection(), "records", _RECORD_COLUMNS) as stream:
                self._stream = stream
                yield
        finally:
            self._stream, self._at_once = None, set()

    # -- applying --------------------------------------------------------------------
    def apply(self, op: Op, seq: int, pushed_by: str) -> bool:
        """Store `op` at sequence `seq` and merge its fields; True if any heads changed."""
        rid, op_id = op.record_id, op.op_id
        payload, answers_text = _payload_json(op)
        self._ops.append((op_id, seq, op.device_id, pushed_by, rid, op.form_id,
                          op.form_version, op.hlc, op.kind, payload))
        record = self.records.get(rid)
        if record is None:
            record = RecordState(rid, op.form_id, op.form_version, op.hlc, op_id, {}, False,
                                 seq, seq, new=True, answers=op.answers,
                                 answers_text=answers_text)
            self.records[rid] = record
            self.created.add(rid)
        else:
            record.answers = record.answers_text = None
            if (op.hlc, op_id) > (record.latest_hlc, record.latest_op_id):
                # A record is shown in the form version of its latest op.
                record.latest_hlc, record.latest_op_id = op.hlc, op_id
                record.form_version = op.form_version
                record.dirty = True

        heads_by_path = record.full_heads()
        if (not heads_by_path and rid not in self._child_records
                and not any(op.parents.values())):
            # The record's first op, as in a push of new households: every field gets the
            # incoming version as its only head, with no merge to run.
            hlc, device_id = op.hlc, op.device_id
            if record.new and not record.fields:
                record.sole = (op_id, hlc, device_id, op.fields.get(DELETED, _NO_TOMB))
            else:
                record.heads = {path: {op_id: (op_id, hlc, device_id, value)}
                                for path, value in op.fields.items()}
            record.fields.update(op.fields)
            record.deleted = record.fields.pop(DELETED, False) is True
            record.server_seq = seq
            record.dirty = True
            if self._stream is not None and record.sole is not None and rid in self._at_once:
                self._stream.put(_new_record_row(record))  # final: no other op touches it
                record.new = record.dirty = False
                self._written.append(rid)
            return True
        children = self.children
        values = record.fields
        changed = False
        for path, value in op.fields.items():
            heads = heads_by_path.get(path)
            parents = op.parents[path]
            if not heads and (rid, path, op_id) not in children:
                # Nothing to merge with: the incoming version is the only head.
                self._add_parents(op, path, parents)
                heads_by_path[path] = {op_id: (op_id, op.hlc, op.device_id, value)}
                winner_value: Any = value
                changed = True
            else:
                record.answers = record.answers_text = None
                field_changed, winner = self._merge(op, path, value, parents, seq,
                                                    heads_by_path.setdefault(path, {}))
                changed = changed or field_changed
                if winner is None:
                    continue
                winner_value = winner.value
            if path == DELETED:
                record.deleted = winner_value is True
            else:
                values[path] = winner_value
        if changed:
            record.server_seq = seq
            record.dirty = True
        return changed

    def _add_parents(self, op: Op, path: str, parents: tuple[str, ...]) -> None:
        for parent in parents:
            self._parents.append((op.record_id, path, parent, op.op_id))
            self.children.add((op.record_id, path, parent))
            self._child_records.add(op.record_id)

    def _merge(self, op: Op, path: str, value: Any, parents: tuple[str, ...], seq: int,
               heads: dict[str, Head]) -> tuple[bool, Version | None]:
        """The general case: whether the heads changed, and the winning version."""
        key = (op.record_id, path)
        outcome = merge_field(
            [Version(*h) for h in heads.values()],
            Version(op.op_id, op.hlc, op.device_id, value),
            parents, (op.record_id, path, op.op_id) in self.children,
            record_id=op.record_id, path=path,
        )
        new_ids = {v.op_id for v in outcome.heads}
        for dropped in [i for i in heads if i not in new_ids]:
            del heads[dropped]
        self._add_parents(op, path, parents)
        if op.op_id in new_ids:
            heads[op.op_id] = (op.op_id, op.hlc, op.device_id, value)
        if outcome.changed:
            self._track_conflict(key, outcome.conflict, seq)
        return outcome.changed, outcome.winner

    def _track_conflict(self, key: FieldKey, conflict: MergeConflict | None, seq: int) -> None:
        """Keep exactly one open Conflict row per field whose heads disagree."""
        open_row = self.conflicts.get(key)
        ids = list(conflict.head_ids) if conflict is not None else None
        if open_row is not None and open_row.head_op_ids == ids:
            return
        if open_row is not None:
            open_row.resolved_at_seq = seq
            del self.conflicts[key]
        if conflict is not None:
            row = Conflict(record_id=key[0], path=key[1], head_op_ids=ids,
                           versions=[v.to_wire() for v in conflict.versions],
                           opened_at_seq=seq)
            self.session.add(row)
            self.conflicts[key] = row

    # -- writing ---------------------------------------------------------------------
    def write(self) -> list[str]:
        """Write the rows of the ops applied so far; returns the ids of the records
        whose merged state changed."""
        session = self.session
        conn = session.connection()
        if self._ops:
            # One moment for the whole batch, in the column type's own storage format.
            received = bind_value(conn, OpRow.__table__.c.received_at, utcnow())
            insert_rows(conn, "ops", _OP_COLUMNS, [(*row, received) for row in self._ops],
                        binary=_OP_TYPES)
            self._ops = []
        new_records: list[tuple[Any, ...]] = []
        changed_records: list[dict[str, Any]] = []
        for record in self.records.values():
            if not record.dirty:
                continue
            if record.new:
                new_records.append(_new_record_row(record))
                record.new = False
            else:
                answers = (record.answers if record.answers is not None
                           else unflatten(record.fields))
                changed_records.append(dict(
                    rid=record.record_id, form_version=record.form_version,
                    latest_hlc=record.latest_hlc, latest_op_id=record.latest_op_id,
                    fields=record.fields, answers=answers, deleted=record.deleted,
                    server_seq=record.server_seq,
                    heads=encode_heads(record.full_heads(), record.fields)))
            record.dirty = False
        if new_records:
            insert_rows(conn, "records", _RECORD_COLUMNS, new_records)
        if changed_records:
            table = Record.__table__
            session.execute(update(table).where(table.c.record_id == bindparam("rid")),
                            changed_records)
        if self._parents:
            insert_rows(conn, "field_parents",
                         ("record_id", "path", "parent_op_id", "child_op_id"), self._parents)
            self._parents = []
        written, self._written = self._written, []
        return written + [r[0] for r in new_records] + [r["rid"] for r in changed_records]


def _new_record_row(record: RecordState) -> tuple[Any, ...]:
    """The `records` row (_RECORD_COLUMNS) of a record this batch creates."""
    answers_text = (record.answers_text
                    if record.answers is not None and record.answers_text is not None
                    else compact_json(record.answers if record.answers is not None
                                      else unflatten(record.fields)))
    return (record.record_id, record.form_id, record.form_version, record.latest_hlc,
            record.latest_op_id, compact_json(record.fields), answers_text, record.deleted,
            record.created_seq, record.server_seq,
            _sole_heads_json(record) or compact_json(encode_heads(record.full_heads(),
                                                                  record.fields)))


def _sole_heads_json(record: RecordState) -> str | None:
    """`encode_heads` of a record whose every field is headed by the op that created it
    (`RecordState.sole`), made without the per-field heads; None when it does not apply."""
    if record.sole is None or not record.fields:
        return None
    op_id, hlc, device_id, tomb = record.sole
    won = _ALL if tomb is _NO_TOMB else _ALL_DELETED
    return compact_json({"ops": [[op_id, hlc, device_id]], "won": won, "fields": {}})


_OP_COLUMNS = ("op_id", "server_seq", "device_id", "pushed_by", "record_id", "form_id",
               "form_version", "hlc", "kind", "payload", "received_at")
#: The ops' columns for a binary COPY on PostgreSQL (rows.copy_types).
_OP_TYPES = copy_types(OpRow.__table__, _OP_COLUMNS)
_RECORD_COLUMNS = ("record_id", "form_id", "form_version", "latest_hlc", "latest_op_id",
                   "fields", "answers", "deleted", "created_seq", "server_seq", "heads")


def _payload_json(op: Op) -> tuple[str, str | None]:
    """The op's wire form as JSON and, when it came as nested answers, their JSON too
    (encoded once: it is also the new record's `answers` column)."""
    wire = op.to_wire(copy=False)
    nested = wire.pop("answers", None)
    if nested is None:
        return compact_json(wire), None
    answers_text = compact_json(nested)
    return compact_json(wire)[:-1] + ',"answers":' + answers_text + "}", answers_text


def current_heads(session: Session, record_id: str, paths: Iterable[str]) -> dict[str, list[str]]:
    """The op ids of the current heads of `paths` of a record (what a new edit of
    those paths has seen and must name as parents); paths without heads are left out."""
    row = session.execute(select(Record.heads, Record.fields)
                          .where(Record.record_id == record_id)).one_or_none()
    heads = decode_heads(row[0], row[1]) if row is not None else {}
    return {path: sorted(heads[path]) for path in paths if heads.get(path)}
