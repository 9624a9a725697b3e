"""The field app through its real widgets, offscreen, against a real server on loopback.

Each scenario runs in its own process (driver.py): Kivy keeps one app per process,
and the crash test needs a process to kill.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from client.api import SyncApi
from client.transport import HttpTransport
from field_app.core import encryption, records
from field_app.core.app_state import AppState
from field_app.core.attachments import SEALED_FILE
from field_app.core.store import open_store
from field_app.core.sync_runner import enrol, run_sync
from field_app.core.vault import parse_recovery_key
from forms.loader import load_form
from server.services.device_accounts import enrolment_payload
from server.tls import self_signed

HERE = Path(__file__).resolve().parent
FORMS = HERE.parents[2] / "forms" / "definitions"
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from flaskhub import FlaskHub  # noqa: E402


def run_driver(scenario: str, args: dict, tmp: Path, timeout: float = 150) -> dict:
    env = {**os.environ, "KIVY_HOME": str(tmp / "kivy"), "DRIVER_TIMEOUT": str(timeout - 10)}
    proc = subprocess.run([sys.executable, str(HERE / "driver.py"), scenario, json.dumps(args)],
                          capture_output=True, text=True, timeout=timeout, env=env)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, f"driver {scenario} failed:\n{proc.stderr[-6000:]}"
    return json.loads(lines[-1][len("RESULT "):])


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskHub]:
    """A server with the SDI forms, one settlement and one numbered structure in it,
    serving HTTPS as `hesabu serve --tls` does: tablets trust it by its pin."""
    tmp = tmp_path_factory.mktemp("hub")
    h = FlaskHub(tmp / "instance", forms=[], tls=self_signed(tmp / "instance", ["127.0.0.1"]))
    from server.services.forms import publish_form
    specs = {}
    with h.app.app_context():
        for name in ("sdi_settlement_profile", "sdi_structure_numbering",
                     "sdi_household_enumeration"):
            specs[name] = load_form(FORMS / f"{name}.xlsx")
            publish_form(specs[name])
    mapper = open_store(tmp / "mapper.db", device_name="mapper")
    api = SyncApi(HttpTransport(h.url, pins=h.pins))
    enrol(mapper, api, h.new_code())
    api.transport.close()
    for spec in specs.values():
        mapper.save_form(spec.to_dict())
    settlement = records.create_record(mapper, "sdi_settlement_profile",
                                       specs["sdi_settlement_profile"].version,
                                       {"settlement_name": "Soweto East"})
    structure = records.create_record(mapper,
        "sdi_structure_numbering", specs["sdi_structure_numbering"].version,
        {"settlement_id": settlement, "structure_number": "KB-045"}, settlement_id=settlement)
    records.finalize(mapper, settlement)
    records.finalize(mapper, structure)
    api = SyncApi(HttpTransport(h.url, mapper.device.token, pins=h.pins))
    assert run_sync(mapper, api).ok
    api.transport.close()
    mapper.close()
    h.structure_id = structure
    yield h
    h.close()


@pytest.fixture(scope="module")
def full_run(hub: FlaskHub, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from field_app.core.qr import make_qr_png, write_png_gray

    tmp = tmp_path_factory.mktemp("app")
    code = hub.new_code()
    # The leader's QR code, with the server certificate's pin: the app enrols and syncs
    # over HTTPS by it (its first sync included).
    (tmp / "qr.png").write_bytes(make_qr_png(enrolment_payload(hub.url, code, *hub.pins)))
    (tmp / "cat.png").write_bytes(write_png_gray(50, 50, bytes(2500)))
    facts = run_driver("full", {"store": str(tmp / "tablet.db"), "qr": str(tmp / "qr.png"),
                                "not_qr": str(tmp / "cat.png"), "code": code,
                                "server": hub.url}, tmp)
    return {**facts, "store_files": sorted(tmp.glob("tablet.db*"))}


def server_record(hub: FlaskHub, record_id: str) -> dict[str, Any]:
    from server.extensions import db
    from server.models.records import Record
    with hub.app.app_context():
        row = db.session.get(Record, record_id)
        answers = dict(row.answers) if row is not None else None
        db.session.rollback()
    return answers


def without_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_ids(v) for k, v in value.items() if k != "__id"}
    if isinstance(value, list):
        return [without_ids(v) for v in value]
    return value


def test_enrol_fill_two_members_finalize_sync_and_the_server_holds_it(
        full_run: dict[str, Any], hub: FlaskHub) -> None:
    assert full_run["status"] == "finalized"
    assert full_run["sync_headline"].startswith("Sent: 1. Received:")
    answers = full_run["answers"]
    assert full_run["prefilled_number"] == "KB-045"
    assert answers["structure_id"] == hub.structure_id
    household = answers["household"]
    assert [m["member_name"] for m in household["members"]] == ["Amina Wanjiru", "Juma"]
    assert household["members"][1]["member_age"] == 3
    assert "schooling" not in household["members"][1]
    assert household["monthly_rent"] == 1500 and household["disasters"] == ["fires"]
    assert household["children_under_5"] == 1 and household["household_size"] == 2
    assert server_record(hub, full_run["record_id"]) == answers
    # The first PIN encrypted the store and showed its recovery key once.
    screen, key, button = full_run["recovery"]
    assert screen == "pin_set" and button == "I wrote it down"
    assert parse_recovery_key(key) is not None
    stored = b"".join(p.read_bytes() for p in full_run["store_files"])
    assert b"Amina Wanjiru" not in stored and b"Soweto East" not in stored
    assert without_ids(answers)["household"]["members"][0] == {
        "member_name": "Amina Wanjiru", "member_age": 34, "member_sex": "female",
        "relationship": "head", "schooling": "secondary", "occupation": "self_employed",
        "is_under_5": 0, "is_head": 1}


def test_enrolment_reads_the_leaders_qr_code_by_camera_or_picture(full_run: dict[str, Any],
                                                hub: FlaskHub) -> None:
    assert full_run["not_qr_message"].startswith("No QR code found in this picture.")
    server, code = full_run["qr_filled"]
    assert server == hub.url and hub.url.startswith("https://") and len(code) >= 12
    assert full_run["qr_picked"] == full_run["qr_filled"]


def test_enrolment_runs_off_the_ui_thread(full_run: dict[str, Any]) -> None:
    assert full_run["connecting"] == [True, "enrol", "Connecting..."]


def test_pages_are_the_form_groups_and_each_member(full_run: dict[str, Any]) -> None:
    assert full_run["pages"] == [
        "SDI household enumeration", "Household", "Household member 1/2",
        "Household member 2/2", "Household"]


def test_a_member_added_by_mistake_is_removed_after_confirming(
        full_run: dict[str, Any]) -> None:
    assert full_run["after_add"] == "Household member 3/3"
    assert full_run["after_remove"] == "Household member 2/2"


def test_a_relevance_rule_hides_a_question(full_run: dict[str, Any]) -> None:
    age30 = full_run["questions_age_30"]
    assert "household/members/1/schooling" in age30
    assert "household/members/1/occupation" in age30
    assert "household/members/1/schooling" not in full_run["questions_age_3"]
    assert "household/members/1/member_sex" in full_run["questions_age_3"]


def test_typing_that_shows_or_hides_questions_keeps_the_keyboard(
        full_run: dict[str, Any]) -> None:
    assert full_run["focus_when_shown"] == [True, True]
    assert full_run["focus_when_hidden"] == [True, 4]  # name, age, sex, relationship


def test_a_constraint_message_appears(full_run: dict[str, Any]) -> None:
    assert full_run["constraint_message"]
    assert full_run["constraint_after_fix"] == ""


def test_killing_the_app_mid_form_loses_no_answer(hub: FlaskHub, tmp_path: Path) -> None:
    store_path = tmp_path / "tablet.db"
    store = open_store(store_path)
    api = SyncApi(HttpTransport(hub.url, pins=hub.pins))
    enrol(store, api, hub.new_code())
    api.transport.close()
    api = SyncApi(HttpTransport(hub.url, store.device.token, pins=hub.pins))
    run_sync(store, api)
    api.transport.close()
    state = AppState(store)
    state.language = "en"
    state.set_pin("1357")
    store.close()
    args = {"store": str(store_path), "pin": "1357", "answers": 9}
    env = {**os.environ, "KIVY_HOME": str(tmp_path / "kivy")}
    with subprocess.Popen([sys.executable, str(HERE / "driver.py"), "partial",
                           json.dumps(args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, env=env) as proc:
        try:
            line = ""
            while not line.startswith("RESULT "):
                line = proc.stdout.readline()
                assert line or proc.poll() is None, proc.stderr.read()[-4000:]
            stopped = json.loads(line[len("RESULT "):])
        finally:
            proc.send_signal(signal.SIGKILL)  # mid-form, like a dead battery
            proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    # Meanwhile a leader commented on it (as a pulled review would leave it).
    store = open_store(store_path)
    with store.transaction() as db:
        db.execute("INSERT INTO review_notes (record_id, state, comment, reviewer, reviewed_at,"
                   " seq) VALUES (?, 'has_issues', 'Check the phone number', 'leader',"
                   " '2026-11-20T10:00:00Z', 3)", [stopped["record_id"]])
    store.close()
    shown = run_driver("resume", {"store": str(store_path), "pin": "1357"}, tmp_path)
    assert shown.pop("reopened") == ["form", "Household member 1/2",
                                     ["form", "Household member 1/2"]]
    assert shown.pop("title") == stopped["title"] == "Household member 1/2"
    assert shown.pop("marks") == ["! Leader's comment: Check the phone number"]
    assert shown.pop("notice") == "Leader's comment: Check the phone number"
    assert shown == {
        "structure_number": "KB-045", "household_in_structure": "1", "consent": "yes",
        "household/head_name": "Amina Wanjiru", "household/phone": "+254712345678",
        "household/members_count": "2",
        "household/members/0/member_name": "Amina Wanjiru",
        "household/members/0/member_age": "34", "household/members/0/member_sex": "female",
        "household/members/0/relationship": "head",
    }


def test_every_question_type_through_its_widget(tmp_path: Path) -> None:
    from types_form import types_tablet

    from field_app.core.qr import write_png_gray

    store_path = types_tablet(tmp_path / "tablet.db", "1357")
    photo = tmp_path / "door.png"
    photo.write_bytes(write_png_gray(8, 8, bytes(range(64))))
    got = run_driver("types", {"store": str(store_path), "pin": "1357",
                               "photo": str(photo)}, tmp_path)
    assert got["rooms_message"] == "At least one room."
    assert got["double_rooms_shown"] == "6"
    assert got["wards_before"] == [] and got["wards_mathare"] == ["mabatini"]
    assert got["note"] == "Thank Amina for the 3 rooms."  # ${name}, ${rooms} live
    assert got["gps_status"] == "Accuracy: 4.0 m. Good."
    assert got["shape_points"].startswith("Points: 3   Area: ")
    assert got["screen_after_finish"] == "home" and got["status"] == "finalized"
    answers = got["answers"]
    assert got["visit_field"] == "2025-02-28"  # day 30 clamped to February's last day
    assert answers.pop("visit") == "2025-02-28"
    at = answers.pop("at")
    assert len(at) == 5 and at.endswith(":15")
    stored = answers.pop("photo")  # the chosen PNG, stored as a JPEG of its own
    assert stored.endswith(".jpg") and stored != "door.png"
    assert answers == {
        "name": "Amina", "rooms": 3, "double_rooms": 6, "rent": 1500.5,
        "district": "mathare", "ward": "mabatini", "assets": ["radio", "fridge"],
        "gps": "-1.31331 36.78761 1701 4", "consent": "OK",
        "boundary": "-1.313 36.787 0 0;-1.313 36.788 0 0;-1.314 36.788 0 0;-1.313 36.787 0 0",
        "tag": "HH-000123"}
    assert got["font_growth"] == 1.25
    assert got["settings_title_sw"] == "Mipangilio"
    assert got["sync_button_sw"] == "Sinkronisha"
    [attachment] = got["attachments"]
    assert Path(attachment["path"]).name == stored
    # Sealed on disk (the tablet's PIN encrypted its store): 29 bytes of AES-GCM (a
    # version byte, the nonce and the tag) after the marker.
    sealed = Path(attachment["path"]).read_bytes()
    assert sealed.startswith(SEALED_FILE) and b"JFIF" not in sealed
    assert attachment["size"] == len(sealed) - len(SEALED_FILE) - 29
    assert photo.exists()  # the enumerator's own file is left as it was


def test_a_forgotten_pin_is_recovered_with_the_leaders_key_and_an_old_store_is_encrypted(
        tmp_path: Path) -> None:
    from field_app.core.app_state import _hash

    locked, old = tmp_path / "locked.db", tmp_path / "old.db"
    for path in (locked, old):
        with open_store(path) as store:
            store.set_server("http://127.0.0.1:9", token="t")
            AppState(store).language = "en"
            records.create_record(store, "hh", "1", {"head_name": "Amina Wanjiru"}, finalized=True)
    with open_store(locked) as store:
        recovery = AppState(store).set_pin("2468")
    with open_store(old) as store, store.transaction() as db:  # as an older app left it
        db.execute("UPDATE device SET pin_hash = ?", [_hash("1357", b"0123456789abcdef")])
    got = run_driver("pin_recovery", {"store": str(locked), "recovery": recovery}, tmp_path)
    shown, new_key = got.pop("new_key")
    assert shown == "pin_set" and got.pop("after_new_key") == "home"
    with open_store(locked) as store:
        assert encryption.unlock_with_recovery(store, new_key)
        assert not encryption.unlock_with_recovery(store, recovery)
    assert got == {
        "first": "pin_unlock", "wrong_pin": ["pin_unlock", "Wrong PIN. Try again."],
        "wrong_key": ["pin_unlock", "This recovery key does not open this tablet. Check it "
                                    "with your leader."],
        "after_key": "pin_set", "after_new_pin": "home", "unlocked_with_new_pin": "home"}
    assert b"Amina Wanjiru" in old.read_bytes()
    got = run_driver("pin_upgrade", {"store": str(old), "pin": "1357"}, tmp_path)
    # Sealing thousands of records takes seconds: off the UI thread, saying so.
    assert got["busy"] == [True, "Protecting the records on this tablet. This takes a "
                                 "moment."]
    screen_name, key, encrypted = got["shown"]
    assert screen_name == "pin_set" and parse_recovery_key(key) and encrypted
    assert got["then"] == "home"
    assert b"Amina Wanjiru" not in b"".join(p.read_bytes() for p in tmp_path.glob("old.db*"))
