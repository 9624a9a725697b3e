"""Federation isolation, proven (issue 14): every route of `app.url_map` (so a route
added later is covered, or fails here for want of a path value), called by every kind
of caller of federation B with the ids of federation A's objects, reads nothing of A
and changes nothing of A.

Federation A has people of every role, a tablet, a leader's tablet, a hub, a photo, a
structure and a household (the household sent from ODK Collect), a conflict, a review,
an unused enrolment code, API tokens and Collect access. Federation B has a leader, an
enumerator, an official, a tablet, a hub and a Collect phone. Each of B's callers sends
every method of every route: reads with A's ids, writes with a body that names A's
objects in every field a write could take. Then

- no answer carries anything of A (names, ids, answers, the photo, the code, tokens),
  unless the request itself sent it (an error may repeat the id it was asked about);
- no answer is a server error;
- every row of the database that changed mentions nothing of A, and A's photo file is
  as it was.

One app and one SQLite database for the module (the found items themselves run on
PostgreSQL too in test_federation_found.py).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from personas import ApiClient, People, login_client, make_personas, password_hash
from server_harness import Device, push_body, wipe
from sqlalchemy import select, text
from werkzeug.routing import Rule

from forms import load_form
from forms.submission import write_instance
from server.app import create_app
from server.auth.access import COLLECT, DEVICE, rule_for
from server.auth.credentials import session_stamp
from server.extensions import Base, db
from server.models import ApiToken, Conflict, RelayDevice, User
from server.services.accounts import create_api_token, create_user
from server.services.forms import publish_form
from server.services.openrosa_auth import issue_access
from sync.ids import new_uuid7
from sync.ops import EDIT, make_op

ROOT = Path(__file__).resolve().parents[2]
STRUCTURE, HOUSEHOLD = "sdi_structure_numbering", "sdi_household_enumeration"
PHOTO = os.urandom(4096)
SHA = hashlib.sha256(PHOTO).hexdigest()
WRITES = {"POST", "PATCH", "PUT", "DELETE"}
#: What an answer holding A's photo counts as (its hash is in the URL B asks for).
PHOTO_SHOWN = "<the bytes of A's photo>"
#: Routes that no caller of B can use on A's behalf in any way worth sending (logging
#: out ends the caller's own session; the language is a cookie of the caller's own).
OWN_ONLY = {"/logout", "/language"}


@dataclass
class World:
    app: Flask
    people: People
    #: Path parameter values: A's objects (the key URL token is B's own).
    values: dict[str, Any]
    #: Everything of A that must never reach B, as text.
    secrets: set[str]
    #: Ids of A's objects that must not appear in a changed database row.
    a_ids: set[str]
    b_callers: dict[str, Any]
    collect_b_token: str
    #: An enrolment code of B's leader (for B's enumerator): a takeover would spend it.
    code_b: str
    #: An OpenRosa instance that edits A's household (Collect's deprecatedID).
    edit_of_a: bytes


@functools.cache
def _form(form_id: str) -> Any:
    return load_form(ROOT / "forms" / "definitions" / f"{form_id}.xlsx")


def _push(app: Flask, device: Device, ops: list[Any]) -> None:
    reply = app.test_client().post("/api/sync/push", json=push_body(device, ops),
                                   headers=device.auth)
    assert reply.status_code == 200 and not reply.json["rejected"], reply.json


def _device(app: Flask, leader: ApiClient, user_id: str, device_id: str) -> Device:
    code = leader.post(f"/api/users/{user_id}/enrolment-codes", json={}).json["code"]
    reply = app.test_client().post("/api/devices/enrol", json={
        "code": code, "device_id": device_id, "name": f"{device_id} device"})
    assert reply.status_code == 201, reply.json
    return Device(device_id, reply.json["token"])


def _user(app: Flask, name: str, role: str, federation: str) -> tuple[str, str, str]:
    with app.app_context():
        user = create_user(name, "", role, federation, display_name=f"Person {name}",
                           password_hash=password_hash())
        found = (user.id, session_stamp(user), create_api_token(user.id, f"{name}")[1])
        db.session.commit()
    return found


def _structure(app: Flask, device: Device, version: str, settlement: str, number: str,
               photo: bool = False) -> Any:
    meta = {"attachments": {"door.jpg": {"sha256": SHA, "size": len(PHOTO),
                                         "type": "image/jpeg"}}} if photo else None
    op = make_op(EDIT, clock=device.clock, device_id=device.id, record_id=new_uuid7(),
                 form_id=STRUCTURE, form_version=version, heads={}, meta=meta,
                 fields={"settlement_id": settlement, "structure_number": number,
                         "storeys": 1})
    _push(app, device, [op])
    return op


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("isolation")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'hesabu.db'}",
                      "INSTANCE_PATH": str(folder / "instance"), "SECRET_KEY": "isolation",
                      "HESABU_PUBLIC_URL": "http://hesabu.test"})
    with app.app_context():
        for form_id in (STRUCTURE, HOUSEHOLD):
            publish_form(_form(form_id))
    people = make_personas(app)
    versions = {f: _form(f).version for f in (STRUCTURE, HOUSEHOLD)}
    enum_b = _user(app, "enumerator_b", "enumerator", people.federation_b)
    official_b = _user(app, "official_b", "official", people.federation_b)

    # Federation A: devices, a hub, a structure with its photo, a conflict, a review.
    leader_a = people.leader_a.api
    leader_tablet = _device(app, leader_a, people.leader_a.user_id, "tab-leader-a")
    hub_a = _device(app, leader_a, people.leader_a.user_id, "hub-a-office")
    structure = _structure(app, people.tablet_a, versions[STRUCTURE], people.s1,
                           "AAA-SECRET-0142", photo=True)
    reply = app.test_client().patch(f"/api/attachments/{SHA}", data=PHOTO, headers={
        **people.tablet_a.auth, "Upload-Offset": "0", "Upload-Length": str(len(PHOTO)),
        "Chunk-SHA256": SHA})
    assert reply.status_code == 200
    heads = {"storeys": [structure.op_id], "__deleted__": [structure.op_id]}
    for device, storeys in ((people.tablet_a, 2), (leader_tablet, 3)):
        _push(app, device, [make_op(EDIT, clock=device.clock, device_id=device.id,
                                    record_id=structure.record_id, form_id=STRUCTURE,
                                    form_version=versions[STRUCTURE], heads=heads,
                                    fields={"storeys": storeys})])
    code_a = leader_a.post(f"/api/users/{people.enumerator_a.user_id}/enrolment-codes",
                           json={}).json["code"]
    with app.app_context():
        db.session.add(RelayDevice(device_id=hub_a.id))
        db.session.commit()
        collect_a = issue_access(None, "enumerator_a", "http://hesabu.test")
        collect_b = issue_access(None, "enumerator_b", "http://hesabu.test")
        conflict_id = db.session.execute(select(Conflict.id)).scalar_one()
        token_id = db.session.execute(select(ApiToken.id).where(
            ApiToken.user_id == people.leader_a.user_id)).scalars().first()
        db.session.rollback()
    # A household from ODK Collect (A's enumerator's key URL), under A's structure.
    household = json.loads((ROOT / "forms" / "examples" / HOUSEHOLD
                            / "chs_2210_grandmother_owner.json").read_text())
    household["structure_id"] = structure.record_id
    household["household"]["head_name"] = "Wanjiku Asecretname"
    instance = write_instance(_form(HOUSEHOLD), household, "uuid:a-household-1")
    sent = app.test_client().post(f"/key/{collect_a.token}/submission", data={
        "xml_submission_file": (io.BytesIO(instance), "a.xml", "text/xml")},
        headers={"X-OpenRosa-Version": "1.0"})
    assert sent.status_code == 201, sent.data
    household["household"]["head_name"] = "B was here"
    edit_of_a = write_instance(_form(HOUSEHOLD), household, "uuid:b-edit-1",
                               "uuid:a-household-1")
    records = leader_a.get("/api/records?limit=10").json["records"]
    household_id = next(r["record_id"] for r in records if r["form_id"] == HOUSEHOLD)
    reviewed = leader_a.post(f"/api/records/{household_id}/review",
                             json={"state": "has_issues", "comment": "AAA review note"})
    assert reviewed.status_code in (200, 201), reviewed.json

    # Federation B: a tablet, a hub (allowed to relay), their own structure.
    leader_b = people.leader_b.api
    tablet_b = _device(app, leader_b, enum_b[0], "tab-b")
    hub_b = _device(app, leader_b, people.leader_b.user_id, "hub-b-office")
    with app.app_context():
        db.session.add(RelayDevice(device_id=hub_b.id))
        db.session.commit()
    _structure(app, tablet_b, versions[STRUCTURE], people.s3, "BBB-0001")
    code_b = leader_b.post(f"/api/users/{enum_b[0]}/enrolment-codes", json={}).json["code"]

    a_people = (people.leader_a, people.enumerator_a, people.official_a)
    secrets = {PHOTO_SHOWN, "AAA-SECRET-0142", "Wanjiku Asecretname", "AAA review note",
               "Kibera Soweto East", "Mathare 4A", code_a, collect_a.token,
               collect_a.password, structure.record_id, household_id, people.s1,
               people.s2, people.tablet_a.id, people.tablet_a.token, leader_tablet.id,
               hub_a.id, SHA, "Leader A", "Enumerator A", "Official A",
               *(p.user_id for p in a_people),
               *(p.api.token for p in a_people), *(p.username for p in a_people)}
    values = {"user_id": people.enumerator_a.user_id, "settlement_id": people.s1,
              "device_id": people.tablet_a.id, "token_id": token_id,
              "record_id": household_id, "conflict_id": conflict_id, "sha256": SHA,
              "form_id": HOUSEHOLD, "version": versions[HOUSEHOLD], "fmt": "csv",
              "name": "Nairobi", "filename": "hesabu.css", "token": collect_b.token}
    with app.app_context():
        stamp_b = session_stamp(db.session.get(User, people.leader_b.user_id))
        db.session.rollback()
    b_callers = {"tablet_b": tablet_b, "hub_b": hub_b, "enumerator_b": enum_b,
                 "official_b": official_b,
                 "leader_b": (people.leader_b.user_id, stamp_b, leader_b.token)}
    yield World(app, people, values, {s for s in secrets if s},
                {people.federation_a, people.s1, people.s2, structure.record_id,
                 household_id, people.tablet_a.id, leader_tablet.id, hub_a.id, SHA,
                 *(p.user_id for p in a_people)},
                b_callers, collect_b.token, code_b, edit_of_a)
    with app.app_context():
        db.session.remove()
        wipe()
        db.engine.dispose()


def write_body(world: World) -> dict[str, Any]:
    """A body naming A's objects in every field a write of any route might take."""
    p, v = world.people, world.values
    return {"user_id": v["user_id"], "settlement_id": v["settlement_id"],
            "federation_id": p.federation_a, "device_id": v["device_id"],
            "record_id": v["record_id"], "state": "approved", "comment": "B was here",
            "fields": {"household/head_name": "B was here"}, "value": "B was here",
            "choice": "0", "path": "household/head_name", "display_name": "B was here",
            "username": "b_made_user", "password": "B was here 12345", "role": "leader",
            "name": "B made", "city": "Nairobi", "country": "Kenya", "active": "0",
            "ttl_hours": 1, "note": "B was here", "code": world.code_b}


def build_url(rule: Rule, values: dict[str, Any]) -> str:
    missing = set(rule.arguments) - set(values)
    assert not missing, f"{rule.rule}: add a value of federation A for {missing}"
    built = rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)
    assert built is not None
    return built[1]


def answer_text(reply: Any) -> str:
    data = reply.get_data()
    reply.close()
    if data[:2] == b"PK":  # an xlsx or zip download: look inside
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            data = b"".join(archive.read(n) for n in archive.namelist())
    if PHOTO in data:
        return PHOTO_SHOWN
    return data.decode("utf-8", "replace")


def call(world: World, caller: str, kind: str, method: str, url: str) -> tuple[Any, str]:
    """One request of B's `caller`; returns the answer and the request's own text."""
    app, body = world.app, write_body(world)
    sent = url + (json.dumps(body) if method in WRITES else "")
    who = world.b_callers[caller]
    if isinstance(who, Device):
        client = app.test_client()
        if url.endswith("/sync/push"):
            relayed = make_op(EDIT, clock=who.clock,
                              device_id=who.id if caller == "tablet_b" else
                              world.people.tablet_a.id,
                              record_id=world.values["record_id"], form_id=HOUSEHOLD,
                              form_version=world.values["version"], heads={},
                              fields={"household/head_name": "B was here"})
            return client.post(url, json=push_body(who, [relayed]), headers=who.auth), sent
        if method == "PATCH":
            return client.patch(url, data=b"B" * 10, headers={
                **who.auth, "Upload-Offset": "0", "Upload-Length": str(len(PHOTO)),
                "Chunk-SHA256": hashlib.sha256(b"B" * 10).hexdigest()}), sent
        return client.open(url, method=method, headers=who.auth,
                           **({"json": body} if method in WRITES else {})), sent
    if kind == COLLECT:
        key_url = url if url.startswith("/key/") else f"/key/{world.collect_b_token}{url}"
        files = {"xml_submission_file": (io.BytesIO(world.edit_of_a), "b.xml", "text/xml")}
        return app.test_client().open(key_url, method=method, headers={
            "X-OpenRosa-Version": "1.0"}, **({"data": files} if method == "POST" else {})
        ), sent
    user_id, stamp, token = who
    if url.startswith("/api/"):
        api = ApiClient(app, token)
        if method not in WRITES:
            return api.open(url, method), sent
        return _json_write(api, url, method, body), sent
    client = login_client(app, user_id, stamp)
    form = {k: v for k, v in body.items() if not isinstance(v, dict)}
    return client.open(url, method=method, **({"data": form} if method in WRITES else {})
                       ), sent


def _json_write(api: ApiClient, url: str, method: str, body: dict[str, Any]) -> Any:
    """Send `body`, dropping the fields the endpoint's schema does not know (it refuses
    unknown fields), so that the write reaches the check that matters."""
    body = dict(body)
    while True:
        reply = api.open(url, method, json=body)
        error = reply.get_json(silent=True) if reply.status_code == 422 else None
        fields = ((error or {}).get("error", {}).get("details") or {}).get("fields") or {}
        unknown = {k for k, v in fields.items() if k in body and "Unknown field." in v}
        if not unknown:
            return reply
        reply.close()
        body = {k: v for k, v in body.items() if k not in unknown}


def database_rows(app: Flask) -> set[tuple[str, str]]:
    with app.app_context():
        rows = {(table.name, json.dumps([str(v) for v in row], ensure_ascii=False))
                for table in Base.metadata.sorted_tables
                for row in db.session.execute(text(f'SELECT * FROM "{table.name}"'))}
        db.session.rollback()
    return rows


def callers_for(kind: str) -> list[str]:
    if kind == DEVICE:
        return ["tablet_b", "hub_b"]
    if kind == COLLECT:
        return ["enumerator_b"]
    return ["leader_b", "enumerator_b", "official_b"]


def test_federation_b_reads_and_writes_nothing_of_federation_a(world: World) -> None:
    app = world.app
    # The indicator facts are a cache refreshed by the first read: refresh it now, as A.
    assert world.people.leader_a.api.get("/api/cities").status_code == 200
    before = database_rows(app)
    photo = Path(app.instance_path) / "attachments" / SHA[:2] / SHA
    leaks: list[str] = []
    checked = 0
    # The devices pages list B's own refused pushes, naming the record B tried to write.
    echoes = {"/devices": world.values["record_id"], "/api/devices": world.values["record_id"]}
    for url_rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if url_rule.rule in OWN_ONLY or url_rule.endpoint.endswith("static"):
            continue
        access = rule_for(url_rule.endpoint, app.view_functions[url_rule.endpoint])
        assert access is not None, url_rule.rule
        url = build_url(url_rule, world.values)
        for method in sorted((url_rule.methods or set()) - {"OPTIONS"}):
            for caller in callers_for(access.kind):
                reply, sent = call(world, caller, access.kind, method, url)
                sent += echoes.get(url, "")
                found = answer_text(reply)
                checked += 1
                if reply.status_code >= 500:
                    leaks.append(f"{method} {url} as {caller}: {reply.status_code}")
                shown = sorted(s for s in world.secrets if s in found and s not in sent)
                if shown:
                    at = found.find(shown[0])
                    leaks.append(f"{method} {url} as {caller} ({reply.status_code}) "
                                 f"shows {shown}: ...{found[max(0, at - 80):at + 80]}...")
    assert checked > 150, checked
    changed = before ^ database_rows(app)
    own = [f'["{d.id}", ' for d in world.b_callers.values() if isinstance(d, Device)]
    leaks += sorted(f"a row of federation A changed in {table}: {row}"
                    for table, row in changed
                    if any(a_id in row for a_id in world.a_ids)
                    # B's devices' own refused ops (they name the record B tried)
                    and not (table == "op_refusals" and row.startswith(tuple(own))))
    assert leaks == [], "\n".join(leaks)
    assert photo.read_bytes() == PHOTO


def test_a_sees_its_own_objects_so_the_matrix_proves_something(world: World) -> None:
    """The same calls as A's leader do show A's data: B's empty answers are not empty
    because there was nothing to see."""
    leader = world.people.leader_a.api
    v = world.values
    assert "Wanjiku Asecretname" in leader.get(f"/api/records/{v['record_id']}").get_data(
        as_text=True)
    assert leader.get("/api/conflicts").json["conflicts"]
    assert any(d["id"] == v["device_id"] for d in leader.get("/api/devices").json)
    got = world.app.test_client().get(f"/api/attachments/{SHA}",
                                      headers=world.people.tablet_a.auth)
    assert got.status_code == 200 and got.get_data() == PHOTO
    got.close()
