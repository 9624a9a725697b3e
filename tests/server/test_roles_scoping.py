"""Records belong to settlements, settlements to federations: what each device pulls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from personas import People, make_personas
from server_harness import Device, LiveServer, enrol_device, publish_test_form, push_body, push_ok

from client.api import SyncApi
from client.transport import HttpTransport
from field_app.core import records
from field_app.core.store import open_store
from field_app.core.sync_runner import enrol, run_sync
from server.extensions import db
from server.models import Assignment, DeviceAccount, Record, Settlement
from server.services.scoping import (
    HOUSEHOLD_FORM,
    SETTLEMENT_FORM,
    STRUCTURE_FORM,
    record_settlement,
)
from sync.ids import new_uuid7


@pytest.fixture
def people(app: Flask) -> People:
    for form_id in (SETTLEMENT_FORM, STRUCTURE_FORM, HOUSEHOLD_FORM):
        publish_test_form(app, form_id, "1")
    return make_personas(app)


def bound_device(app: Flask, device_id: str, user_id: str | None,
                 federation_id: str | None) -> Device:
    device = enrol_device(app, device_id, device_id)
    with app.app_context():
        db.session.add(DeviceAccount(device_id=device_id, user_id=user_id,
                                     federation_id=federation_id))
        db.session.commit()
    return device


def push(app: Flask, device: Device, *records: tuple[str, str, dict[str, Any]]) -> None:
    push_ok(app, device, [device.op(record_id, fields, form_id=form_id, form_version="1")
                          for form_id, record_id, fields in records])


def pulled(app: Flask, device: Device) -> set[str]:
    answer = app.test_client().get("/api/sync/pull?cursor=0&limit=1000", headers=device.auth)
    assert answer.status_code == 200, answer.json
    return {c["op"]["record_id"] for c in answer.json["changes"] if c["type"] == "op"}


def settlement_of(app: Flask, record_id: str) -> str | None:
    with app.app_context():
        found = record_settlement(record_id)
        db.session.rollback()
    return found


def structure(settlement_id: str) -> tuple[str, str, dict[str, Any]]:
    return (STRUCTURE_FORM, new_uuid7(), {"settlement_id": settlement_id,
                                          "structure_number": "KSE-0001"})


def household(structure_id: str) -> tuple[str, str, dict[str, Any]]:
    return (HOUSEHOLD_FORM, new_uuid7(), {"structure_id": structure_id,
                                          "household/head_name": "Wanjiru"})


def test_an_enumerators_tablet_pulls_only_its_assigned_settlements(
        app: Flask, people: People) -> None:
    office = enrol_device(app, "office-laptop", "Office laptop")  # no user: sees everything
    s1_structure, s2_structure, s3_structure = (structure(s) for s in
                                                (people.s1, people.s2, people.s3))
    s1_household = household(s1_structure[1])
    push(app, people.tablet_a, s1_structure, s1_household)
    push(app, office, s2_structure, s3_structure)

    assert settlement_of(app, s1_household[1]) == people.s1
    assert settlement_of(app, s3_structure[1]) == people.s3
    assert pulled(app, people.tablet_a) == {s1_structure[1], s1_household[1]}
    assert pulled(app, office) == {s1_structure[1], s1_household[1], s2_structure[1],
                                   s3_structure[1]}
    leader_b_tablet = bound_device(app, "tab-leader-b", people.leader_b.user_id,
                                   people.federation_b)
    assert pulled(app, leader_b_tablet) == {s3_structure[1]}
    leader_a_tablet = bound_device(app, "tab-leader-a", people.leader_a.user_id,
                                   people.federation_a)
    assert pulled(app, leader_a_tablet) == {s1_structure[1], s1_household[1], s2_structure[1]}
    official_tablet = bound_device(app, "tab-official", people.official_a.user_id,
                                   people.federation_a)
    assert pulled(app, official_tablet) == set()


def test_a_household_pushed_before_its_structure_is_linked_when_it_arrives(
        app: Flask, people: People) -> None:
    later_structure = structure(people.s1)
    early_household = household(later_structure[1])
    push(app, people.tablet_a, early_household)
    assert settlement_of(app, early_household[1]) is None
    push(app, people.tablet_a, later_structure)
    assert settlement_of(app, early_household[1]) == people.s1
    assert early_household[1] in pulled(app, people.tablet_a)

    # The structure is corrected to another settlement: its households follow.
    push(app, people.tablet_a, (STRUCTURE_FORM, later_structure[1],
                                {"settlement_id": people.s2}))
    assert settlement_of(app, early_household[1]) == people.s2
    assert pulled(app, people.tablet_a) == set()


def test_a_new_settlement_profile_founds_a_settlement_of_the_devices_federation(
        app: Flask, people: People) -> None:
    profile_id = new_uuid7()
    early_structure = structure(profile_id)  # numbered before the profile was synced
    push(app, people.tablet_a, early_structure)
    assert settlement_of(app, early_structure[1]) is None
    push(app, people.tablet_a, (SETTLEMENT_FORM, profile_id, {
        "section_B/B7_Settlement_Name_Community": "Kosovo",
        "section_B/B5_City": "Nairobi"}))
    with app.app_context():
        found = db.session.get(Settlement, profile_id)
        assert found is not None
        assert (found.name, found.city, found.federation_id) == \
            ("Kosovo", "Nairobi", people.federation_a)
        assert db.session.get(Assignment, (people.enumerator_a.user_id, profile_id))
        db.session.rollback()
    assert settlement_of(app, early_structure[1]) == profile_id
    assert pulled(app, people.tablet_a) >= {profile_id, early_structure[1]}

    # Renamed in a later edit: the settlement's name follows.
    push(app, people.tablet_a, (SETTLEMENT_FORM, profile_id, {
        "section_B/B7_Settlement_Name_Community": "Kosovo Village"}))
    with app.app_context():
        assert db.session.get(Settlement, profile_id).name == "Kosovo Village"  # type: ignore[union-attr]
        db.session.rollback()


def test_a_profile_from_a_device_of_no_federation_founds_nothing(
        app: Flask, people: People) -> None:
    office = enrol_device(app, "office-laptop", "Office laptop")
    profile_id = new_uuid7()
    push(app, office, (SETTLEMENT_FORM, profile_id,
                       {"section_B/B7_Settlement_Name_Community": "Nowhere"}))
    assert settlement_of(app, profile_id) is None
    assert profile_id not in pulled(app, people.tablet_a)


def test_a_device_enrolled_with_a_code_made_for_an_enumerator_works_for_them(
        app: Flask, people: People) -> None:
    from server.models import User
    from server.services.devices import create_code_for

    with app.app_context():
        user = db.session.get(User, people.enumerator_a.user_id)
        assert user is not None
        offer = create_code_for(user, "http://hesabu.example:5000/", 1, None)
    assert offer.payload.startswith("hesabu://enrol?server=http%3A%2F%2Fhesabu.example")
    answer = app.test_client().post("/api/devices/enrol", json={
        "code": offer.code.lower(), "device_id": "tab-second", "name": "Second tablet"})
    assert answer.status_code == 201, answer.json
    with app.app_context():
        account = db.session.get(DeviceAccount, "tab-second")
        assert account is not None
        assert (account.user_id, account.federation_id) == \
            (people.enumerator_a.user_id, people.federation_a)
        db.session.rollback()
    second = Device("tab-second", answer.json["token"])
    s1_structure, s2_structure = structure(people.s1), structure(people.s2)
    push(app, people.tablet_a, s1_structure)
    push(app, enrol_device(app, "office", "Office"), s2_structure)
    assert pulled(app, second) == {s1_structure[1]}


def test_a_tablet_gets_a_newly_assigned_settlement_its_cursor_had_passed(
        app: Flask, people: People, live: LiveServer, tmp_path: Path) -> None:
    """With the real device store and sync runner: records of a settlement assigned
    after the tablet synced arrive on its next sync (the server asks it to pull from 0)."""
    office = enrol_device(app, "office-laptop", "Office laptop")
    s2_structure = structure(people.s2)
    push(app, office, s2_structure)

    url = f"http://127.0.0.1:{live.port}"
    offer = people.leader_a.api.post(
        f"/api/users/{people.enumerator_a.user_id}/enrolment-codes", json={}).json
    store = open_store(tmp_path / "tablet.db", device_name="Enumerator A's second tablet")
    api = SyncApi(HttpTransport(url))
    enrol(store, api, offer["code"])
    api.transport.close()

    def sync() -> None:
        api = SyncApi(HttpTransport(url, store.device.token))
        try:
            summary = run_sync(store, api)
        finally:
            api.transport.close()
        assert summary.ok, summary.describe()

    sync()
    assert records.get_record(store, s2_structure[1]) is None
    assert store.cursor() > 0
    answer = people.leader_a.api.post("/api/assignments", json={
        "user_id": people.enumerator_a.user_id, "settlement_id": people.s2})
    assert answer.status_code == 201
    sync()
    found = records.get_record(store, s2_structure[1])
    assert found is not None and found["answers"]["settlement_id"] == people.s2
    # Asked once: the next pulls go on from the cursor.
    token = {"Authorization": f"Bearer {store.device.token}"}
    again = app.test_client().get(f"/api/sync/pull?cursor={store.cursor()}", headers=token)
    assert again.status_code == 200
    store.close()


def test_a_device_cannot_move_records_into_or_out_of_another_federation(
        app: Flask, people: People) -> None:
    tablet_b = bound_device(app, "tab-b", people.leader_b.user_id, people.federation_b)
    a_structure = structure(people.s1)
    push(app, people.tablet_a, a_structure)
    # B's tablet may not change A's structure at all (here: point it at B's settlement).
    edit = tablet_b.op(a_structure[1], {"settlement_id": people.s3,
                                        "structure_number": "HIJACKED"},
                       form_id=STRUCTURE_FORM, form_version="1")
    answer = app.test_client().post("/api/sync/push", json=push_body(tablet_b, [edit]),
                                    headers=tablet_b.auth)
    assert answer.status_code == 200, answer.json
    assert answer.json["acked"] == []
    assert [(r["op_id"], r["code"], r["retryable"]) for r in answer.json["rejected"]] == [
        (edit.op_id, "sync.record_forbidden", False)]
    assert settlement_of(app, a_structure[1]) == people.s1
    with app.app_context():
        stored = db.session.get(Record, a_structure[1])
        assert stored is not None and stored.fields["structure_number"] == "KSE-0001"
        db.session.rollback()
    # An office laptop (a device of no federation) may correct it.
    office = enrol_device(app, "office-laptop", "Office laptop")
    push(app, office, (STRUCTURE_FORM, a_structure[1], {"structure_number": "KSE-0001A"}))
    # B's tablet files a new structure under A's settlement: it is linked nowhere.
    sneaky = structure(people.s1)
    push(app, tablet_b, sneaky)
    assert settlement_of(app, sneaky[1]) is None
    assert sneaky[1] not in pulled(app, people.tablet_a)
    # A's own tablet still moves its records between A's settlements.
    push(app, people.tablet_a, (STRUCTURE_FORM, a_structure[1], {"settlement_id": people.s2}))
    assert settlement_of(app, a_structure[1]) == people.s2
