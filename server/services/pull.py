"""The change feed a device pulls: ops and published forms after a server sequence number."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Text, cast, select

from server.errors import ApiError
from server.extensions import db
from server.models import Conflict, FormVersion, Record
from server.models import Op as OpRow
from server.services.devices import DeviceIdentity
from server.services.id_lists import among
from server.services.review import review_changes
from server.services.rows import compact_json
from server.services.scoping import check_rescan, device_record_ids
from server.services.sequence import current_seq
from sync.messages import PROTOCOL_3, PROTOCOL_VERSION, v1_op_payload

#: Bytes a page's JSON may need besides its changes and records: the keys, brackets,
#: `next_cursor`, `has_more` and `server_hlc` (an HLC is at most 85 characters).
ENVELOPE_BYTES = 256


class StoredOp:
    """An op change as the page sends it: the op's JSON text as stored, not decoded
    and encoded again (that was a third of the server's work per pulled household)."""

    __slots__ = ("seq", "text")

    def __init__(self, seq: int, text: str) -> None:
        self.seq = seq
        self.text = text

    def encode(self) -> bytes:
        return b'{"seq":%d,"type":"op","op":%s}' % (self.seq, self.text.encode("utf-8"))

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "type": "op", "op": json.loads(self.text)}


Change = dict[str, Any] | StoredOp


@dataclass(frozen=True)
class ChangePage:
    #: The changes in order; an op change of a page cut by bytes is a `StoredOp`
    #: (`changes` gives them all as dictionaries).
    items: tuple[Change, ...]
    records: dict[str, dict[str, Any]] | None  # None: left out at the client's request
    next_cursor: int
    has_more: bool
    #: With a byte budget: each change's JSON and each record's `"id":{...}` entry,
    #: made once while the page was cut to size (`to_json` joins them).
    encoded: tuple[tuple[bytes, ...], tuple[bytes, ...]] | None = None

    @property
    def changes(self) -> tuple[dict[str, Any], ...]:
        if not any(isinstance(c, StoredOp) for c in self.items):
            return self.items  # type: ignore[return-value]  # (no copy: bundles stream pages)
        return tuple(c.to_dict() if isinstance(c, StoredOp) else c for c in self.items)

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"changes": list(self.changes), "next_cursor": self.next_cursor,
                                "has_more": self.has_more}
        if self.records is not None:
            wire["records"] = self.records
        return wire

    def to_json(self, **extra: Any) -> bytes:
        """The page as the pull answers it (compact UTF-8 JSON, `extra` keys added at
        the end), from the pieces already encoded when there are any."""
        if self.encoded is None:
            return _encode({**self.to_wire(), **extra})
        changes, records = self.encoded
        body = b'{"changes":[' + b",".join(changes) + b"]"
        if self.records is not None:
            body += b',"records":{' + b",".join(records) + b"}"
        tail = {"next_cursor": self.next_cursor, "has_more": self.has_more, **extra}
        return body + b"," + _encode(tail)[1:]


def visible_records_query(device: DeviceIdentity) -> Select[tuple[str]]:
    """The ids of the records `device` may pull: those of its user's settlements
    (server/services/scoping.py); a device enrolled without a user pulls everything."""
    return device_record_ids(device.id)


def pull_changes(device: DeviceIdentity, cursor: int, limit: int, *,
                 protocol: int = PROTOCOL_VERSION, with_records: bool = True,
                 max_bytes: int | None = None) -> ChangePage:
    """Up to `limit` changes with server_seq > `cursor`, oldest first, and with
    `max_bytes` no more than fit in that many bytes of the page's JSON (`to_json`, with
    up to ENVELOPE_BYTES of extra keys): changes are taken in order until the next would
    pass the budget, but always at least one, so a change bigger than the budget still
    moves the cursor. Its records entries count too.

    Everything is read from one snapshot (REPEATABLE READ on PostgreSQL, a read
    transaction on SQLite); since sequence numbers commit in order, that snapshot holds
    every number up to the counter it shows, so the cursor never skips a change. When
    nothing more is visible to this device `next_cursor` is the counter itself, so changes
    it may not see are passed over once, not re-scanned on every sync. Ops are sent in
    the form of the client's `protocol` (1: every parents entry and meta spelled out; from
    3 on, ops the device wrote itself are left out);
    `with_records=False` leaves out the records block (a client that merges the ops
    itself does not need the server's view, which is most of a page's bytes).
    """
    check_rescan(device.id, cursor)  # newly assigned settlements: pull from 0 (scoping.py)
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    try:
        top = current_seq(session)
        if cursor > top:
            raise ApiError("sync.cursor_invalid",
                           f"cursor {cursor} is beyond this server's latest change ({top}); "
                           "was the device synced with another server?",
                           details={"server_seq": top})
        wanted = [OpRow.server_seq > cursor,
                  OpRow.record_id.in_(visible_records_query(device).scalar_subquery())]
        if protocol >= PROTOCOL_3:
            # The device wrote these and holds them: sending them back doubled the
            # bytes of a sync after a big push (protocol 3 clients know to expect it).
            wanted.append(OpRow.device_id != device.id)
        # A page cut by bytes (protocol 2 on) sends each op's stored JSON text as it is
        # (JSON columns keep it as written); the others decode it.
        as_text = max_bytes is not None and protocol >= 2
        ops = session.execute(
            select(OpRow.server_seq, OpRow.record_id,
                   cast(OpRow.payload, Text) if as_text else OpRow.payload)
            .where(*wanted).order_by(OpRow.server_seq).limit(limit + 1)
        ).all()
        forms = session.execute(
            select(FormVersion).where(FormVersion.server_seq > cursor)
            .order_by(FormVersion.server_seq).limit(limit + 1)
        ).scalars().all()
        if as_text:
            merged: list[tuple[int, Change, str | None]] = [
                (seq, StoredOp(seq, text), rid) for seq, rid, text in ops]
        else:
            form = (lambda p: p) if protocol >= 2 else v1_op_payload
            merged = [(seq, {"seq": seq, "type": "op", "op": form(payload)}, rid)
                      for seq, rid, payload in ops]
        merged += [(f.server_seq, {"seq": f.server_seq, "type": "form", "form_id": f.form_id,
                                   "version": f.version, "title": f.title}, None)
                   for f in forms]
        # Review states and comments of visible records (server/services/review.py);
        # clients ignore change types they do not know.
        merged += review_changes(cursor, limit, visible_records_query(device).scalar_subquery())
        merged.sort(key=lambda item: item[0])
        has_more = len(merged) > limit
        page = merged[:limit]
        record_ids = sorted({rid for _, _, rid in page if rid is not None})
        records = _record_states(record_ids) if with_records else None
        encoded = None
        if max_bytes is not None:
            page, records, encoded = _within(page, records, max_bytes)
            has_more = has_more or len(page) < min(limit, len(merged))
        next_cursor = page[-1][0] if has_more else top
    finally:
        session.rollback()
    return ChangePage(tuple(change for _, change, _ in page), records, next_cursor, has_more,
                      encoded)


def _within(page: list[tuple[int, Change, str | None]],
            records: dict[str, dict[str, Any]] | None, max_bytes: int
            ) -> tuple[list[tuple[int, Change, str | None]],
                       dict[str, dict[str, Any]] | None,
                       tuple[tuple[bytes, ...], tuple[bytes, ...]]]:
    """The first changes of `page` whose JSON (with their records' entries) fits in
    `max_bytes` (at least one), the records they touch, and the encoded pieces."""
    used = ENVELOPE_BYTES
    changes: list[bytes] = []
    entries: list[bytes] = []
    kept: dict[str, dict[str, Any]] = {}
    for count, (_, change, rid) in enumerate(page):
        piece = change.encode() if isinstance(change, StoredOp) else _encode(change)
        cost = len(piece) + 1
        entry = None
        if records is not None and rid is not None and rid not in kept and rid in records:
            entry = _encode({rid: records[rid]})[1:-1]
            cost += len(entry) + 1
        if count and used + cost > max_bytes:
            page = page[:count]
            break
        used += cost
        changes.append(piece)
        if entry is not None:
            entries.append(entry)
            kept[rid] = records[rid]  # type: ignore[index]
    return page, kept if records is not None else None, (tuple(changes), tuple(entries))


def _encode(value: Any) -> bytes:
    """Compact UTF-8 JSON, as `server.api.wire.json_response` writes it."""
    return compact_json(value).encode("utf-8")


def _record_states(record_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The server's current view of the records a page touches: interim values and
    open conflicts (with every head), for display and for checking convergence."""
    if not record_ids:
        return {}
    session = db.session
    states: dict[str, dict[str, Any]] = {}
    for where in among(Record.record_id, record_ids):
        for rec in session.execute(  # only the columns shown (not answers, heads)
                select(Record.record_id, Record.form_id, Record.form_version, Record.deleted,
                       Record.server_seq, Record.fields).where(where)):
            states[rec.record_id] = {
                "form_id": rec.form_id, "form_version": rec.form_version,
                "deleted": rec.deleted, "server_seq": rec.server_seq,
                "fields": rec.fields, "conflicts": [],
            }
    for where in among(Conflict.record_id, record_ids):
        for conflict in session.execute(
            select(Conflict).where(where, Conflict.resolved_at_seq.is_(None))
            .order_by(Conflict.record_id, Conflict.path)
        ).scalars():
            states[conflict.record_id]["conflicts"].append(
                {"path": conflict.path, "versions": conflict.versions,
                 "opened_at_seq": conflict.opened_at_seq})
    return states
