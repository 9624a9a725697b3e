"""Applying one admitted op to the tables, through the protocol's per-field merge.

The rule itself is `sync.merge.merge_field`; this module only feeds it the rows of one
field (its heads, and whether a stored op already names the incoming op as a parent)
and writes the outcome back. Callers hold the sequence lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from server.models import Conflict, FieldParent, FieldVersion, Record
from server.models import Op as OpRow
from server.models.types import utcnow
from sync.fields import DELETED, unflatten
from sync.merge import Conflict as MergeConflict
from sync.merge import Version, merge_field
from sync.ops import Op


class PendingRows:
    """Rows of the append-only tables (ops, field versions, parents) of a batch, written
    with one multi-row INSERT per table instead of one ORM object per row."""

    def __init__(self) -> None:
        self.ops: list[dict[str, Any]] = []
        self.versions: list[dict[str, Any]] = []
        self.parents: list[dict[str, Any]] = []

    def write(self, session: Session) -> None:
        for model, rows in ((OpRow, self.ops), (FieldVersion, self.versions),
                            (FieldParent, self.parents)):
            if rows:
                session.execute(insert(model), rows)
                rows.clear()


@dataclass(frozen=True)
class Applied:
    """What one op did: whether any field's heads changed, and its record's row."""

    changed: bool
    record: Record


def apply_op(session: Session, pending: PendingRows, op: Op, record: Record | None, seq: int,
             pushed_by: str) -> Applied:
    """Store `op` at sequence `seq` and merge each of its fields into the record.

    Rows go to `pending`; the caller writes them before it commits.
    """
    pending.ops.append(dict(
        op_id=op.op_id, server_seq=seq, device_id=op.device_id, pushed_by=pushed_by,
        record_id=op.record_id, form_id=op.form_id, form_version=op.form_version,
        hlc=op.hlc, kind=op.kind, payload=op.to_wire(), received_at=utcnow(),
    ))
    if record is None:
        # Nothing is stored under a record id before its first op, so a new record
        # needs no lookups: no heads, no parents naming this op, no conflicts.
        state = _FieldState({}, set(), {})
        record = Record(record_id=op.record_id, form_id=op.form_id,
                        form_version=op.form_version, latest_hlc=op.hlc,
                        latest_op_id=op.op_id, fields={}, answers={}, deleted=False,
                        created_seq=seq, server_seq=seq)
        session.add(record)
    else:
        # Earlier ops of this batch must be visible to the lookups.
        pending.write(session)
        session.flush()
        state = _load_state(session, op)
        if (op.hlc, op.op_id) > (record.latest_hlc, record.latest_op_id):
            # A record is shown in the form version of its latest op.
            record.latest_hlc, record.latest_op_id = op.hlc, op.op_id
            record.form_version = op.form_version

    values = dict(record.fields)
    deleted = record.deleted
    changed = False
    with session.no_autoflush:
        for path, value in op.fields.items():
            winner, field_changed = _merge_one(session, pending, op, path, value, seq, state)
            changed = changed or field_changed
            if winner is None:
                continue
            if path == DELETED:
                deleted = winner.value is True
            else:
                values[path] = winner.value
    if changed:
        record.fields = values
        record.answers = unflatten(values)
        record.deleted = deleted
        record.server_seq = seq
    return Applied(changed, record)


@dataclass(frozen=True)
class _FieldState:
    """What the merge of one op needs from the tables, loaded in three queries."""

    heads: dict[str, list[FieldVersion]]
    superseded: set[str]
    open_conflicts: dict[str, Conflict]


def _load_state(session: Session, op: Op) -> _FieldState:
    paths = list(op.fields)
    heads: dict[str, list[FieldVersion]] = {}
    for row in session.execute(
        select(FieldVersion).where(FieldVersion.record_id == op.record_id,
                                   FieldVersion.is_head.is_(True),
                                   FieldVersion.path.in_(paths))
    ).scalars():
        heads.setdefault(row.path, []).append(row)
    superseded = set(session.execute(
        select(FieldParent.path).where(FieldParent.record_id == op.record_id,
                                       FieldParent.parent_op_id == op.op_id)
    ).scalars())
    conflicts = {c.path: c for c in session.execute(
        select(Conflict).where(Conflict.record_id == op.record_id,
                               Conflict.resolved_at_seq.is_(None))
    ).scalars()}
    return _FieldState(heads, superseded, conflicts)


def _merge_one(session: Session, pending: PendingRows, op: Op, path: str, value: object,
               seq: int, state: _FieldState) -> tuple[Version | None, bool]:
    rows = state.heads.get(path, [])
    parents = op.parents[path]
    outcome = merge_field(
        [Version(r.op_id, r.hlc, r.device_id, r.value) for r in rows],
        Version(op.op_id, op.hlc, op.device_id, value),
        parents, path in state.superseded, record_id=op.record_id, path=path,
    )
    head_ids = {v.op_id for v in outcome.heads}
    for row in rows:
        if row.op_id not in head_ids:
            row.is_head = False
    pending.versions.append(dict(record_id=op.record_id, path=path, op_id=op.op_id,
                                 hlc=op.hlc, device_id=op.device_id, value=value,
                                 is_head=op.op_id in head_ids, parents=list(parents),
                                 server_seq=seq))
    pending.parents.extend(dict(record_id=op.record_id, path=path, parent_op_id=p,
                                child_op_id=op.op_id) for p in parents)
    if outcome.changed:
        _track_conflict(session, op.record_id, path, state.open_conflicts.get(path),
                        outcome.conflict, seq)
    return outcome.winner, outcome.changed


def _track_conflict(session: Session, record_id: str, path: str, open_row: Conflict | None,
                    conflict: MergeConflict | None, seq: int) -> None:
    """Keep exactly one open Conflict row per field whose heads disagree."""
    ids = list(conflict.head_ids) if conflict is not None else None
    if open_row is not None and open_row.head_op_ids == ids:
        return
    if open_row is not None:
        open_row.resolved_at_seq = seq
    if conflict is not None:
        session.add(Conflict(record_id=record_id, path=path, head_op_ids=ids,
                             versions=[v.to_wire() for v in conflict.versions],
                             opened_at_seq=seq))
