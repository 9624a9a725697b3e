"""An in-memory replica: the reference implementation of applying ops.

It keeps, per (record, path), the heads and the op ids named as parents, and applies
ops with `merge_field`: exactly what the device store (SQLite) and the server
(SQLAlchemy) do with tables. The property tests use it to show that replicas which
received the same ops agree, whatever the order, duplication or partitions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sync.admission import DEFAULT_MAX_DRIFT_MS, FormKnown, check_admission, check_reuse
from sync.canonical import canonical_json
from sync.codes import RECORD_FORM_MISMATCH, Rejection
from sync.fields import DELETED, field_changes, unflatten
from sync.hlc import HybridClock
from sync.merge import Conflict, FieldOutcome, Version, conflict_of, merge_field, winner_of
from sync.ops import DELETE, EDIT, RESOLVE, Op, make_op

APPLIED = "applied"
DUPLICATE = "duplicate"
REJECTED = "rejected"

FieldKey = tuple[str, str]


@dataclass(frozen=True)
class ApplyResult:
    """What applying one op did: per-field outcomes, or why nothing happened."""

    op_id: str
    status: str
    outcomes: Mapping[str, FieldOutcome] = field(default_factory=dict)
    rejection: Rejection | None = None

    @property
    def conflicts(self) -> tuple[Conflict, ...]:
        return tuple(o.conflict for o in self.outcomes.values() if o.conflict is not None)


@dataclass(frozen=True)
class PushOutcome:
    """What a receiver answers to a batch: acked ids (applied or replayed) and rejections."""

    acked: tuple[str, ...]
    rejected: tuple[Rejection, ...]
    conflicts: int


class Replica:
    """One node's copy of the records. `clock` is needed only to write local ops."""

    def __init__(self, device_id: str, clock: HybridClock | None = None) -> None:
        self.device_id = device_id
        self.clock = clock
        self._ops: dict[str, Op] = {}
        self._heads: dict[FieldKey, dict[str, Version]] = {}
        self._children: dict[FieldKey, set[str]] = {}
        self._record_form: dict[str, str] = {}
        # record -> (hlc, op_id, form_version) of its latest op: the version to show it in.
        self._record_latest: dict[str, tuple[str, str, str]] = {}
        self._paths: dict[str, set[str]] = {}

    # -- receiving ----------------------------------------------------------------------
    def apply(self, op: Op) -> ApplyResult:
        """Apply an op from anywhere (local, push, pull, bundle). Idempotent."""
        stored = self._ops.get(op.op_id)
        if stored is not None:
            reuse = check_reuse(op, stored)
            if reuse is not None:
                return ApplyResult(op.op_id, REJECTED, rejection=reuse)
            return ApplyResult(op.op_id, DUPLICATE)
        form_id = self._record_form.get(op.record_id)
        if form_id is not None and form_id != op.form_id:
            return ApplyResult(op.op_id, REJECTED, rejection=Rejection.of(
                op.op_id, RECORD_FORM_MISMATCH,
                f"record {op.record_id} belongs to form {form_id!r}, not {op.form_id!r}"))

        self._ops[op.op_id] = op
        self._record_form[op.record_id] = op.form_id
        latest = (op.hlc, op.op_id, op.form_version)
        if latest > self._record_latest.get(op.record_id, ("", "", "")):
            self._record_latest[op.record_id] = latest
        if self.clock is not None and op.device_id != self.device_id:
            self.clock.receive(op.hlc)

        outcomes: dict[str, FieldOutcome] = {}
        for path, value in op.fields.items():
            key = (op.record_id, path)
            heads = self._heads.get(key, {})
            children = self._children.setdefault(key, set())
            outcome = merge_field(
                list(heads.values()),
                Version(op.op_id, op.hlc, op.device_id, value),
                op.parents[path],
                superseded=op.op_id in children,
                record_id=op.record_id,
                path=path,
            )
            children.update(op.parents[path])
            self._heads[key] = {v.op_id: v for v in outcome.heads}
            self._paths.setdefault(op.record_id, set()).add(path)
            outcomes[path] = outcome
        return ApplyResult(op.op_id, APPLIED, outcomes)

    def apply_all(self, ops: Iterable[Op]) -> list[ApplyResult]:
        return [self.apply(op) for op in ops]

    def push(
        self,
        ops: Iterable[Op],
        *,
        now_ms: int,
        form_known: FormKnown,
        max_drift_ms: int = DEFAULT_MAX_DRIFT_MS,
    ) -> PushOutcome:
        """Receive a batch the way a server or hub does: admission checks, then apply."""
        acked: list[str] = []
        rejected: list[Rejection] = []
        touched: set[FieldKey] = set()
        for op in ops:
            rejection = check_admission(
                op, now_ms=now_ms, form_known=form_known, max_drift_ms=max_drift_ms,
                record_form_id=self._record_form.get(op.record_id))
            result = self.apply(op) if rejection is None else None
            if result is not None and result.rejection is not None:
                rejection = result.rejection
            if rejection is not None:
                rejected.append(rejection)
                continue
            acked.append(op.op_id)
            touched.update((op.record_id, p) for p in op.fields)
        open_conflicts = sum(1 for rid, p in touched if self.conflict(rid, p) is not None)
        return PushOutcome(tuple(acked), tuple(rejected), open_conflicts)

    # -- writing locally ----------------------------------------------------------------
    def _local(self, kind: str, record_id: str, fields: Mapping[str, Any],
               heads: Mapping[str, Iterable[str]], form_id: str | None,
               form_version: str | None, meta: Mapping[str, Any] | None) -> Op:
        if self.clock is None:
            raise RuntimeError("this replica has no clock, so it cannot write ops")
        known_form = self._record_form.get(record_id)
        latest = self._record_latest.get(record_id)
        form_id = form_id or known_form
        form_version = form_version or (latest[2] if latest else None)
        if form_id is None or form_version is None:
            raise ValueError(f"record {record_id} is new: give its form_id and form_version")
        op = make_op(kind, clock=self.clock, device_id=self.device_id, record_id=record_id,
                     form_id=form_id, form_version=form_version, fields=fields,
                     heads={p: tuple(ids) for p, ids in heads.items()}, meta=meta)
        result = self.apply(op)
        if result.rejection is not None:
            raise ValueError(result.rejection.message)
        return op

    def edit(self, record_id: str, fields: Mapping[str, Any], *, form_id: str | None = None,
             form_version: str | None = None, meta: Mapping[str, Any] | None = None) -> Op:
        """Write fields as this device, with the local heads as parents."""
        paths = [*fields, DELETED]
        heads = {p: self.head_ids(record_id, p) for p in paths}
        return self._local(EDIT, record_id, fields, heads, form_id, form_version, meta)

    def save_answers(self, record_id: str, answers: Mapping[str, Any], *,
                     form_id: str | None = None, form_version: str | None = None,
                     meta: Mapping[str, Any] | None = None) -> Op | None:
        """Edit so that the record shows `answers`; None when nothing changed."""
        changes = field_changes(self.fields(record_id), answers)
        if not changes and record_id in self._record_form:
            return None
        return self.edit(record_id, changes, form_id=form_id, form_version=form_version,
                         meta=meta)

    def delete(self, record_id: str, meta: Mapping[str, Any] | None = None) -> Op:
        heads = {DELETED: self.head_ids(record_id, DELETED)}
        return self._local(DELETE, record_id, {}, heads, None, None, meta)

    def resolve(self, conflict: Conflict, value: Any,
                meta: Mapping[str, Any] | None = None) -> Op:
        """Settle a conflict with `value`; parents are exactly the heads the leader saw."""
        heads = {conflict.path: conflict.head_ids}
        return self._local(RESOLVE, conflict.record_id, {conflict.path: value}, heads,
                           None, None, meta)

    # -- reading ------------------------------------------------------------------------
    def ops(self) -> list[Op]:
        """Every op received, in (hlc, op_id) order."""
        return sorted(self._ops.values(), key=lambda o: (o.hlc, o.op_id))

    def has_op(self, op_id: str) -> bool:
        return op_id in self._ops

    def record_ids(self) -> list[str]:
        return sorted(self._record_form)

    def form_of(self, record_id: str) -> tuple[str, str]:
        """(form_id, form_version of the record's latest op)."""
        return self._record_form[record_id], self._record_latest[record_id][2]

    def heads(self, record_id: str, path: str) -> tuple[Version, ...]:
        heads = self._heads.get((record_id, path), {})
        return tuple(sorted(heads.values(), key=lambda v: v.order, reverse=True))

    def head_ids(self, record_id: str, path: str) -> tuple[str, ...]:
        return tuple(sorted(self._heads.get((record_id, path), {})))

    def value(self, record_id: str, path: str) -> Any:
        winner = winner_of(self.heads(record_id, path))
        return None if winner is None else winner.value

    def fields(self, record_id: str) -> dict[str, Any]:
        """Current (interim) value of every answer field of the record."""
        return {p: self.value(record_id, p)
                for p in sorted(self._paths.get(record_id, ())) if p != DELETED}

    def is_deleted(self, record_id: str) -> bool:
        return self.value(record_id, DELETED) is True

    def record(self, record_id: str) -> dict[str, Any] | None:
        """The record's answers as the form shows them; None if unknown or deleted."""
        if record_id not in self._record_form or self.is_deleted(record_id):
            return None
        return unflatten(self.fields(record_id))

    def conflict(self, record_id: str, path: str) -> Conflict | None:
        return conflict_of(record_id, path, self.heads(record_id, path))

    def conflicts(self, record_id: str | None = None) -> list[Conflict]:
        """Open conflicts (of one record, or all), in a stable order."""
        found = []
        for rid in [record_id] if record_id else self.record_ids():
            for path in sorted(self._paths.get(rid, ())):
                c = self.conflict(rid, path)
                if c is not None:
                    found.append(c)
        return found

    def snapshot(self) -> dict[str, Any]:
        """Everything that must be equal on two replicas holding the same ops."""
        return {
            "records": {
                rid: {
                    "deleted": self.is_deleted(rid),
                    "form": self.form_of(rid),
                    "answers": canonical_json(self.record(rid)),
                    "heads": {p: self.head_ids(rid, p) for p in sorted(self._paths[rid])},
                }
                for rid in self.record_ids()
            },
            "conflicts": [c.key for c in self.conflicts()],
        }


def replica_from(ops: Iterable[Op], device_id: str = "reference",
                 clock_factory: Callable[[], HybridClock] | None = None) -> Replica:
    """A replica holding exactly `ops` (convenience for tests and tools)."""
    replica = Replica(device_id, clock_factory() if clock_factory else None)
    replica.apply_all(ops)
    return replica
