"""Only a leader's or admin's device, or an allowed hub, may send `resolve` ops
(`sync.resolve_forbidden`): over a real HTTP push and through bundle import, on
SQLite and PostgreSQL. The server's own web resolutions are not affected."""

from __future__ import annotations

import io
import json
from typing import Any

from flask import Flask
from server_harness import Device, HttpClient, LiveServer, enrol_device
from sqlalchemy import event, select

from server.extensions import db
from server.models import Conflict, Federation, User
from server.services.accounts import create_federation, create_user
from server.services.bundles import import_bundle, register_device_key
from server.services.devices import create_code_for
from server.services.hub import allow_relay
from server.services.permissions import resolve_rejections
from server.services.resolution import resolve_conflict
from sync import bundle_crypto
from sync.bundle import DEVICE_BUNDLE, OPS, BundleWriter, form_versions, op_range
from sync.ids import new_uuid7
from sync.ops import Op

FEDERATION = "Muungano (Nairobi)"


def enrol_as(app: Flask, role: str, device_id: str, *, public_key: str | None = None
             ) -> Device:
    """A device enrolled with a code made for a new user of `role` (as a leader does on
    the web), so the server binds the device to that user."""
    with app.app_context():
        fed = db.session.execute(select(Federation.id).where(
            Federation.name == FEDERATION)).scalar_one_or_none()
        db.session.rollback()
        fed = fed or create_federation(FEDERATION).id
        user = create_user(f"{role}-{device_id}", "", role,
                           federation_id=None if role == "admin" else fed,
                           password_hash="not-used")
        code = create_code_for(user, "http://127.0.0.1", 1, None).code
    body = {"code": code, "device_id": device_id, "name": f"{role}'s tablet"}
    if public_key:
        body["public_key"] = public_key
    response = app.test_client().post("/api/devices/enrol", json=body)
    assert response.status_code == 201, response.json
    return Device(device_id, response.json["token"])


def make_conflict(live: LiveServer, a: Device, b: Device) -> tuple[str, list[str]]:
    """Two devices answer the same question differently: (record id, the two heads)."""
    record = new_uuid7()
    create = a.op(record, {"toilet": "shared"})
    assert HttpClient(live.port, a.token).push(a, [create]).json()["acked"] == [create.op_id]
    heads = {"toilet": [create.op_id], "__deleted__": [create.op_id]}
    mine, theirs = a.op(record, {"toilet": "communal"}, heads), \
        b.op(record, {"toilet": "none"}, heads)
    HttpClient(live.port, a.token).push(a, [mine])
    assert HttpClient(live.port, b.token).push(b, [theirs]).json()["conflicts"] == 1
    return record, sorted([mine.op_id, theirs.op_id])


def settle(device: Device, record: str, heads: list[str], value: str = "communal") -> Op:
    return device.op(record, {"toilet": value}, {"toilet": heads}, kind="resolve")


def push(live: LiveServer, device: Device, ops: list[Op]) -> dict[str, Any]:
    reply = HttpClient(live.port, device.token).push(device, ops)
    assert reply.status == 200, reply.json()
    return reply.json()


def conflicts_of(live: LiveServer, device: Device, record: str) -> list[Any]:
    return HttpClient(live.port, device.token).pull(0).json()["records"][record]["conflicts"]


def test_an_enumerators_device_cannot_resolve_but_the_rest_of_its_batch_applies(
        app: Flask, live: LiveServer, form: tuple[str, str], tablet: Device,
        other_tablet: Device) -> None:
    record, heads = make_conflict(live, tablet, other_tablet)
    enumerator = enrol_as(app, "enumerator", "tab-enumerator")
    edit = enumerator.op(fields={"head_name": "Zawadi"})
    resolve = settle(enumerator, record, heads)
    later = enumerator.op(fields={"head_name": "Baraka"})
    answer = push(live, enumerator, [edit, resolve, later])
    assert answer["acked"] == [edit.op_id, later.op_id]
    [rejected] = answer["rejected"]
    assert rejected["op_id"] == resolve.op_id
    assert rejected["code"] == "sync.resolve_forbidden" and rejected["retryable"] is False
    assert "tab-enumerator" in rejected["message"]
    assert [c["path"] for c in conflicts_of(live, tablet, record)] == ["toilet"]

    # A leader's device settles it.
    leader = enrol_as(app, "leader", "tab-leader")
    answer = push(live, leader, [settle(leader, record, heads)])
    assert answer["rejected"] == [] and answer["conflicts"] == 0
    assert conflicts_of(live, tablet, record) == []


def test_only_active_leaders_and_admins_devices_may_resolve(
        app: Flask, live: LiveServer, form: tuple[str, str], tablet: Device,
        other_tablet: Device) -> None:
    record, heads = make_conflict(live, tablet, other_tablet)
    official = enrol_as(app, "official", "tab-official")
    gone = enrol_as(app, "leader", "tab-gone")
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == "leader-tab-gone")
                                  ).scalar_one()
        user.active = False
        db.session.commit()
    # A tablet enrolled with a command-line code is bound to nobody: `tablet` itself.
    for device in (official, gone, tablet):
        op = settle(device, record, heads)
        answer = push(live, device, [op])
        assert [(r["op_id"], r["code"]) for r in answer["rejected"]] == \
            [(op.op_id, "sync.resolve_forbidden")], device.id
    assert conflicts_of(live, tablet, record) != []

    admin = enrol_as(app, "admin", "tab-admin")
    answer = push(live, admin, [settle(admin, record, heads, "none")])
    assert answer["rejected"] == [] and answer["conflicts"] == 0
    assert conflicts_of(live, tablet, record) == []


def test_an_allowed_hub_relays_the_resolutions_made_on_its_web(
        app: Flask, live: LiveServer, form: tuple[str, str], tablet: Device,
        other_tablet: Device) -> None:
    record, heads = make_conflict(live, tablet, other_tablet)
    hub = enrol_device(app, "hub-kibera", "Kibera office")  # as `hesabu hub link` does
    hub_web = Device("hub", "")  # the hub's node id writes its web resolutions
    own = settle(hub, record, heads)
    assert [r["code"] for r in push(live, hub, [own])["rejected"]] == ["sync.resolve_forbidden"]
    with app.app_context():
        allow_relay("hub-kibera")
    relayed = settle(hub_web, record, heads, "none")
    answer = push(live, hub, [relayed])
    assert answer["acked"] == [relayed.op_id] and answer["rejected"] == []
    assert conflicts_of(live, tablet, record) == []


def test_web_resolutions_still_apply_after_a_tablet_was_refused(
        app: Flask, live: LiveServer, form: tuple[str, str], tablet: Device,
        other_tablet: Device) -> None:
    record, heads = make_conflict(live, tablet, other_tablet)
    enumerator = enrol_as(app, "enumerator", "tab-enumerator")
    assert push(live, enumerator, [settle(enumerator, record, heads)])["rejected"]
    with app.app_context():
        cid = db.session.execute(select(Conflict.id).where(
            Conflict.record_id == record, Conflict.resolved_at_seq.is_(None))).scalar_one()
        db.session.rollback()
        done = resolve_conflict(cid, "communal", user="leader-neema")
        assert db.session.get(Conflict, cid).resolved_at_seq is not None
        db.session.rollback()
    assert done.op_id and conflicts_of(live, tablet, record) == []


def device_bundle(device: Device, key: str, ops: list[Op]) -> bytes:
    """A bundle as a tablet writes it (field_app.core.bundles.export_bundle)."""
    texts = [op.canonical() for op in ops]
    wire = [json.loads(text) for text in texts]
    out = io.BytesIO()
    writer = BundleWriter(out)
    writer.add(OPS, "".join(text + "\n" for text in texts).encode("utf-8"))
    writer.finish({"kind": DEVICE_BUNDLE, "bundle_id": new_uuid7(), "source": device.id,
                   "source_key": bundle_crypto.public_key(key), "target": "server",
                   "created_hlc": device.clock.last, "cursor": 0, "ops": op_range(wire),
                   "forms": form_versions(wire), "attachments": 0},
                  lambda data: bundle_crypto.sign(key, data))
    return out.getvalue()


def test_a_bundle_from_an_enumerators_tablet_has_its_resolve_op_rejected(
        app: Flask, live: LiveServer, form: tuple[str, str], tablet: Device,
        other_tablet: Device) -> None:
    record, heads = make_conflict(live, tablet, other_tablet)
    keys = {name: bundle_crypto.new_private_key() for name in ("enumerator", "leader")}
    enumerator = enrol_as(app, "enumerator", "tab-enumerator",
                          public_key=bundle_crypto.public_key(keys["enumerator"]))
    leader = enrol_as(app, "leader", "tab-leader",
                      public_key=bundle_crypto.public_key(keys["leader"]))
    edit, resolve = enumerator.op(fields={"head_name": "Zawadi"}), settle(enumerator, record,
                                                                          heads)
    with app.app_context():
        result = import_bundle(io.BytesIO(device_bundle(enumerator, keys["enumerator"],
                                                        [edit, resolve])))
    assert result.acked == (edit.op_id,)
    assert [(r.op_id, r.code, r.retryable) for r in result.rejected] == \
        [(resolve.op_id, "sync.resolve_forbidden", False)]
    assert conflicts_of(live, tablet, record) != []

    with app.app_context():
        register_device_key(leader.id, bundle_crypto.public_key(keys["leader"]))
        result = import_bundle(io.BytesIO(device_bundle(leader, keys["leader"], [
            settle(leader, record, heads)])))
    assert result.rejected == () and len(result.acked) == 1
    assert conflicts_of(live, tablet, record) == []


def test_the_permission_is_looked_up_once_per_batch_and_only_for_resolve_ops(
        app: Flask, form: tuple[str, str], tablet: Device) -> None:
    statements: list[str] = []
    record = new_uuid7()
    edits = [tablet.op(fields={"n": i}) for i in range(200)]
    few = [settle(tablet, record, [new_uuid7()])]
    many = [settle(tablet, record, [new_uuid7()]) for _ in range(100)]
    with app.app_context():
        engine = db.engine

        def count(*_: Any) -> None:
            statements.append("x")

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert resolve_rejections(tablet.id, edits) == (edits, [])
            assert statements == []
            kept, rejected = resolve_rejections(tablet.id, [*edits, *few])
            assert kept == edits and len(rejected) == 1
            once = len(statements)
            statements.clear()
            kept, rejected = resolve_rejections(tablet.id, [*edits, *many])
            assert kept == edits and len(rejected) == 100
            assert 0 < len(statements) == once
        finally:
            event.remove(engine, "before_cursor_execute", count)


def test_where_any_device_may_relay_a_relayed_resolve_passes_but_not_its_own(
        make_app: Any) -> None:
    from server_harness import publish_test_form

    app = make_app(HESABU_RELAY_ONLY_FROM_HUBS=False)
    publish_test_form(app)
    a, b = enrol_device(app, "tab-a", "a"), enrol_device(app, "tab-b", "b")
    hub = enrol_device(app, "hub-kibera", "Kibera office")  # never allowed
    with LiveServer(app) as server:
        record, heads = make_conflict(server, a, b)
        own = settle(hub, record, heads)
        answer = push(server, hub, [own])
        assert [r["code"] for r in answer["rejected"]] == ["sync.resolve_forbidden"]
        relayed = settle(Device("hub", ""), record, heads, "none")  # its web's node id
        answer = push(server, hub, [relayed])
        assert answer["acked"] == [relayed.op_id] and answer["rejected"] == []
        assert conflicts_of(server, a, record) == []
