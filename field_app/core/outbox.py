"""The outbox: ops waiting for the server, in the order they were made.

States of a row (`ready`): 0 held (its record is still a draft), 1 ready to push,
2 parked (the server refused it and retrying alone cannot help; kept so nothing is
lost and a person can see why, and sent again with `send_again` once the cause is
fixed). `sent_at` is set only when the server acked the op. `attempts` counts
pushes that carried it: an op that was ever sent may be on the server even without
an ack, so it is never rewritten after that.

The op's canonical JSON text lives in `outbox_ops` (same `seq`), apart from these small
state rows: marking a batch attempted or acked then rewrites ~100-byte rows, not the
~1.5 KB text of every household (device migration 0003). A trigger deletes the text
with its outbox row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sync.codes import CODES
from sync.messages import QueuedOp, encode_op
from sync.ops import Op, wire_fields

if TYPE_CHECKING:
    from field_app.core.store import Store

HELD, READY, PARKED = 0, 1, 2


@dataclass(frozen=True)
class OutboxCounts:
    """How many ops are waiting, held as drafts, or parked after a refusal."""

    ready: int
    held: int
    parked: int


def append(store: Store, op: Op, ready: bool) -> None:
    """Queue an op as its wire text (`sync.messages.encode_op`, pushed as it is); call
    inside the transaction that saved the edit."""
    text = encode_op(op)
    with store.transaction() as db:
        seq = db.execute(
            "INSERT INTO outbox (op_id, record_id, ready, created_at) VALUES (?, ?, ?, ?)",
            [op.op_id, op.record_id, READY if ready else HELD, store.now()],
        ).lastrowid
        db.execute("INSERT INTO outbox_ops (seq, op) VALUES (?, ?)", [seq, store.seal(text)])


def pending_queued(store: Store) -> list[QueuedOp]:
    """Ready ops not yet acked, oldest first, as stored text."""
    return pending_page(store, 0, -1)[0]  # (SQLite: a negative LIMIT is none)


def pending_page(store: Store, after_seq: int, limit: int) -> tuple[list[QueuedOp], int]:
    """Up to `limit` ready ops not yet acked that were queued after `after_seq` (an
    outbox position; 0 for the start), oldest first, as stored text; and the position of
    the last one (`after_seq` if there is none), to read the next page from. A negative
    `limit` reads them all."""
    rows = store.query(
        "SELECT o.seq, o.op_id, t.op FROM outbox o JOIN outbox_ops t ON t.seq = o.seq "
        "WHERE o.seq > ? AND o.sent_at IS NULL AND o.ready = 1 ORDER BY o.seq LIMIT ?",
        [after_seq, limit])
    ops = [QueuedOp(r["op_id"], store.unseal(r["op"])) for r in rows]
    return ops, rows[-1]["seq"] if rows else after_seq


def pending(store: Store, limit: int = 100_000) -> list[dict[str, Any]]:
    """Ready ops not yet acked, oldest first, with their `fields` flat even if they are
    stored (and travel) as nested answers."""
    rows = store.query(
        "SELECT t.op FROM outbox o JOIN outbox_ops t ON t.seq = o.seq "
        "WHERE o.sent_at IS NULL AND o.ready = 1 ORDER BY o.seq LIMIT ?",
        [limit])
    return [_flat(store.load_json(r["op"])) for r in rows]


def _flat(op: dict[str, Any]) -> dict[str, Any]:
    if "answers" in op:
        op["fields"] = wire_fields(op)
        del op["answers"]
    return op


def counts(store: Store) -> OutboxCounts:
    rows = store.query(
        "SELECT ready, count(*) AS n FROM outbox WHERE sent_at IS NULL GROUP BY ready")
    by = {r["ready"]: r["n"] for r in rows}
    return OutboxCounts(by.get(READY, 0), by.get(HELD, 0), by.get(PARKED, 0))


def _chunks(ids: list[str], size: int = 500) -> Iterable[list[str]]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def mark_attempted(store: Store, op_ids: list[str]) -> None:
    """Record that these ops are about to be sent (committed before the request)."""
    with store.transaction() as db:
        for part in _chunks(op_ids):
            db.execute(f"UPDATE outbox SET attempts = attempts + 1 "
                       f"WHERE op_id IN ({','.join('?' * len(part))})", part)


def mark_acked(store: Store, op_ids: list[str]) -> None:
    """The server has these ops: they leave the queue (kept as sent for the record)."""
    now = store.now()
    with store.transaction() as db:
        for part in _chunks(op_ids):
            db.execute(f"UPDATE outbox SET sent_at = ?, last_error = NULL "
                       f"WHERE sent_at IS NULL AND op_id IN ({','.join('?' * len(part))})",
                       [now, *part])


def _retryable(item: dict[str, Any]) -> bool:
    """A refusal is "not now" if the server says so, or if the protocol's registry
    says its code is (a server from before a code became retryable still says no)."""
    info = CODES.get(str(item.get("code")))
    return bool(item.get("retryable")) or (info is not None and info.retryable)


def mark_rejected(store: Store, rejected: list[dict[str, Any]]) -> None:
    """Keep refused ops with the server's reason; park those that retrying cannot fix."""
    with store.transaction() as db:
        for item in rejected:
            error = json.dumps({"code": item.get("code"), "message": item.get("message")},
                               ensure_ascii=False)
            state = READY if _retryable(item) else PARKED
            db.execute("UPDATE outbox SET last_error = ?, ready = ? "
                       "WHERE op_id = ? AND sent_at IS NULL",
                       [error, state, item["op_id"]])


def errors(store: Store) -> list[dict[str, Any]]:
    """Unacked ops that carry a refusal reason (parked, or waiting to be sent again),
    for the sync screen and `hesabu device status`."""
    rows = store.query("SELECT op_id, record_id, ready, last_error FROM outbox "
                       "WHERE sent_at IS NULL AND last_error IS NOT NULL ORDER BY seq")
    return [{**r, "last_error": json.loads(r["last_error"])} for r in rows]


def send_again(store: Store) -> int:
    """Put every parked op back in the queue (once the cause of its refusal is fixed);
    the next sync or bundle sends it. Its last reason stays until the server accepts
    it or refuses it again. Returns how many ops were parked."""
    with store.transaction() as db:
        return db.execute("UPDATE outbox SET ready = ? WHERE ready = ? AND sent_at IS NULL",
                          [READY, PARKED]).rowcount


def only_local(store: Store, record_id: str) -> bool:
    """True if no op of this record ever left the device and none came from elsewhere."""
    sent = store.db.execute(
        "SELECT count(*) FROM outbox WHERE record_id = ? AND (attempts > 0 OR sent_at "
        "IS NOT NULL)", [record_id]).fetchone()[0]
    if sent:
        return False
    local_ids = {r[0] for r in store.db.execute(
        "SELECT op_id FROM outbox WHERE record_id = ?", [record_id])}
    for (first_op,) in store.db.execute(  # its fields' only head (records.first_op)
            "SELECT first_op FROM records WHERE record_id = ? AND first_op IS NOT NULL",
            [record_id]):
        if json.loads(first_op)[0] not in local_ids:
            return False
    for (heads,) in store.db.execute("SELECT heads FROM fields WHERE record_id = ?",
                                     [record_id]):
        if any(h["op_id"] not in local_ids for h in store.load_json(heads)):
            return False
    return True


def compact_record(store: Store, record_id: str) -> None:
    """Fold a record's never-sent ops into one (inside the caller's transaction).

    A draft saved screen by screen makes many small ops; nobody outside this device
    has seen them, so they can become one op: fields take their last value, parents
    are the union minus the folded ops, the survivor keeps the last op's id and HLC.
    This is what keeps a household at one op (and ~150 bytes) on the wire.
    """
    db = store.db
    rows = list(db.query(
        "SELECT o.seq, o.op_id, t.op FROM outbox o JOIN outbox_ops t ON t.seq = o.seq "
        "WHERE o.record_id = ? AND o.sent_at IS NULL AND o.attempts = 0 AND o.ready != ? "
        "ORDER BY o.seq", [record_id, PARKED]))
    ops = [store.load_json(r["op"]) for r in rows]
    if len(ops) < 2 or any(op["kind"] != "edit" for op in ops):
        return
    folded = {op["op_id"] for op in ops}
    last = ops[-1]
    fields: dict[str, Any] = {}
    parents: dict[str, set[str]] = {}
    meta: dict[str, Any] = {}
    for op in ops:
        fields.update(wire_fields(op))
        for key, value in (op.get("meta") or {}).items():
            if isinstance(value, dict) and isinstance(meta.get(key), dict):
                meta[key] = {**meta[key], **value}  # e.g. attachments of every screen
            else:
                meta[key] = value
        for path, ids in (op.get("parents") or {}).items():
            parents.setdefault(path, set()).update(ids)
    merged = {
        **{k: v for k, v in last.items() if k != "answers"},
        "fields": fields,
        "parents": {p: sorted(parents.get(p, set()) - folded) for p in fields},
        "meta": meta,
    }
    # The folded rows' text goes with them (trigger outbox_ops_follow).
    db.execute(f"DELETE FROM outbox WHERE seq IN ({','.join('?' * (len(rows) - 1))})",
               [r["seq"] for r in rows[:-1]])
    survivor = encode_op(Op.from_wire(merged))
    db.execute("UPDATE outbox_ops SET op = ? WHERE seq = ?",
               [store.seal(survivor), rows[-1]["seq"]])
    # Heads that pointed at a folded op now point at the survivor.
    for path, heads_json in db.execute("SELECT path, heads FROM fields WHERE record_id = ?",
                                       [record_id]).fetchall():
        heads = store.load_json(heads_json)
        changed = False
        for head in heads:
            if head["op_id"] in folded and head["op_id"] != last["op_id"]:
                head["op_id"], head["hlc"] = last["op_id"], last["hlc"]
                changed = True
        if changed:
            db.execute("UPDATE fields SET heads = ? WHERE record_id = ? AND path = ?",
                       [store.seal_json(heads), record_id, path])
