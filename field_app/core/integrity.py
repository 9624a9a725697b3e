"""A consistency check of a device store: what support staff run on a suspect tablet."""

from __future__ import annotations

from typing import TYPE_CHECKING

from field_app.core.records import field_states
from sync.ops import wire_fields

if TYPE_CHECKING:
    from field_app.core.store import Store


def check_store(store: Store) -> list[str]:
    """Problems found (empty when sound): SQLite integrity, outbox rows without their op
    text (or the reverse), edits without ops, ops not applied.

    Only the device's own ops are in its outbox; heads written by pulled ops are skipped.
    """
    problems = [r[0] for r in store.db.execute("PRAGMA integrity_check").fetchall()
                if r[0] != "ok"]
    device_id = store.device.device_id
    ops = {r["op_id"]: store.load_json(r["op"]) for r in store.query(
        "SELECT o.op_id, t.op FROM outbox o JOIN outbox_ops t ON t.seq = o.seq")}
    problems.extend(f"outbox op {r['op_id']}: its text is missing" for r in store.query(
        "SELECT op_id FROM outbox WHERE seq NOT IN (SELECT seq FROM outbox_ops)"))
    problems.extend(f"outbox text {r['seq']}: no outbox row" for r in store.query(
        "SELECT seq FROM outbox_ops WHERE seq NOT IN (SELECT seq FROM outbox)"))
    latest: dict[tuple[str, str], dict] = {}
    for op in ops.values():
        for path in wire_fields(op):
            key = (op["record_id"], path)
            if key not in latest or op["hlc"] > latest[key]["hlc"]:
                latest[key] = op
    for row in field_states(store):
        heads = row["heads"]
        for head in heads:
            if head["device_id"] == device_id and head["op_id"] not in ops:
                problems.append(f"{row['record_id']}/{row['path']}: edit without its op")
        op = latest.pop((row["record_id"], row["path"]), None)
        if op is not None and not any(h["hlc"] >= op["hlc"] for h in heads):
            problems.append(f"{row['record_id']}/{row['path']}: op {op['op_id']} not applied")
    problems.extend(f"{rid}/{path}: op {op['op_id']} not applied"
                    for (rid, path), op in latest.items())
    return problems

