"""Push and pull over a real HTTP server on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import gzip
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from server_harness import (
    Device,
    HttpClient,
    LiveServer,
    enrol_device,
    publish_test_form,
    push_body,
    stored_seqs,
    table_counts,
)
from sqlalchemy import select, update

from server.extensions import db
from server.models import Device as DeviceRow
from server.models import DeviceAccount, Record
from server.models import Op as OpRow
from server.services.accounts import create_federation, create_user
from sync.hlc import HybridClock, is_hlc, wall_clock_ms
from sync.ids import new_uuid7
from sync.messages import PullPage, PushResponse
from sync.replica import replica_from


def test_a_record_pushed_by_one_tablet_is_pulled_by_another(
        live: LiveServer, form: tuple[str, str], tablet: Device, other_tablet: Device) -> None:
    record = new_uuid7()
    op = tablet.op(record, {"head_name": "Amina Otieno", "members": 4})
    reply = HttpClient(live.port, tablet.token).push(tablet, [op])
    assert reply.status == 200
    answer = PushResponse.from_wire(reply.json())
    assert answer.acked == (op.op_id,)
    assert answer.rejected == ()
    assert answer.conflicts == 0
    assert answer.server_seq == 2  # the form took 1
    assert is_hlc(answer.server_hlc) and answer.server_hlc > op.hlc

    page_reply = HttpClient(live.port, other_tablet.token).pull(0)
    assert page_reply.status == 200
    page = PullPage.from_wire(page_reply.json())
    assert page.forms == [form]
    assert [o.op_id for o in page.ops] == [op.op_id]
    assert page.ops[0].canonical() == op.canonical()
    assert page.has_more is False and page.next_cursor == 2
    state = page_reply.json()["records"][record]
    assert state["fields"] == {"head_name": "Amina Otieno", "members": 4}
    assert state["deleted"] is False and state["conflicts"] == []

    spec = HttpClient(live.port, other_tablet.token).request(
        "GET", "/api/forms/household/versions/1")
    assert spec.status == 200 and spec.json()["spec"]["id"] == "household"


def test_responses_are_gzipped_only_for_clients_that_accept_gzip(
        live: LiveServer, form: tuple[str, str], tablet: Device) -> None:
    client = HttpClient(live.port, tablet.token)
    pushed = client.push(tablet, [tablet.op(fields={"note": "x" * 2000})])
    assert pushed.headers.get("content-encoding") == "gzip"
    zipped = client.request("GET", "/api/sync/pull?cursor=0")
    assert zipped.headers.get("content-encoding") == "gzip"
    plain = client.request("GET", "/api/sync/pull?cursor=0", headers={"Accept-Encoding": ""})
    assert "content-encoding" not in plain.headers
    assert plain.json()["changes"] == zipped.json()["changes"]


def test_a_plain_json_push_is_accepted(live: LiveServer, form: tuple[str, str],
                                       tablet: Device) -> None:
    op = tablet.op()
    reply = HttpClient(live.port, tablet.token).post_json(
        "/api/sync/push", {"device_id": tablet.id, "ops": [op.to_wire()]}, gzipped=False)
    assert reply.status == 200 and reply.json()["acked"] == [op.op_id]


def test_replaying_a_batch_acks_it_again_and_changes_nothing(
        app: Flask, live: LiveServer, form: tuple[str, str], tablet: Device) -> None:
    client = HttpClient(live.port, tablet.token)
    ops = [tablet.op(fields={"n": i}) for i in range(5)]
    first = client.push(tablet, ops).json()
    before = table_counts(app)
    second = client.push(tablet, ops).json()
    assert second["acked"] == first["acked"] == [o.op_id for o in ops]
    assert second["server_seq"] == first["server_seq"]
    assert table_counts(app) == before


def test_a_lost_ack_then_a_retry_stores_each_op_once(
        app: Flask, live: LiveServer, form: tuple[str, str], tablet: Device) -> None:
    """The server commits, the answer is lost (socket closed before reading it), the
    device sends the batch again, with one new op added: no duplicates, no gap."""
    import http.client

    ops = [tablet.op(fields={"n": i}) for i in range(3)]
    body = gzip.compress(json.dumps({"device_id": tablet.id,
                                     "ops": [o.to_wire() for o in ops]}).encode())
    conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=30)
    conn.request("POST", "/api/sync/push", body=body, headers={
        "Content-Type": "application/json", "Content-Encoding": "gzip", **tablet.auth})
    conn.getresponse()  # headers arrive after the commit; drop the body unread
    conn.close()

    extra = tablet.op(fields={"n": 3})
    reply = HttpClient(live.port, tablet.token).push(tablet, [*ops, extra]).json()
    assert reply["acked"] == [o.op_id for o in [*ops, extra]]
    assert stored_seqs(app) == [2, 3, 4, 5]


def test_an_op_too_far_ahead_or_of_an_unknown_form_is_rejected_and_the_rest_applied(
        app: Flask, live: LiveServer, form: tuple[str, str], tablet: Device) -> None:
    future = HybridClock(tablet.id, now_ms=lambda: wall_clock_ms() + 3 * 86_400_000)
    ahead = tablet.op()
    ahead = type(ahead)(**{**ahead.__dict__, "hlc": future.tick()})
    unknown = tablet.op(form_version="99")
    good = tablet.op()
    reply = HttpClient(live.port, tablet.token).push(tablet, [ahead, unknown, good]).json()
    assert reply["acked"] == [good.op_id]
    by_id = {r["op_id"]: r for r in reply["rejected"]}
    assert by_id[ahead.op_id]["code"] == "sync.hlc_too_far_ahead"
    assert by_id[unknown.op_id]["code"] == "sync.form_version_unknown"
    assert all(r["retryable"] is True for r in reply["rejected"])
    assert stored_seqs(app) == [2]

    publish_test_form(app, version="99")  # once the form is published, the op goes in
    again = HttpClient(live.port, tablet.token).push(tablet, [unknown]).json()
    assert again["acked"] == [unknown.op_id]


def test_an_invalid_op_is_rejected_on_its_own(app: Flask, live: LiveServer,
                                             form: tuple[str, str], tablet: Device) -> None:
    good = tablet.op()
    bad = tablet.op().to_wire()
    bad["hlc"] = "yesterday"
    reply = HttpClient(live.port, tablet.token).post_json(
        "/api/sync/push", {"device_id": tablet.id, "ops": [bad, good.to_wire()]})
    assert reply.status == 200
    body = reply.json()
    assert body["acked"] == [good.op_id]
    assert body["rejected"][0]["op_id"] == bad["op_id"]
    assert body["rejected"][0]["code"] == "sync.op_invalid"
    assert body["rejected"][0]["retryable"] is False
    assert "hlc" in body["rejected"][0]["message"]


def test_an_op_id_reused_with_other_content_is_rejected(
        live: LiveServer, form: tuple[str, str], tablet: Device) -> None:
    client = HttpClient(live.port, tablet.token)
    op = tablet.op(fields={"name": "Amina"})
    client.push(tablet, [op])
    forged = dataclasses.replace(op, fields={"name": "Zawadi", "__deleted__": False})
    reply = client.push(tablet, [forged]).json()
    assert reply["acked"] == []
    assert reply["rejected"][0]["code"] == "sync.op_id_reused"


def test_an_op_id_reused_for_a_record_the_server_lacks_is_rejected_and_the_rest_applies(
        app: Flask, live: LiveServer, form: tuple[str, str], tablet: Device) -> None:
    # The server looks up only the ops of records it has: an old op id sent again for a
    # new record is caught by the ops' primary key, and the batch runs again in full.
    client = HttpClient(live.port, tablet.token)
    op = tablet.op(fields={"name": "Amina"})
    client.push(tablet, [op])
    forged = dataclasses.replace(op, record_id=new_uuid7())
    honest = tablet.op(fields={"name": "Zawadi"})
    reply = client.push(tablet, [honest, forged]).json()
    assert reply["acked"] == [honest.op_id]
    assert [(r["op_id"], r["code"]) for r in reply["rejected"]] == [
        (op.op_id, "sync.op_id_reused")]
    with app.app_context():
        stored = {row.op_id: row.record_id for row in db.session.execute(
            select(OpRow.op_id, OpRow.record_id))}
        records = set(db.session.execute(select(Record.record_id)).scalars())
        db.session.rollback()
    assert stored == {op.op_id: op.record_id, honest.op_id: honest.record_id}
    assert records == {op.record_id, honest.record_id}  # nothing of the forged op


def test_a_push_notes_when_the_device_last_synced(
        app: Flask, live: LiveServer, form: tuple[str, str], tablet: Device) -> None:
    long_ago = datetime(2026, 1, 1, tzinfo=UTC)
    with app.app_context():
        db.session.execute(update(DeviceRow).where(DeviceRow.id == tablet.id)
                           .values(last_seen=long_ago))
        db.session.commit()
    HttpClient(live.port, tablet.token).push(tablet, [tablet.op(fields={"name": "Amina"})])
    with app.app_context():
        seen = db.session.get(DeviceRow, tablet.id).last_seen
        db.session.rollback()
    assert seen is not None and seen.replace(tzinfo=seen.tzinfo or UTC) > long_ago


def test_concurrent_edits_make_a_conflict_that_a_resolve_ends(
        app: Flask, live: LiveServer, form: tuple[str, str], tablet: Device,
        other_tablet: Device) -> None:
    record = new_uuid7()
    a, b = HttpClient(live.port, tablet.token), HttpClient(live.port, other_tablet.token)
    create = tablet.op(record, {"toilet": "shared"})
    a.push(tablet, [create])
    heads = {"toilet": [create.op_id], "__deleted__": [create.op_id]}
    mine = tablet.op(record, {"toilet": "communal"}, heads)
    theirs = other_tablet.op(record, {"toilet": "none"}, heads)
    assert a.push(tablet, [mine]).json()["conflicts"] == 0
    assert b.push(other_tablet, [theirs]).json()["conflicts"] == 1
    # The answer was lost and the batch is sent again: it reports the same conflict.
    assert b.push(other_tablet, [theirs]).json()["conflicts"] == 1

    page = b.pull(0).json()
    conflict = page["records"][record]["conflicts"]
    assert [c["path"] for c in conflict] == ["toilet"]
    assert {v["value"] for v in conflict[0]["versions"]} == {"communal", "none"}
    ops = PullPage.from_wire(page).ops
    # The server shows what the reference replica computes from the same ops.
    reference = replica_from(ops)
    assert page["records"][record]["fields"]["toilet"] == reference.value(record, "toilet")

    leader = enrol_device(app, "tab-leader", "Federation leader")
    with app.app_context():  # resolve ops come only from a leader's (or admin's) device
        fed = create_federation("Muungano").id
        boss = create_user("neema", "", "leader", federation_id=fed, password_hash="-")
        db.session.add(DeviceAccount(device_id=leader.id, user_id=boss.id, federation_id=fed))
        db.session.commit()
    settle = leader.op(record, {"toilet": "communal"}, {"toilet": sorted([mine.op_id,
                                                                          theirs.op_id])},
                       kind="resolve")
    reply = HttpClient(live.port, leader.token).push(leader, [settle]).json()
    assert reply["acked"] == [settle.op_id] and reply["conflicts"] == 0
    after = b.pull(0).json()["records"][record]
    assert after["conflicts"] == [] and after["fields"]["toilet"] == "communal"


def test_an_ancestor_arriving_after_its_descendant_does_not_come_back(
        live: LiveServer, form: tuple[str, str], tablet: Device) -> None:
    """A hub may relay a later edit before the earlier one: the merge still holds."""
    record = new_uuid7()
    first = tablet.op(record, {"name": "Amina"})
    second = tablet.op(record, {"name": "Amina O."},
                       {"name": [first.op_id], "__deleted__": [first.op_id]})
    client = HttpClient(live.port, tablet.token)
    client.push(tablet, [second])
    reply = client.push(tablet, [first]).json()
    assert reply["conflicts"] == 0
    state = client.pull(0).json()["records"][record]
    assert state["fields"] == {"name": "Amina O."}


def test_a_deleted_record_is_marked_deleted(live: LiveServer, form: tuple[str, str],
                                            tablet: Device) -> None:
    record = new_uuid7()
    create = tablet.op(record, {"name": "Amina"})
    gone = tablet.op(record, kind="delete", heads={"__deleted__": [create.op_id]})
    client = HttpClient(live.port, tablet.token)
    client.push(tablet, [create, gone])
    assert client.pull(0).json()["records"][record]["deleted"] is True


def test_pull_pages_follow_the_cursor_without_gaps(
        live: LiveServer, form: tuple[str, str], tablet: Device) -> None:
    client = HttpClient(live.port, tablet.token)
    client.push(tablet, [tablet.op(fields={"n": i}) for i in range(7)])
    cursor, seen, requests = 0, [], 0
    while True:
        page = client.pull(cursor, limit=3).json()
        requests += 1
        seen += [c["seq"] for c in page["changes"]]
        assert page["next_cursor"] >= cursor
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert seen == list(range(1, 9))
    assert requests == 3
    assert cursor == 8


def test_a_sync_with_nothing_new_is_one_pull(live: LiveServer, form: tuple[str, str],
                                             tablet: Device) -> None:
    client = HttpClient(live.port, tablet.token)
    client.push(tablet, [tablet.op()])
    top = client.pull(0).json()["next_cursor"]
    page = client.pull(top).json()
    assert page["changes"] == [] and page["has_more"] is False and page["next_cursor"] == top


def test_a_cursor_from_another_server_is_refused(live: LiveServer, tablet: Device) -> None:
    reply = HttpClient(live.port, tablet.token).pull(500)
    assert reply.status == 400
    assert reply.json()["error"]["code"] == "sync.cursor_invalid"
    bad = HttpClient(live.port, tablet.token).request("GET", "/api/sync/pull?cursor=-1")
    assert bad.status == 400 and bad.json()["error"]["code"] == "sync.cursor_invalid"


def test_the_server_clock_is_ahead_of_every_op_it_holds(
        live: LiveServer, form: tuple[str, str], tablet: Device) -> None:
    """A device whose clock runs an hour fast: the server's HLC follows it."""
    fast = HybridClock(tablet.id, now_ms=lambda: wall_clock_ms() + 3_600_000)
    tablet.clock = fast
    op = tablet.op()
    reply = HttpClient(live.port, tablet.token).push(tablet, [op]).json()
    assert reply["server_hlc"] > op.hlc


def test_a_failure_in_the_middle_of_a_batch_applies_none_of_it(
        app: Flask, form: tuple[str, str], tablet: Device,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """One transaction per batch: a crash after two ops leaves no trace, and the retry
    applies all of them with consecutive sequence numbers."""
    import logging

    from server.services.apply import Batch

    real_apply = Batch.apply
    calls = []

    def failing_apply(self: Batch, *args: Any, **kwargs: Any) -> bool:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real_apply(self, *args, **kwargs)

    record = new_uuid7()
    first = tablet.op(record, {"name": "Amina"})
    ops = [first, tablet.op(fields={"n": 1}),
           tablet.op(record, {"name": "Amina O."}, {"name": [first.op_id],
                                                     "__deleted__": [first.op_id]}),
           tablet.op(fields={"n": 2})]
    before = table_counts(app)
    monkeypatch.setattr(Batch, "apply", failing_apply)
    logging.getLogger("server.errors").disabled = True
    try:
        response = app.test_client().post("/api/sync/push", json=push_body(tablet, ops),
                                          headers=tablet.auth)
    finally:
        logging.getLogger("server.errors").disabled = False
    assert response.status_code == 500
    assert response.json["error"]["code"] == "server.internal"
    assert table_counts(app) == before

    monkeypatch.setattr(Batch, "apply", real_apply)
    retry = app.test_client().post("/api/sync/push", json=push_body(tablet, ops),
                                   headers=tablet.auth)
    assert retry.json["acked"] == [o.op_id for o in ops]
    assert stored_seqs(app) == [2, 3, 4, 5]


def test_a_record_never_changes_form(app: Flask, live: LiveServer, form: tuple[str, str],
                                     tablet: Device) -> None:
    publish_test_form(app, form_id="profile", version="1")
    record = new_uuid7()
    client = HttpClient(live.port, tablet.token)
    client.push(tablet, [tablet.op(record, {"name": "Amina"})])
    other = tablet.op(record, {"name": "Kibera"}, form_id="profile")
    reply = client.push(tablet, [other]).json()
    assert reply["acked"] == []
    assert reply["rejected"][0]["code"] == "sync.record_form_mismatch"
    assert reply["rejected"][0]["retryable"] is False


def test_pull_sends_ops_in_the_form_of_the_clients_protocol(
        live: LiveServer, form: tuple[str, str], tablet: Device) -> None:
    """Protocol 2 ops leave out empty parent lists; a device that does not say
    `protocol=2` (one still running protocol 1) gets every entry spelled out."""
    record = new_uuid7()
    create = tablet.op(record, {"name": "Amina", "age": 34})
    edit = tablet.op(record, {"name": "Amina O."}, {"name": [create.op_id]})
    client = HttpClient(live.port, tablet.token)
    # A protocol 1 device pushes the old, full form; the server accepts both.
    old_form = {"device_id": tablet.id, "ops": [create.to_wire_v1(), edit.to_wire()]}
    assert client.post_json("/api/sync/push", old_form).json()["acked"] == [create.op_id,
                                                                          edit.op_id]
    v1 = [c["op"] for c in client.pull(0).json()["changes"] if c["type"] == "op"]
    assert v1 == [create.to_wire_v1(), edit.to_wire_v1()]
    v2 = [c["op"] for c in client.request("GET", "/api/sync/pull?cursor=0&protocol=2")
          .json()["changes"] if c["type"] == "op"]
    assert v2 == [create.to_wire(), edit.to_wire()]
    # A new record's op travels as nested answers, an edit with its parents.
    assert v2[0]["answers"] == {"name": "Amina", "age": 34} and "parents" not in v2[0]
    assert v2[1]["fields"] == {"name": "Amina O.", "__deleted__": False}
    assert v2[1]["parents"] == {"name": [create.op_id]}
    assert client.request("GET", "/api/sync/pull?cursor=0&protocol=4").status == 422


def test_a_record_created_from_nested_answers_shows_exactly_those_answers(
        app: Flask, form: tuple[str, str], tablet: Device) -> None:
    """The server keeps the answers of a new record's op as they came (no rebuild), and
    they must be what its fields say; a second op in the same batch rebuilds them."""
    from sqlalchemy import select

    from server.extensions import db
    from server.models import Record
    from sync.fields import flatten, unflatten

    answers = {"head_name": "Amina", "household": {"members": [
        {"__id": "a1b2c3", "age": 34}, {"__id": "d4e5f6", "age": 6}]}}
    alone, edited = new_uuid7(), new_uuid7()
    first = tablet.op(alone, flatten(answers))
    second = tablet.op(edited, flatten(answers))
    later = tablet.op(edited, {"household/members[d4e5f6]/age": 7},
                      {"household/members[d4e5f6]/age": [second.op_id]})
    assert "answers" in first.to_wire()
    response = app.test_client().post("/api/sync/push", json=push_body(tablet, [
        first, second, later]), headers=tablet.auth)
    assert response.status_code == 200 and len(response.json["acked"]) == 3
    with app.app_context():
        rows = {r.record_id: r for r in db.session.execute(select(Record)).scalars()}
        assert rows[alone].answers == answers == unflatten(rows[alone].fields)
        assert rows[edited].answers["household"]["members"][1]["age"] == 7
        assert rows[edited].answers == unflatten(rows[edited].fields)
        db.session.rollback()


def test_a_client_that_merges_itself_can_leave_the_records_block_out(
        live: LiveServer, form: tuple[str, str], tablet: Device) -> None:
    client = HttpClient(live.port, tablet.token)
    client.push(tablet, [tablet.op(fields={"name": "Amina"})])
    full = client.request("GET", "/api/sync/pull?cursor=0&protocol=2").json()
    lean = client.request("GET", "/api/sync/pull?cursor=0&protocol=2&records=0").json()
    assert len(full["records"]) == 1 and "records" not in lean
    assert lean["changes"] == full["changes"] and lean["next_cursor"] == full["next_cursor"]


def test_the_cycle_collector_is_paused_only_while_batches_run() -> None:
    import gc
    import time

    from server.services.push import _gc_holders, _gc_state, gc_paused

    # A live server of an earlier test may still be finishing a push in its thread
    # (the pause is per process): wait for it, but a pause that never ends fails here.
    deadline = time.monotonic() + 10
    while _gc_state["pausers"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gc_state["pausers"] == 0, \
        f"a batch's pause of the cycle collector never ended (threads: {_gc_holders})"
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # a second batch (another thread) at the same time
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()  # a host that runs without it keeps it off
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
