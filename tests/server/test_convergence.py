"""The server's tables agree with the protocol's reference replica, whatever the order,
batching and duplication of the ops it receives (the property hubs and bundles rely on)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from flask import Flask
from server_harness import FORM_ID, FORM_VERSION, Device, enrol_device, push_body
from sqlalchemy import select

from server.extensions import db
from server.models import Conflict, Record
from server.services.apply import decode_heads
from server.services.hub import allow_relay
from sync.hlc import HybridClock
from sync.ids import new_uuid7
from sync.ops import Op
from sync.replica import Replica, replica_from


def history(seed: int, devices: int = 3, steps: int = 60) -> list[Op]:
    """Ops written by devices that edit shared records and sync with each other now
    and then: concurrent edits, deletes, resolves, repeats, late parents."""
    rng = random.Random(seed)
    ticks = iter(range(10**12, 10**13, 7))
    replicas = [Replica(f"dev-{i}", HybridClock(f"dev-{i}", now_ms=lambda: next(ticks)))
                for i in range(devices)]
    records = [new_uuid7() for _ in range(3)]
    written: list[list[Op]] = [[] for _ in replicas]
    for _ in range(steps):
        i = rng.randrange(devices)
        me = replicas[i]
        rid = rng.choice(records)
        roll = rng.random()
        if roll < 0.15:  # sync with another device
            j = rng.randrange(devices)
            me.apply_all(written[j])
            continue
        known = rid in me.record_ids()
        if roll < 0.22 and known:
            op = me.delete(rid)
        elif roll < 0.32 and known and me.conflicts(rid):
            conflict = rng.choice(me.conflicts(rid))
            op = me.resolve(conflict, conflict.versions[-1].value)
        else:
            member = rng.choice(["a1", "b2"])
            # Values include "no answer" (null) and select_multiple lists.
            value = rng.choice([0, 1, 2.5, None, "shared", ["tap", "well"], []])
            fields: dict[str, Any] = {rng.choice(["toilet", "rent", "water"]): value}
            if rng.random() < 0.3:
                fields[f"members[{member}]"] = rng.randint(1, 2)
                fields[f"members[{member}]/age"] = rng.randint(0, 90)
            op = me.edit(rid, fields, form_id=FORM_ID, form_version=FORM_VERSION)
        written[i].append(op)
    return [op for ops in written for op in ops]


def allow_hub(app: Flask, hub: Device) -> None:
    """Let `hub` relay other devices' ops (`hesabu hub allow`)."""
    with app.app_context():
        allow_relay(hub.id)


def server_state(app: Flask) -> dict[str, Any]:
    with app.app_context():
        records = {r.record_id: (r.fields, r.deleted)
                   for r in db.session.execute(select(Record)).scalars()}
        heads: dict[tuple[str, str], set[str]] = {}
        for rid, stored, fields in db.session.execute(
                select(Record.record_id, Record.heads, Record.fields)):
            for path, versions in decode_heads(stored, fields).items():
                if versions:
                    heads[(rid, path)] = set(versions)
        conflicts = sorted(
            (c.record_id, c.path, tuple(c.head_op_ids)) for c in db.session.execute(
                select(Conflict).where(Conflict.resolved_at_seq.is_(None))).scalars())
        db.session.rollback()
    return {"records": records, "heads": heads, "conflicts": conflicts}


def reference_state(reference: Replica) -> dict[str, Any]:
    heads = {}
    for rid in reference.record_ids():
        for path in [*reference.fields(rid), "__deleted__"]:
            ids = set(reference.head_ids(rid, path))
            if ids:
                heads[(rid, path)] = ids
    return {
        "records": {rid: (reference.fields(rid), reference.is_deleted(rid))
                    for rid in reference.record_ids()},
        "heads": heads,
        "conflicts": sorted(c.key for c in reference.conflicts()),
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_delivery_order_gives_the_reference_state(app: Flask, form: tuple[str, str],
                                                      seed: int) -> None:
    ops = history(seed)
    rng = random.Random(seed * 7919)
    delivery = ops + rng.sample(ops, len(ops) // 4)  # some ops arrive twice
    rng.shuffle(delivery)  # descendants before ancestors, other devices interleaved
    pusher = enrol_device(app, "hub-1", "Office hub")  # a hub relays everyone's ops
    allow_hub(app, pusher)
    client = app.test_client()
    position = 0
    while position < len(delivery):
        size = rng.randint(1, 12)
        batch = delivery[position:position + size]
        position += size
        response = client.post("/api/sync/push", json=push_body(pusher, batch),
                               headers=pusher.auth)
        assert response.status_code == 200, response.json
        assert response.json["rejected"] == []
    expected = reference_state(replica_from(ops))
    assert expected["conflicts"], "the scenario should produce conflicts"
    assert server_state(app) == expected


@pytest.mark.parametrize("seed", [4, 5])
def test_one_batch_holding_the_whole_shuffled_history_gives_the_reference_state(
        app: Flask, form: tuple[str, str], seed: int) -> None:
    """The bulk apply path merges in memory: inside one batch the same op twice,
    descendants before their ancestors and dozens of ops on one record must still give
    what the reference replica computes, and a replay of the batch changes nothing."""
    ops = history(seed)
    rng = random.Random(seed)
    delivery = ops + rng.sample(ops, len(ops) // 3)
    rng.shuffle(delivery)
    per_record: dict[str, int] = {}
    for op in ops:
        per_record[op.record_id] = per_record.get(op.record_id, 0) + 1
    assert max(per_record.values()) > 10, "the scenario should edit one record many times"
    pusher = enrol_device(app, "hub-1", "Office hub")
    allow_hub(app, pusher)
    client = app.test_client()
    response = client.post("/api/sync/push", json=push_body(pusher, delivery),
                           headers=pusher.auth)
    assert response.status_code == 200, response.json
    assert response.json["rejected"] == []
    assert sorted(set(response.json["acked"])) == sorted(op.op_id for op in ops)
    expected = reference_state(replica_from(ops))
    assert expected["conflicts"], "the scenario should produce conflicts"
    assert server_state(app) == expected
    seq = response.json["server_seq"]
    again = client.post("/api/sync/push", json=push_body(pusher, delivery[::-1]),
                        headers=pusher.auth)
    assert again.json["server_seq"] == seq
    assert again.json["conflicts"] == response.json["conflicts"]
    assert server_state(app) == expected
