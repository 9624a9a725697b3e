"""Receiving a batch of ops from a device or hub: admission, merge, sequence numbers."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from server.extensions import db
from server.models import Conflict, Device
from server.models import Op as OpRow
from server.models.types import utcnow
from server.services.apply import Batch
from server.services.forms import KnownForms
from server.services.id_lists import CHUNK, among
from server.services.refusals import note_refusals
from server.services.scoping import assign_settlements, records_of_other_federations
from server.services.sequence import SequenceLock
from sync.admission import check_admission, check_reuse
from sync.codes import RECORD_FORBIDDEN, Rejection
from sync.ops import Op


@dataclass(frozen=True)
class PushResult:
    """`acked` holds applied and replayed op ids; `conflicts` counts the open conflicts
    among the fields this batch touched; `server_seq` is the counter after the batch."""

    acked: tuple[str, ...]
    rejected: tuple[Rejection, ...]
    server_seq: int
    conflicts: int
    #: HLCs of the ops applied by this batch (for the server's clock).
    applied_hlcs: tuple[str, ...] = ()
    #: Records whose merged state this batch changed (for follow-up work such as
    #: record linking; computed inside the batch's transaction).
    records: tuple[str, ...] = ()


_gc_lock = threading.Lock()
_gc_state = {"pausers": 0, "was_enabled": True}
#: Names of the threads inside a pause (diagnostics: which batch holds it).
_gc_holders: list[str] = []


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a batch is decoded and applied.

    A batch allocates hundreds of thousands of small containers that all stay alive
    until it ends; each automatic collection walks them again, which measured as half
    the time of a push. They hold no cycles (reference counting frees them), so the
    collector is paused while any batch of this process runs and then restored.
    """
    me = threading.current_thread().name
    with _gc_lock:
        if _gc_state["pausers"] == 0:
            _gc_state["was_enabled"] = gc.isenabled()
            gc.disable()
        _gc_state["pausers"] += 1
        _gc_holders.append(me)
    try:
        yield
    finally:
        with _gc_lock:
            _gc_state["pausers"] -= 1
            _gc_holders.remove(me)
            if _gc_state["pausers"] == 0 and _gc_state["was_enabled"]:
                gc.enable()


def push_ops(pushed_by: str, ops: Sequence[Op], *, now_ms: int, max_drift_ms: int,
             invalid: Sequence[Rejection] = (),
             before_commit: Callable[[PushResult], None] | None = None) -> PushResult:
    """Apply a batch in one transaction.

    Ops already stored are acked again and change nothing; an op that fails admission
    (clock too far ahead, unknown form version, a reused op id, a record of another
    form) is listed in `rejected` and the others still apply. `invalid` are the
    rejections of ops that failed validation at the wire; they are reported as well.
    This is the one way ops enter the server (push, bundle import, hub, web edits);
    `PushResult.records` lists the records whose state changed. For an enrolled
    device, the refusals are kept (and those of ops now accepted forgotten) in the
    same transaction: services/refusals.py. `before_commit(result)` runs inside the
    batch's transaction, under its write lock, just before the commit: a caller adds
    its own rows there (an XForm instance with its record's op), or raises to undo all.
    """
    with gc_paused():
        try:
            return _push_ops(pushed_by, ops, now_ms=now_ms, max_drift_ms=max_drift_ms,
                             invalid=invalid, before_commit=before_commit)
        except IntegrityError:
            # An op id stored before, sent again for a record the server does not have
            # (`_push_ops` looks up only the ops of stored records), breaks the ops'
            # primary key: the batch is run again looking every op up, and that op is
            # rejected as a reused id. Any other broken constraint is raised again.
            return _push_ops(pushed_by, ops, now_ms=now_ms, max_drift_ms=max_drift_ms,
                             invalid=invalid, before_commit=before_commit,
                             look_up_all=True)


def _push_ops(pushed_by: str, ops: Sequence[Op], *, now_ms: int, max_drift_ms: int,
              invalid: Sequence[Rejection],
              before_commit: Callable[[PushResult], None] | None,
              look_up_all: bool = False) -> PushResult:
    session = db.session
    seq = SequenceLock(session)
    known = KnownForms(session)
    acked: list[str] = []
    rejected: list[Rejection] = list(invalid)
    hlcs: list[str] = []
    # Ops by record, applied or replayed: only open conflicts of the fields they wrote
    # are counted, and looking those up per conflict is cheaper than listing every field.
    touched: dict[str, list[Op]] = {}
    replayed: dict[str, list[Op]] = {}
    try:
        # A few lookups for the whole batch instead of several per op.
        batch = Batch(session, (op.record_id for op in ops))
        # An op stored before is a replay. Its record was stored with it, and no record
        # is ever deleted: an op of a record the server does not have is new (or reuses
        # an op id: see push_ops), and a batch of new households looks no op up.
        stored = _stored_ops([op.op_id for op in ops
                              if look_up_all or op.record_id in batch.records])
        fresh = [op for op in ops if op.op_id not in stored]  # replays need no state
        batch.load_history((op.record_id, op.op_id) for op in fresh)
        # (Only a stored record can be in a settlement: `batch.records` holds those.)
        forbidden = records_of_other_federations(pushed_by, batch.records)
        for form in {(op.form_id, op.form_version) for op in fresh}:
            known(*form)  # asked now: no statement may run while new records stream
        base, used = seq.current, 0  # the ops' numbers: stored once after the loop
        with batch.storing_new_records(op.record_id for op in fresh):
            for op in ops:
                previous = stored.get(op.op_id)
                if previous is not None:
                    reuse = check_reuse(op, previous)
                    if reuse is None:
                        acked.append(op.op_id)
                        replayed.setdefault(op.record_id, []).append(op)
                    else:
                        rejected.append(reuse)
                    continue
                if op.record_id in forbidden:
                    rejected.append(Rejection(
                        op.op_id, RECORD_FORBIDDEN, f"record {op.record_id} belongs to a "
                        "settlement of another federation; this device may not change it",
                        False))
                    continue
                record = batch.records.get(op.record_id)
                rejection = check_admission(
                    op, now_ms=now_ms, form_known=known, max_drift_ms=max_drift_ms,
                    record_form_id=record.form_id if record is not None else None)
                if rejection is not None:
                    rejected.append(rejection)
                    continue
                used += 1
                batch.apply(op, base + used, pushed_by)
                stored[op.op_id] = op
                acked.append(op.op_id)
                hlcs.append(op.hlc)
                touched.setdefault(op.record_id, []).append(op)
        seq.advance(used)
        changed_records = batch.write()
        assign_settlements(changed_records, pushed_by,  # services/scoping.py
                           known={rid: (state.form_id, state.fields)
                                  for rid in changed_records
                                  if (state := batch.records.get(rid)) is not None},
                           created=batch.created)
        # One statement: the device's last sync, and whether it is an enrolled device.
        if session.execute(update(Device).where(Device.id == pushed_by)
                           .values(last_seen=utcnow())).rowcount:
            # What the leader sees on the devices page (services/refusals.py).
            note_refusals(session, pushed_by, rejected, acked)
        # Replayed ops count too, so a retried batch reports what the lost answer said.
        conflicts = sum(1 for rid, path in batch.conflicts
                        if any(path in op.fields for op in touched.get(rid, ())))
        conflicts += _open_conflicts({(rid, path) for rid, rops in replayed.items()
                                      for op in rops for path in op.fields
                                      if not any(path in o.fields for o in touched.get(rid, ()))})
        result = PushResult(tuple(acked), tuple(rejected), seq.current, conflicts, tuple(hlcs),
                            tuple(changed_records))
        if before_commit is not None:  # the caller's rows, in this transaction
            before_commit(result)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


def _stored_ops(op_ids: list[str]) -> dict[str, Op]:
    found: dict[str, Op] = {}
    for ids in among(OpRow.op_id, op_ids):
        for op_id, payload in db.session.execute(select(OpRow.op_id, OpRow.payload).where(ids)):
            found[op_id] = Op.from_wire(payload)
    return found


def _open_conflicts(fields: set[tuple[str, str]]) -> int:
    pairs = sorted(fields)
    count = 0
    for start in range(0, len(pairs), CHUNK):  # (record, path) pairs: IN lists on both
        count += db.session.execute(
            select(func.count()).select_from(Conflict).where(
                Conflict.resolved_at_seq.is_(None),
                tuple_(Conflict.record_id, Conflict.path).in_(pairs[start:start + CHUNK]))
        ).scalar_one()
    return count
