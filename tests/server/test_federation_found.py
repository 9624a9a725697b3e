"""Issue 14, found items: a device taken across federations, photos read across
federations, personal data cached. Each test failed before its fix (SQLite and
PostgreSQL)."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import pytest
from flask import Flask
from personas import People, make_personas
from server_harness import Device, push_body
from test_web_review import FORM, structure_form

from server.extensions import db
from server.models import DeviceAccount
from server.services.forms import publish_form
from sync import bundle_crypto
from sync.ids import new_uuid7
from sync.ops import EDIT, make_op

PHOTO = os.urandom(20_000)
SHA = hashlib.sha256(PHOTO).hexdigest()


@pytest.fixture
def people(app: Flask) -> People:
    with app.app_context():
        publish_form(structure_form())
    return make_personas(app)


def code_for(people: People, leader: Any, user_id: str) -> str:
    reply = leader.api.post(f"/api/users/{user_id}/enrolment-codes", json={})
    assert reply.status_code == 201, reply.json
    return str(reply.json["code"])


def enrol(app: Flask, code: str, device_id: str, private_key: str | None = None,
          token: str | None = None, public_key: str | None = None) -> Any:
    body: dict[str, Any] = {"code": code, "device_id": device_id, "name": device_id}
    if private_key:
        body["public_key"] = public_key or bundle_crypto.public_key(private_key)
        body["signature"] = bundle_crypto.sign(private_key, bundle_crypto.enrolment_proof_message(
            code, device_id, bundle_crypto.public_key(private_key))).hex()
    elif public_key:
        body["public_key"] = public_key
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return app.test_client().post("/api/devices/enrol", json=body, headers=headers)


def pulls(app: Flask, device: Device) -> int:
    return app.test_client().get("/api/sync/pull?cursor=0", headers=device.auth).status_code


def device_ids(people: People, leader: Any) -> set[str]:
    reply = leader.api.get("/api/devices")
    assert reply.status_code == 200
    return {d["id"] for d in reply.json}


# -- 1. device takeover ----------------------------------------------------------------
def test_another_federation_cannot_take_a_device_by_its_id(app: Flask, people: People) -> None:
    code_b = code_for(people, people.leader_b, people.leader_b.user_id)
    taken = enrol(app, code_b, people.tablet_a.id)
    assert taken.status_code == 403, taken.json
    assert taken.json["error"]["code"] == "auth.device_taken"
    assert "federation" in taken.json["error"]["message"]
    # A's tablet goes on syncing, stays A's, and B's code was not spent on it.
    assert pulls(app, people.tablet_a) == 200
    assert people.tablet_a.id in device_ids(people, people.leader_a)
    assert people.tablet_a.id not in device_ids(people, people.leader_b)
    assert enrol(app, code_b, "tab-of-b").status_code == 201
    # B cannot revoke it either.
    revoked = people.leader_b.api.post(f"/api/devices/{people.tablet_a.id}/revoke", json={})
    assert revoked.status_code in (403, 404) and pulls(app, people.tablet_a) == 200


def test_a_keyed_device_proves_it_holds_its_key(app: Flask, people: People) -> None:
    key = bundle_crypto.new_private_key()
    first = enrol(app, code_for(people, people.leader_a, people.enumerator_a.user_id),
                  "tab-keyed", private_key=key)
    assert first.status_code == 201, first.json
    token = first.json["token"]
    # The id alone (even with the right public key and A's own code) is not enough.
    bare = enrol(app, code_for(people, people.leader_a, people.enumerator_a.user_id),
                 "tab-keyed", public_key=bundle_crypto.public_key(key))
    assert bare.status_code == 403 and bare.json["error"]["code"] == "auth.device_taken"
    other = enrol(app, code_for(people, people.leader_a, people.enumerator_a.user_id),
                  "tab-keyed", private_key=bundle_crypto.new_private_key())
    assert other.status_code == 403 and other.json["error"]["code"] == "auth.device_taken"
    # An admin's code does not skip the proof either.
    admin_code = code_for(people, people.admin, people.admin.user_id)
    assert enrol(app, admin_code, "tab-keyed").status_code == 403
    assert pulls(app, Device("tab-keyed", token)) == 200
    # The tablet itself: its signature, or (a client that cannot sign) its current token.
    signed = enrol(app, code_for(people, people.leader_a, people.enumerator_a.user_id),
                   "tab-keyed", private_key=key)
    assert signed.status_code == 201, signed.json
    by_token = enrol(app, code_for(people, people.leader_a, people.enumerator_a.user_id),
                     "tab-keyed", token=signed.json["token"],
                     public_key=bundle_crypto.public_key(key))
    assert by_token.status_code == 201, by_token.json
    assert pulls(app, Device("tab-keyed", by_token.json["token"])) == 200


def test_a_wrong_signature_is_refused_for_a_new_id_too(app: Flask, people: People) -> None:
    code = code_for(people, people.leader_a, people.enumerator_a.user_id)
    body = {"code": code, "device_id": "tab-new", "name": "new",
            "public_key": bundle_crypto.public_key(bundle_crypto.new_private_key()),
            "signature": "ab" * 64}
    reply = app.test_client().post("/api/devices/enrol", json=body)
    assert reply.status_code == 422 and "signature" in reply.json["error"]["details"]["fields"]


def test_an_admin_may_move_an_unkeyed_device(app: Flask, people: People) -> None:
    admin_code = code_for(people, people.admin, people.leader_b.user_id)
    moved = enrol(app, admin_code, people.tablet_a.id)
    assert moved.status_code == 201, moved.json
    with app.app_context():
        assert db.session.get(DeviceAccount, people.tablet_a.id).federation_id == \
            people.federation_b


# -- 2. photos across federations ------------------------------------------------------------
def upload(app: Flask, device: Device) -> None:
    reply = app.test_client().patch(f"/api/attachments/{SHA}", data=PHOTO, headers={
        **device.auth, "Upload-Offset": "0", "Upload-Length": str(len(PHOTO)),
        "Chunk-SHA256": SHA, "Content-Type": "application/offset+octet-stream"})
    assert reply.status_code == 200 and reply.headers["Upload-Complete"] == "1"


def structure_with_photo(app: Flask, device: Device, settlement: str) -> str:
    record_id = new_uuid7()
    op = make_op(EDIT, clock=device.clock, device_id=device.id, record_id=record_id,
                 form_id=FORM, form_version="1", heads={},
                 fields={"settlement_id": settlement, "structure_number": "7"},
                 meta={"attachments": {"door.jpg": {"sha256": SHA, "size": len(PHOTO),
                                                    "type": "image/jpeg"}}})
    reply = app.test_client().post("/api/sync/push", json=push_body(device, [op]),
                                   headers=device.auth)
    assert reply.status_code == 200 and not reply.json["rejected"], reply.json
    return record_id


def answers(app: Flask, device: Device, sha: str) -> tuple[Any, Any]:
    client = app.test_client()
    got = client.get(f"/api/attachments/{sha}", headers=device.auth)
    head = client.head(f"/api/attachments/{sha}", headers=device.auth)
    for reply in (got, head):
        reply.get_data()
        reply.close()  # a sent file stays open until the response is closed
    return got, head


def device_of(app: Flask, people: People, leader: Any, user_id: str, device_id: str
              ) -> Device:
    reply = enrol(app, code_for(people, leader, user_id), device_id)
    assert reply.status_code == 201, reply.json
    return Device(device_id, reply.json["token"])


def test_a_photo_is_served_only_to_who_may_see_its_record(app: Flask, people: People) -> None:
    structure_with_photo(app, people.tablet_a, people.s1)
    upload(app, people.tablet_a)
    tablet_b = device_of(app, people, people.leader_b, people.leader_b.user_id, "tab-b")
    leader_a = device_of(app, people, people.leader_a, people.leader_a.user_id, "tab-la")

    own, own_head = answers(app, people.tablet_a, SHA)  # the uploader reads it back
    assert own.status_code == 200 and own.data == PHOTO
    assert own_head.headers["Upload-Complete"] == "1"
    seen, _ = answers(app, leader_a, SHA)  # A's leader pulls the structure
    assert seen.status_code == 200 and seen.data == PHOTO

    missing = "f" * 64
    got, head = answers(app, tablet_b, SHA)
    none_got, none_head = answers(app, tablet_b, missing)
    assert got.status_code == none_got.status_code == 404
    assert got.json["error"]["code"] == none_got.json["error"]["code"] == "request.not_found"
    assert got.json["error"]["message"].replace(SHA, "X") == \
        none_got.json["error"]["message"].replace(missing, "X")
    assert head.status_code == none_head.status_code == 200
    for name in ("Upload-Offset", "Upload-Length", "Upload-Complete"):
        assert head.headers.get(name) == none_head.headers.get(name), name

    # B's own record naming the same bytes (B took the same photo) lets B see it.
    structure_with_photo(app, tablet_b, people.s3)
    got, _ = answers(app, tablet_b, SHA)
    assert got.status_code == 200 and got.data == PHOTO


# -- 3. caches and HSTS -------------------------------------------------------------------
def test_personal_data_is_never_cached_and_https_gets_hsts(app: Flask, people: People
                                                           ) -> None:
    record_id = structure_with_photo(app, people.tablet_a, people.s1)
    upload(app, people.tablet_a)
    replies = {
        "api record": people.leader_a.api.get(f"/api/records/{record_id}"),
        "record page": people.leader_a.client.get(f"/records/{record_id}"),
        "api me": people.leader_a.api.get("/api/me"),
        "photo": app.test_client().get(f"/api/attachments/{SHA}",
                                       headers=people.tablet_a.auth),
        "pull": app.test_client().get("/api/sync/pull?cursor=0",
                                      headers=people.tablet_a.auth),
    }
    for name, reply in replies.items():
        reply.get_data()
        reply.close()
        assert reply.status_code == 200, name
        assert reply.headers.get("Cache-Control") == "no-store", name
        assert "Strict-Transport-Security" not in reply.headers, name
    asset = app.test_client().get("/assets/hesabu.css")
    asset.close()
    assert asset.status_code == 200 and asset.headers.get("Cache-Control") != "no-store"

    secure = people.leader_a.client.get(f"/records/{record_id}", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert secure.headers["Cache-Control"] == "no-store"


def test_hsts_behind_a_proxy_that_terminates_https(make_app: Any) -> None:
    app = make_app(HESABU_PROXIES=1)
    forwarded = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https",
                                                          "X-Forwarded-For": "10.0.0.9"})
    assert forwarded.headers["Strict-Transport-Security"] == "max-age=31536000"
    plain = app.test_client().get("/login", headers={"X-Forwarded-For": "10.0.0.9"})
    assert "Strict-Transport-Security" not in plain.headers
    # Without HESABU_PROXIES a client cannot claim https with a header.
    direct = make_app().test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in direct.headers
