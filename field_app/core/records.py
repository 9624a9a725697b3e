"""Editing records on the device: every change is saved together with its outbox op.

A record is a set of fields keyed by path (`sync.fields.flatten`). A save is one
transaction that builds the op (`sync.ops.make_op`), applies it to the field rows
through the same merge as a pulled op (`apply_op`), refreshes the record's current
answers and appends the op to the outbox. So the store never holds an edit without
its op, nor an op without its edit, whatever happens to the process or the disk.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from field_app.core import outbox
from field_app.core.errors import UnknownRecordError
from sync.canonical import canonical_json, same_value
from sync.fields import DELETED, field_changes, flatten, unflatten
from sync.ids import new_uuid7
from sync.merge import Version, merge_field
from sync.ops import DELETE, EDIT, Op, make_op

if TYPE_CHECKING:
    from field_app.core.store import Store


def _record_row(store: Store, record_id: str) -> dict[str, Any]:
    rows = list(store.db.query("SELECT * FROM records WHERE record_id = ?", [record_id]))
    if not rows:
        raise UnknownRecordError(f"no record {record_id} on this device")
    return rows[0]


def _field_rows(store: Store, record_id: str, paths: list[str] | None = None) -> dict[str, dict]:
    """The record's field rows by path, `value` and `heads` unsealed (JSON text)."""
    write_first_op_fields(store, record_id)
    if paths is None:
        rows = store.db.query("SELECT * FROM fields WHERE record_id = ?", [record_id])
    elif not paths:
        return {}
    else:
        rows = store.db.query(
            f"SELECT * FROM fields WHERE record_id = ? AND path IN ({','.join('?' * len(paths))})",
            [record_id, *paths])
    return {r["path"]: {**r, "value": store.unseal(r["value"]), "heads": store.unseal(r["heads"])}
            for r in rows}


def create_record(
    store: Store,
    form_id: str,
    form_version: str,
    answers: Mapping[str, Any] | None = None,
    *,
    record_id: str | None = None,
    settlement_id: str | None = None,
    structure_id: str | None = None,
    finalized: bool = False,
) -> str:
    """Start a record (a draft unless `finalized`) with its first answers as one op."""
    record_id = record_id or new_uuid7()
    links = {k: v for k, v in (("settlement_id", settlement_id),
                               ("structure_id", structure_id)) if v}
    with store.transaction():
        _insert_record(store, record_id, form_id, str(form_version),
                       "finalized" if finalized else "draft", links)
        _write_local(store, record_id, EDIT, flatten(answers or {}),
                     meta={"links": links} if links else None, force=True)
    return record_id


def _insert_record(store: Store, record_id: str, form_id: str, form_version: str,
                   status: str, links: Mapping[str, str], made_at: str | None = None) -> None:
    """`made_at`: when its author made it (a pulled record's op time); default now."""
    now = store.now()
    made_at = made_at or now
    store.db.execute(
        "INSERT INTO records (record_id, form_id, form_version, status, answers, created_at, "
        "updated_at, settlement_id, structure_id, made_at, changed_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (record_id) DO NOTHING",
        [record_id, form_id, form_version, status, store.seal("{}"), now, now,
         links.get("settlement_id"),
         links.get("structure_id"), made_at, made_at],
    )


def hlc_time(hlc: str) -> str:
    """The wall time an op was written (its HLC's milliseconds) as ISO text, UTC."""
    try:
        when = datetime.fromtimestamp(int(hlc[:13]) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        when = datetime.now(UTC)
    return when.isoformat(
        timespec="milliseconds").replace("+00:00", "Z")


def save_answers(store: Store, record_id: str, changes: Mapping[str, Any],
                 meta: Mapping[str, Any] | None = None) -> str | None:
    """Save answers by field path as one op; returns its op_id (None if nothing changed)."""
    with store.transaction():
        return _write_local(store, record_id, EDIT, dict(changes), meta=meta or None)


def save_answer(store: Store, record_id: str, path: str, value: Any) -> str | None:
    """Save one answer (by field path) as one op; its op_id, or None if unchanged."""
    return save_answers(store, record_id, {path: value})


def update_answers(store: Store, record_id: str, answers: Mapping[str, Any],
                   meta: Mapping[str, Any] | None = None,
                   settle: Callable[[str], bool] | None = None) -> str | None:
    """Save a whole answers dict (as a form screen holds it); only changed fields travel.

    `meta` travels with the op (e.g. `{"attachments": {name: {sha256, size, type}}}`).
    Conflicted fields for which `settle(path)` is true are written with their value in
    `answers` even if unchanged, which settles the conflict (used for calculations,
    whose right value after a merge is simply the recomputed one).
    """
    with store.transaction():
        rows = _field_rows(store, record_id)
        current = {p: json.loads(r["value"]) for p, r in rows.items() if p != DELETED}
        changes = field_changes(current, answers)
        if settle is not None:
            wanted = flatten(answers)
            for path, row in rows.items():
                if row["conflict"] and path in wanted and path not in changes and settle(path):
                    changes[path] = wanted[path]
        return _write_local(store, record_id, EDIT, changes, meta=meta or None)


def _write_local(store: Store, record_id: str, kind: str, changes: dict[str, Any],
                 meta: Mapping[str, Any] | None = None, force: bool = False) -> str | None:
    record = _record_row(store, record_id)
    existing = _field_rows(store, record_id, [*changes, DELETED])
    if kind == EDIT and not force:
        # Unchanged answers make no op, so re-saving a screen costs nothing on the wire;
        # a conflicted field is always written, because writing it settles the conflict.
        changes = {p: v for p, v in changes.items()
                   if p not in existing or existing[p]["conflict"]
                   or not same_value(json.loads(existing[p]["value"]), v)}
        if not changes and not meta:
            return None
    heads = {p: [h["op_id"] for h in json.loads(r["heads"])] for p, r in existing.items()}
    op = make_op(kind, clock=store.clock, device_id=store.device_id, record_id=record_id,
                 form_id=record["form_id"], form_version=record["form_version"],
                 fields=changes, heads=heads, meta=meta)
    store.persist_clock()
    apply_op(store, op, known=True)
    ready = record["status"] == "finalized" or store.push_drafts(record["form_id"])
    outbox.append(store, op, ready=ready)
    return op.op_id


def apply_op(store: Store, op: Op, known: bool = False) -> bool:
    """Merge one op (local or pulled) into the field rows; True if any field changed.

    Runs inside the caller's transaction. An op for a record this device has never
    seen creates it, so an update that arrives before its create is kept, not lost.
    `known`: the caller has seen that the record is stored (no lookup here).
    """
    db = store.db
    record_id = op.record_id
    if not known:
        rows = list(db.query("SELECT 1 FROM records WHERE record_id = ?", [record_id]))
        if not rows:
            first = _FirstOps(store)
            first.add(op)
            first.flush()
            return True
    existing = _field_rows(store, record_id, list(op.fields))
    # Paths for which some stored op already names this op as a parent (one query).
    superseded = {r[0] for r in db.execute(
        "SELECT path FROM field_parents WHERE record_id = ? AND op_id = ?",
        [record_id, op.op_id])}
    upserts: list[tuple] = []
    parent_rows: list[tuple[str, str, str]] = []
    settled: list[str] = []
    conflicts: list[tuple] = []
    for path, value in op.fields.items():
        parents = op.parents[path]
        parent_rows.extend((record_id, path, p) for p in parents)
        row = existing.get(path)
        heads = [Version(**h) for h in json.loads(row["heads"])] if row else []
        outcome = merge_field(heads, Version(op.op_id, op.hlc, op.device_id, value),
                              parents, path in superseded, record_id=record_id, path=path)
        if not outcome.changed and row is not None:
            continue
        winner = outcome.winner
        upserts.append((record_id, path,
                        store.seal(canonical_json(winner.value)) if winner else None,
                        store.seal_json([v.to_wire() for v in outcome.heads]),
                        1 if outcome.conflict else 0))
        if outcome.conflict:
            conflicts.append((record_id, path, store.seal_json(
                outcome.conflict.to_wire()["versions"]), store.now()))
        elif row is not None and row["conflict"]:
            settled.append(path)
    if parent_rows:
        db.conn.executemany(
            "INSERT INTO field_parents (record_id, path, op_id) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING", parent_rows)
    if upserts:
        db.conn.executemany(
            "INSERT INTO fields (record_id, path, value, heads, conflict) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (record_id, path) DO UPDATE SET value = excluded.value, "
            "heads = excluded.heads, conflict = excluded.conflict", upserts)
    if conflicts:
        db.conn.executemany(
            "INSERT INTO conflict_notices (record_id, path, values_json, created_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (record_id, path) DO UPDATE SET "
            "values_json = excluded.values_json, seen_at = NULL", conflicts)
    if settled:
        db.conn.executemany("DELETE FROM conflict_notices WHERE record_id = ? AND path = ?",
                            [(record_id, p) for p in settled])
    if upserts:
        refresh_answers(store, record_id, changed_at=hlc_time(op.hlc))
    return bool(upserts)


def apply_ops(store: Store, ops: Sequence[Op]) -> int:
    """Merge a page of ops (pulled, or from a bundle) set-wise; how many changed something.

    Runs inside the caller's transaction, like `apply_op`, with the same outcome as
    applying the ops one by one in order. Most of a big pull is households this device
    has never seen: their records are found with one query per 500 ids and their first
    ops written with one multi-row statement per table (`_FirstOps`), without the
    per-op lookups and merge; every other op goes through `apply_op`. A new record
    that came in nested answers (`Op.answers`) keeps them as they are, not rebuilt from
    its fields (the server does the same, server/services/apply.py).
    """
    wanted = list(dict.fromkeys(op.record_id for op in ops))
    known: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        known.update(r[0] for r in store.db.execute(
            f"SELECT record_id FROM records WHERE record_id IN ({','.join('?' * len(chunk))})",
            chunk))
    first = _FirstOps(store)
    received = 0
    for op in ops:
        record_id = op.record_id
        if record_id not in known:
            known.add(record_id)
            first.add(op)
            received += 1
            continue
        if record_id in first.record_ids:
            first.flush()  # a later op of a record this page creates merges after it
        if apply_op(store, op, known=True):
            received += 1
    first.flush()
    return received


class _FirstOps:
    """First ops of records this device had never seen, written in one go per table: no
    field has heads and no stored op names them as a parent, so every field's only head
    is the incoming version (what a merge would decide, without running it)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.now = store.now()  # one moment for the page's new records
        self.record_ids: set[str] = set()
        self.records: list[tuple] = []
        self.fields: list[tuple] = []
        self.parents: list[tuple[str, str, str]] = []

    def add(self, op: Op) -> None:
        store, record_id, fields = self.store, op.record_id, op.fields
        answers = op.answers  # the nested answers it came in, if it did
        first_op = None
        if answers is not None and fields.get(DELETED) is False:
            # It came as nested answers (its fields are exactly the answers flattened,
            # and a false tombstone): its field rows wait (`first_op`).
            # (An op with answers has no parents.)
            first_op = json.dumps([op.op_id, op.hlc, op.device_id])
        else:
            self.fields += _first_field_rows(store, record_id, (op.op_id, op.hlc, op.device_id),
                                             fields)
            self.parents.extend((record_id, path, p)
                                for path, ids in op.parents.items() for p in ids)
        links = op.meta.get("links") or {}
        made_at, now = hlc_time(op.hlc), self.now
        if answers is None:
            answers = unflatten({p: v for p, v in fields.items() if p != DELETED})
        self.records.append((record_id, op.form_id, op.form_version,
                             store.seal_json(answers),
                             1 if fields.get(DELETED) else 0, now, now,
                             links.get("settlement_id"), links.get("structure_id"),
                             made_at, made_at, first_op))
        self.record_ids.add(record_id)

    def flush(self) -> None:
        conn = self.store.db.conn
        if self.records:
            conn.executemany(
                "INSERT INTO records (record_id, form_id, form_version, status, answers, "
                "deleted, created_at, updated_at, settlement_id, structure_id, made_at, "
                "changed_at, first_op) VALUES (?, ?, ?, 'finalized', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                self.records)
        if self.fields:
            conn.executemany("INSERT INTO fields (record_id, path, value, heads, conflict) "
                             "VALUES (?, ?, ?, ?, 0)", self.fields)
        if self.parents:
            conn.executemany("INSERT INTO field_parents (record_id, path, op_id) "
                             "VALUES (?, ?, ?) ON CONFLICT DO NOTHING", self.parents)
        self.record_ids.clear()
        self.records, self.fields, self.parents = [], [], []


def _first_field_rows(store: Store, record_id: str, made_by: tuple[str, str, str],
                     fields: Mapping[str, Any]) -> list[tuple]:
    """The `fields` rows of a record's first op, `made_by` its (op_id, hlc, device_id):
    every field's only head is that op."""
    op_id, hlc, device_id = made_by
    rows = []
    # Each head is the JSON text `seal_json([{**head, "value": value}])` would write,
    # put together around the value's own text (one encoding per field, not two).
    head = (f'[{{"op_id": {_text(op_id)}, "hlc": {_text(hlc)}, '
            f'"device_id": {_text(device_id)}, "value": ')
    for path, value in fields.items():
        text = _scalar_text(value)
        if text is None:
            rows.append((record_id, path, store.seal(canonical_json(value)),
                         store.seal_json([{"op_id": op_id, "hlc": hlc,
                                           "device_id": device_id, "value": value}])))
        else:
            rows.append((record_id, path, store.seal(text), store.seal(head + text + "}]")))
    return rows


def write_first_op_fields(store: Store, record_id: str) -> None:
    """Write the field rows of a record kept as its first op (`records.first_op`,
    device migration 0006), as `_FirstOps` would have: before anything reads or merges
    its fields. Inside the caller's transaction; nothing to do for other records."""
    rows = list(store.db.execute(
        "SELECT first_op, answers FROM records WHERE record_id = ? AND first_op IS NOT NULL",
        [record_id]))
    if not rows:
        return
    made_by, fields = _kept_first_op(store, *rows[0])
    store.db.conn.executemany(
        "INSERT INTO fields (record_id, path, value, heads, conflict) VALUES (?, ?, ?, ?, 0)",
        _first_field_rows(store, record_id, made_by, fields))
    store.db.execute("UPDATE records SET first_op = NULL WHERE record_id = ?", [record_id])


def field_states(store: Store) -> Iterator[dict[str, Any]]:
    """Every field of the store as `{record_id, path, value, has_value, heads, conflict}`
    (value and heads decoded; `has_value` is false for a conflict left without a winner,
    whose value is then None, as opposed to a winning null), the fields of records kept
    as their first op included, without writing anything: for checks (integrity) and
    tests, not for the merge."""
    for row in store.query("SELECT record_id, path, value, heads, conflict FROM fields"):
        stored = row["value"]
        yield {**row, "value": None if stored is None else store.load_json(stored),
               "has_value": stored is not None, "heads": store.load_json(row["heads"])}
    for row in store.query("SELECT record_id, first_op, answers FROM records "
                           "WHERE first_op IS NOT NULL"):
        (op_id, hlc, device_id), fields = _kept_first_op(store, row["first_op"],
                                                         row["answers"])
        for path, value in fields.items():
            yield {"record_id": row["record_id"], "path": path, "value": value,
                   "has_value": True, "conflict": 0,
                   "heads": [{"op_id": op_id, "hlc": hlc, "device_id": device_id,
                              "value": value}]}


def _kept_first_op(store: Store, first_op: str,
                   answers: str) -> tuple[tuple[str, str, str], dict[str, Any]]:
    """A record kept as its first op: that op's (op_id, hlc, device_id) and its fields
    (the answers flattened, and a false tombstone)."""
    op_id, hlc, device_id = json.loads(first_op)
    fields = flatten(store.load_json(answers))
    fields[DELETED] = False
    return (op_id, hlc, device_id), fields


_text = json.encoder.encode_basestring  # type: ignore[attr-defined]  # what json.dumps uses


def _scalar_text(value: Any) -> str | None:
    """The JSON text of a string, integer, boolean or null, the same in canonical JSON
    and in `json.dumps` (None for anything else: floats and lists take the slow path)."""
    kind = type(value)
    if kind is str:
        return _text(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    return None


def refresh_answers(store: Store, record_id: str, changed_at: str | None = None) -> None:
    """Rebuild the record's answers and deleted flag from its field values, once they
    are rows (`_field_rows` has written a kept first op's); `changed_at` (an op's time)
    moves the record's change time forward, never back."""
    values = {r["path"]: store.load_json(r["value"]) for r in store.db.query(
        "SELECT path, value FROM fields WHERE record_id = ? AND value IS NOT NULL",
        [record_id])}
    store.db.execute(
        "UPDATE records SET answers = ?, deleted = ?, updated_at = ?, changed_at = CASE WHEN "
        "? > coalesce(changed_at, '') THEN ? ELSE changed_at END WHERE record_id = ?",
        [store.seal_json(unflatten(values)), 1 if values.get(DELETED) else 0,
         store.now(), changed_at or "", changed_at or "", record_id],
    )


def finalize(store: Store, record_id: str) -> None:
    """Mark a draft finalized: its ops (folded into one) become ready to push."""
    with store.transaction() as db:
        record = _record_row(store, record_id)
        if record["status"] == "finalized":
            return
        now = store.now()
        db.execute("UPDATE records SET status = 'finalized', updated_at = ?, changed_at = ? "
                   "WHERE record_id = ?", [now, now, record_id])
        outbox.compact_record(store, record_id)
        db.execute("UPDATE outbox SET ready = 1 WHERE record_id = ? AND sent_at IS NULL "
                   "AND ready = 0", [record_id])


def delete_record(store: Store, record_id: str) -> str | None:
    """Delete a record: a draft nobody else has seen just goes, otherwise a tombstone op."""
    with store.transaction() as db:
        record = _record_row(store, record_id)
        if record["status"] == "draft" and outbox.only_local(store, record_id):
            # The ops' text in outbox_ops goes with their outbox rows (a trigger).
            for table in ("outbox", "fields", "field_parents", "conflict_notices", "records"):
                db.execute(f"DELETE FROM {table} WHERE record_id = ?", [record_id])
            return None
        if record["status"] == "draft":
            # Others have seen part of it, so they need the tombstone: send what is held too.
            db.execute("UPDATE records SET status = 'finalized' WHERE record_id = ?",
                       [record_id])
            db.execute("UPDATE outbox SET ready = 1 WHERE record_id = ? AND ready = 0",
                       [record_id])
            record = {**record, "status": "finalized"}
        return _write_local(store, record_id, DELETE, {})


def get_record(store: Store, record_id: str) -> dict[str, Any] | None:
    """The record as the app shows it: answers, status, links, conflicted paths."""
    rows = store.query("SELECT * FROM records WHERE record_id = ?", [record_id])
    if not rows:
        return None
    row = rows[0]
    row["answers"] = store.load_json(row["answers"])
    row["conflicts"] = [r["path"] for r in store.query(
        "SELECT path FROM fields WHERE record_id = ? AND conflict = 1 ORDER BY path",
        [record_id])]
    return row

