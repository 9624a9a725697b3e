"""Applying admitted ops to the tables, through the protocol's per-field merge.

The rule itself is `sync.merge.merge_field`; this module feeds it the rows of one
field (its heads, and whether a stored op already names the incoming op as a parent)
and writes the outcome back. A `Batch` loads what a whole push needs in a few queries
up front, keeps it current in memory while the ops apply, and writes the new rows with
one multi-row INSERT per table. Callers hold the sequence lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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

FieldKey = tuple[str, str]
#: A head is a stored row or a row of this batch not yet inserted (a dict).
Head = FieldVersion | dict[str, Any]

_CHUNK = 400  # ids per IN (...) list: well within both databases' parameter limits


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def _get(head: Head, name: str) -> Any:
    return head[name] if isinstance(head, dict) else getattr(head, name)


class Batch:
    """The field state of the records one push touches, and the rows it will insert."""

    def __init__(self, session: Session, records: dict[str, Record], op_ids: list[str]) -> None:
        self.session = session
        self.records = records
        self.heads: dict[FieldKey, dict[str, Head]] = {}
        self.children: set[tuple[str, str, str]] = set()  # (record, path, parent op id)
        self.conflicts: dict[FieldKey, Conflict] = {}
        self._ops: list[dict[str, Any]] = []
        self._versions: list[dict[str, Any]] = []
        self._parents: list[dict[str, Any]] = []
        existing = sorted(records)
        for chunk in _chunks(existing):
            for row in session.execute(select(FieldVersion).where(
                    FieldVersion.record_id.in_(chunk), FieldVersion.is_head.is_(True))).scalars():
                self.heads.setdefault((row.record_id, row.path), {})[row.op_id] = row
            for c in session.execute(select(Conflict).where(
                    Conflict.record_id.in_(chunk), Conflict.resolved_at_seq.is_(None))).scalars():
                self.conflicts[(c.record_id, c.path)] = c
        # Stored ops that already name an op of this batch as their parent: that op
        # arrives after its descendant and must not become a head again.
        for chunk in _chunks(op_ids):
            for rid, path, parent in session.execute(
                select(FieldParent.record_id, FieldParent.path, FieldParent.parent_op_id)
                .where(FieldParent.parent_op_id.in_(chunk))
            ):
                self.children.add((rid, path, parent))

    def write(self) -> None:
        """Insert the rows of the ops applied so far."""
        for model, rows in ((OpRow, self._ops), (FieldVersion, self._versions),
                            (FieldParent, self._parents)):
            if rows:
                self.session.execute(insert(model), rows)
                rows.clear()

    def apply(self, op: Op, seq: int, pushed_by: str) -> bool:
        """Store `op` at sequence `seq` and merge its fields; True if any heads changed."""
        self._ops.append(dict(
            op_id=op.op_id, server_seq=seq, device_id=op.device_id, pushed_by=pushed_by,
            record_id=op.record_id, form_id=op.form_id, form_version=op.form_version,
            hlc=op.hlc, kind=op.kind, payload=op.to_wire(), received_at=utcnow(),
        ))
        record = self.records.get(op.record_id)
        if record is None:
            record = Record(record_id=op.record_id, form_id=op.form_id,
                            form_version=op.form_version, latest_hlc=op.hlc,
                            latest_op_id=op.op_id, fields={}, answers={}, deleted=False,
                            created_seq=seq, server_seq=seq)
            self.session.add(record)
            self.records[op.record_id] = record
        elif (op.hlc, op.op_id) > (record.latest_hlc, record.latest_op_id):
            # A record is shown in the form version of its latest op.
            record.latest_hlc, record.latest_op_id = op.hlc, op.op_id
            record.form_version = op.form_version

        values = dict(record.fields)
        deleted = record.deleted
        changed = False
        for path, value in op.fields.items():
            winner, field_changed = self._merge_one(op, path, value, seq)
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
        return changed

    def _merge_one(self, op: Op, path: str, value: object,
                   seq: int) -> tuple[Version | None, bool]:
        key = (op.record_id, path)
        heads = self.heads.setdefault(key, {})
        parents = op.parents[path]
        outcome = merge_field(
            [Version(_get(h, "op_id"), _get(h, "hlc"), _get(h, "device_id"), _get(h, "value"))
             for h in heads.values()],
            Version(op.op_id, op.hlc, op.device_id, value),
            parents, (op.record_id, path, op.op_id) in self.children,
            record_id=op.record_id, path=path,
        )
        new_ids = {v.op_id for v in outcome.heads}
        for op_id in [i for i in heads if i not in new_ids]:
            dropped = heads.pop(op_id)
            if isinstance(dropped, dict):
                dropped["is_head"] = False
            else:
                dropped.is_head = False
        row = dict(record_id=op.record_id, path=path, op_id=op.op_id, hlc=op.hlc,
                   device_id=op.device_id, value=value, is_head=op.op_id in new_ids,
                   parents=list(parents), server_seq=seq)
        self._versions.append(row)
        if row["is_head"]:
            heads[op.op_id] = row
        for parent in parents:
            self._parents.append(dict(record_id=op.record_id, path=path, parent_op_id=parent,
                                      child_op_id=op.op_id))
            self.children.add((op.record_id, path, parent))
        if outcome.changed:
            self._track_conflict(key, outcome.conflict, seq)
        return outcome.winner, outcome.changed

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

    def open_conflicts(self, fields: Iterable[FieldKey]) -> int:
        """How many of `fields` have an open conflict after this batch."""
        return sum(1 for key in set(fields) if key in self.conflicts)
