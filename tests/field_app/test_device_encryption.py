"""Encryption at rest of the device store: a stolen store file gives no answers away.

Real SQLite files, the real reference server on loopback for sync, a real old store file
(tests/data/store/v5.db) for the upgrade. The Android Keystore is the one fake (its
Java API exists only on a tablet): `HardwareKeystore` keeps its key outside the file.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from PIL import Image
from refserver import RefServer
from sqlite_utils import Database

from client.api import SyncApi
from client.transport import HttpTransport
from field_app.core import attachments, encryption, outbox, records, reviews
from field_app.core.app_state import AppState, PinWaitError, _hash
from field_app.core.attachments import SEALED_FILE, add_attachment, thumbnail_bytes
from field_app.core.encryption import SCRUB_PENDING
from field_app.core.errors import StoreLockedError
from field_app.core.integrity import check_store
from field_app.core.listing import list_records, structures
from field_app.core.photos import thumbnail_path
from field_app.core.store import Store, open_store
from field_app.core.sync_runner import enrol, run_sync
from field_app.core.vault import VaultError, format_recovery_key, parse_recovery_key
from sync.messages import Change

ROOT = Path(__file__).resolve().parents[2]
V5 = ROOT / "tests" / "data" / "store" / "v5.db"
PIN = "2468"
#: Personal data the fixture store holds; none may be readable in the encrypted file.
SECRETS = ("Wanjiku Achieng", "0722 555 013", "ID 30412877", "Mathare 4B",
           "call her after the clinic")


class HardwareKeystore:
    """Plays the Android Keystore: AES-GCM under a key that is not in the store file."""

    name = "android-keystore"

    def __init__(self) -> None:
        self._aead = AESGCM(AESGCM.generate_key(256))

    def wrap(self, data: bytes) -> bytes:
        iv = os.urandom(12)
        return iv + self._aead.encrypt(iv, data, None)

    def unwrap(self, blob: bytes) -> bytes:
        return self._aead.decrypt(blob[:12], blob[12:], None)


def file_bytes(path: Path) -> bytes:
    """The store file and whatever SQLite keeps beside it (WAL, shared memory)."""
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"))
                    if p.exists())


def readable(data: bytes) -> list[str]:
    return [s for s in SECRETS if s.encode("utf-8") in data]


def fill(store: Store) -> dict[str, str]:
    """Households, a structure, an edited record, a conflict note and a review comment."""
    structure = records.create_record(store, "sdi_structure_numbering", "1",
                                      {"structure_number": "S-17", "settlement_id": "set-1"},
                                      settlement_id="set-1", finalized=True)
    household = records.create_record(store, "sdi_household_enumeration", "1", {
        "head_name": "Wanjiku Achieng", "phone": "0722 555 013", "id_number": "ID 30412877",
        "members": [{"__id": "m1", "name": "Otieno", "age": 4}]},
        settlement_id="set-1", structure_id=structure)
    records.save_answer(store, household, "address", "Mathare 4B")
    records.finalize(store, household)
    draft = records.create_record(store, "sdi_household_enumeration", "1",
                                  {"head_name": "Juma Said"})
    reviews.save_review_changes(store, [Change(7, "review", data={
        "record_id": household, "state": "has_issues",
        "comment": "call her after the clinic", "reviewer": "leader"})])
    return {"structure": structure, "household": household, "draft": draft}


@pytest.fixture(scope="module")
def server() -> RefServer:
    ref = RefServer()
    yield ref
    ref.close()


def sync(store: Store, server: RefServer) -> None:
    api = SyncApi(HttpTransport(server.url, store.device.token))
    try:
        if not store.device.token:
            enrol(store, api, server.new_code())
            api.transport.token = store.device.token
        summary = run_sync(store, api)
    finally:
        api.transport.close()
    assert summary.ok, summary.describe()


def test_a_store_in_clear_shows_the_answers_to_whoever_copies_it(tmp_path: Path) -> None:
    path = tmp_path / "tablet.db"
    with open_store(path) as store:
        fill(store)
    assert readable(file_bytes(path)) == list(SECRETS)


def test_the_encrypted_store_file_holds_no_answer_name_or_comment(tmp_path: Path) -> None:
    path = tmp_path / "tablet.db"
    with open_store(path) as store:
        ids = fill(store)
        before = {rid: records.get_record(store, rid)["answers"] for rid in ids.values()}
        queued = outbox.pending_queued(store)
        recovery = encryption.encrypt_store(store, PIN)
        assert parse_recovery_key(recovery) is not None
        assert readable(file_bytes(path)) == [], "the encrypting connection's own files"
        # The app keeps working on the same connection: a new edit is sealed too.
        records.save_answer(store, ids["household"], "phone", "0733 999 000")
    data = file_bytes(path)
    assert readable(data) == [] and b"0733 999 000" not in data
    with Database(path) as raw:  # what a thief's SQLite shows: ciphertext, no PIN hash
        answers = raw.execute("SELECT answers FROM records").fetchall()
        assert all(isinstance(a, bytes) for (a,) in answers)
        assert raw.execute("SELECT pin_hash FROM device").fetchone() == (None,)
        assert raw.execute("PRAGMA freelist_count").fetchone() == (0,)

    store = open_store(path)
    try:
        assert store.locked
        with pytest.raises(StoreLockedError):
            records.get_record(store, ids["household"])
        with pytest.raises(StoreLockedError):
            records.save_answer(store, ids["household"], "phone", "0700 000 000")
        assert not encryption.unlock(store, "1357")
        assert encryption.unlock(store, PIN)
        got = records.get_record(store, ids["household"])["answers"]
        assert got == {**before[ids["household"]], "phone": "0733 999 000"}
        assert [q.text for q in outbox.pending_queued(store)][:len(queued)] == \
            [q.text for q in queued], "the outbox sends the same op text as before"
        assert check_store(store) == []
        # The records list searches and sorts the sealed answers in memory.
        found = list_records(store, search="wanjiku")
        assert [r.record_id for r in found] == [ids["household"]]
        assert found[0].review_comment == "call her after the clinic"
        assert [r.title for r in list_records(store, sort="name")] == sorted(
            r.title for r in list_records(store))
        assert structures(store, "set-1") == [(ids["structure"], "S-17")]
    finally:
        store.close()


def test_a_leader_opens_a_store_whose_pin_is_forgotten_with_the_recovery_key(
        tmp_path: Path) -> None:
    path = tmp_path / "tablet.db"
    with open_store(path) as store:
        ids = fill(store)
        recovery = encryption.encrypt_store(store, PIN)
    with open_store(path) as store:
        state = AppState(store)
        assert not state.recover("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH")
        assert not state.recover("not a key")
        # Written down by hand: lower case, spaces, an O read as a zero.
        assert state.recover(recovery.lower().replace("-", " ").replace("o", "0"))
        household = records.get_record(store, ids["household"])
        assert household["answers"]["head_name"] == "Wanjiku Achieng"
        assert state.set_pin("8642", "8642") is None  # a new PIN for the same key
    with open_store(path) as store:
        assert not encryption.unlock(store, PIN) and encryption.unlock(store, "8642")
        assert encryption.unlock_with_recovery(store, recovery), "the recovery key keeps working"
        # Lost (or never written down): a new one replaces it, the old one stops working.
        replaced = AppState(store).new_recovery_key()
    with open_store(path) as store:
        assert not encryption.unlock_with_recovery(store, recovery)
        assert encryption.unlock_with_recovery(store, replaced) and encryption.unlock(store, "8642")


def test_after_five_wrong_pins_each_try_waits_longer(tmp_path: Path) -> None:
    path, now = tmp_path / "tablet.db", [1_000.0]
    with open_store(path) as store:
        AppState(store).set_pin(PIN)
    with open_store(path) as store:
        state = AppState(store, clock=lambda: now[0])
        for _ in range(4):
            assert not state.check_pin("0000")
        assert state.pin_wait_s() == 0
        assert not state.check_pin("0000")
        assert state.pin_wait_s() == 30
        with pytest.raises(PinWaitError, match="Try again in 30 seconds"):
            state.check_pin(PIN)  # even the right PIN waits: nothing is tried
        now[0] += 30
        assert not state.check_pin("1111") and state.pin_wait_s() == 60
    with open_store(path) as store:  # restarting the app does not reset it
        state = AppState(store, clock=lambda: now[0] + 59)
        assert state.pin_wait_s() == 1
        now[0] += 60
        assert state.check_pin(PIN) and not store.locked
        assert store.get_setting("pin_failures") is None
        assert not state.check_pin("0000") and state.pin_wait_s() == 0, "counting anew"


def test_with_the_keystore_a_copy_of_the_file_cannot_be_opened_with_the_pin_alone(
        tmp_path: Path) -> None:
    path = tmp_path / "tablet.db"
    keystore = HardwareKeystore()
    with open_store(path) as store:
        fill(store)
        state = AppState(store, keystore)
        recovery = state.set_pin(PIN, PIN)
    assert recovery
    with open_store(path) as store:
        for elsewhere in (None, HardwareKeystore()):  # a computer, another tablet
            with pytest.raises(VaultError, match="keystore cannot open"):
                encryption.unlock(store, PIN, elsewhere)
        assert AppState(store, keystore).check_pin(PIN)
    with open_store(path) as store:
        # The leader's path needs no keystore.
        assert encryption.unlock_with_recovery(store, recovery)


def test_sync_pushes_and_pulls_with_encrypted_stores(tmp_path: Path,
                                                     server: RefServer) -> None:
    with open_store(tmp_path / "a.db") as a:
        ids = fill(a)
        encryption.encrypt_store(a, PIN)
        sync(a, server)
        assert outbox.counts(a).ready == 0
    with open_store(tmp_path / "b.db") as b:
        encryption.encrypt_store(b, "9753")
        sync(b, server)
        assert records.get_record(b, ids["household"])["answers"]["head_name"] == "Wanjiku Achieng"
    assert readable(file_bytes(tmp_path / "b.db")) == []


def test_a_sync_connection_follows_an_encryption_made_by_the_app_meanwhile(
        tmp_path: Path) -> None:
    """The first sync after enrolment runs while the PIN is chosen (two connections)."""
    path = tmp_path / "tablet.db"
    app = open_store(path)
    worker = open_store(path, key_source=lambda: app.data_key)
    try:
        ids = fill(app)
        encryption.encrypt_store(app, PIN)
        # The worker opened the store in clear; its next write is sealed all the same.
        records.save_answer(worker, ids["household"], "phone", "0744 111 222")
        assert records.get_record(worker, ids["household"])["answers"]["phone"] == "0744 111 222"
        done = threading.Event()
        threading.Thread(target=lambda: (records.save_answer(worker, ids["household"], "age", 40),
                                         done.set())).start()
        assert done.wait(10)
    finally:
        worker.close()
        app.close()
    assert b"0744 111 222" not in file_bytes(path)
    with open_store(path) as store:
        with pytest.raises(StoreLockedError):
            records.save_answer(open_store(path, key_source=lambda: None), ids["household"],
                                "age", 41)
        assert encryption.unlock(store, PIN) and check_store(store) == []


def test_a_scrub_kept_from_finishing_by_a_reader_is_done_at_the_next_unlock(
        tmp_path: Path) -> None:
    """The app's first sync may be reading while the PIN encrypts the store: the old
    text cannot all be wiped then, and goes at the next unlock."""
    path = tmp_path / "tablet.db"
    with open_store(path) as store:
        fill(store)
    reader = sqlite3.connect(path)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM records").fetchone()  # holds its snapshot
    with open_store(path) as store:
        encryption.encrypt_store(store, PIN)
        assert store.get_setting(SCRUB_PENDING) is True
    assert readable(file_bytes(path)), "the reader's snapshot still needs the old pages"
    reader.close()
    with open_store(path) as store:
        assert encryption.unlock(store, PIN)
        assert store.get_setting(SCRUB_PENDING) is None
    assert readable(file_bytes(path)) == []


def test_an_old_store_in_clear_is_encrypted_at_the_first_pin_and_loses_its_plain_text(
        tmp_path: Path) -> None:
    path = tmp_path / "device.db"
    shutil.copy(V5, path)
    with Database(path) as db:  # as the app before encryption left it: with a PIN hash
        db.execute("UPDATE device SET pin_hash = ?", [_hash(PIN, b"0123456789abcdef")])
        db.conn.commit()
        plain = [a for (a,) in db.execute("SELECT answers FROM records ORDER BY record_id")]
        ops = [o for (o,) in db.execute("SELECT op FROM outbox_ops ORDER BY seq")]
    assert b"Amina W" in file_bytes(path)
    with open_store(path) as store:
        state = AppState(store)
        assert state.has_pin
        assert not state.check_pin("1357") and not store.encrypted
        assert state.check_pin(PIN) and store.encrypted and not store.locked
        assert state.pending_recovery_key
    assert b"Amina W" not in file_bytes(path) and b"Juma" not in file_bytes(path)
    with open_store(path) as store:
        assert AppState(store).check_pin(PIN)
        got = store.query("SELECT record_id, answers FROM records ORDER BY record_id")
        assert [json.loads(store.unseal(r["answers"])) for r in got] == \
            [json.loads(a) for a in plain]
        assert [store.unseal(r["op"]) for r in store.query(
            "SELECT op FROM outbox_ops ORDER BY seq")] == ops
        assert check_store(store) == []


def test_photos_are_sealed_on_disk_and_reach_the_server_as_taken(
        tmp_path: Path, server: RefServer) -> None:
    photos_dir = tmp_path / "photos"
    photos_dir.mkdir()
    before, after = photos_dir / "door.jpg", photos_dir / "roof.jpg"
    taken = {p: make_jpeg(p, shade) for p, shade in ((before, 40), (after, 200))}
    with open_store(tmp_path / "tablet.db") as store:
        ids = fill(store)
        add_attachment(store, before, ids["household"])  # taken before the first PIN
        encryption.encrypt_store(store, PIN)
        sha = add_attachment(store, after, ids["household"])  # and after it
        assert attachments.file_bytes(store, after) == taken[after]
        assert add_attachment(store, after, ids["household"]) == sha, "same content, same id"
        # The form shows a thumbnail made in memory from the sealed photo (and kept).
        for photo in (before, after):
            with Image.open(io.BytesIO(thumbnail_bytes(store, photo))) as thumb:
                assert thumb.size == (40, 30)
        for path in (before, after, thumbnail_path(before), thumbnail_path(after)):
            data = path.read_bytes()
            assert data.startswith(SEALED_FILE) and b"JFIF" not in data, path
        sync(store, server)
        assert server.blob(sha) == taken[after]
        assert server.blob(hashlib.sha256(taken[before]).hexdigest()) == taken[before]
    with open_store(tmp_path / "tablet.db") as store, pytest.raises(StoreLockedError):
        attachments.file_bytes(store, after)


def test_photos_left_in_clear_by_a_crash_while_encrypting_are_sealed_at_unlock(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The vault is written, then the tablet dies before its photos are sealed: the
    next unlock seals them (and a later unlock has nothing left to do)."""
    door = tmp_path / "photos" / "door.jpg"
    door.parent.mkdir()
    taken = make_jpeg(door, 40)
    with open_store(tmp_path / "tablet.db") as store:
        add_attachment(store, door, fill(store)["household"])

        def battery_dies(_store: Store) -> int:
            raise KeyboardInterrupt  # stands for the process ending here

        monkeypatch.setattr(attachments, "seal_files", battery_dies)
        with pytest.raises(KeyboardInterrupt):
            encryption.encrypt_store(store, PIN)
        monkeypatch.undo()
    assert door.read_bytes() == taken  # still in clear
    with open_store(tmp_path / "tablet.db") as store:
        assert store.get_setting(encryption.SEAL_PENDING)
        assert encryption.unlock(store, PIN)
        assert door.read_bytes().startswith(SEALED_FILE)
        assert attachments.file_bytes(store, door) == taken
        assert not store.get_setting(encryption.SEAL_PENDING)


def test_a_leader_sends_a_locked_tablets_work_from_a_copy_of_its_store(
        tmp_path: Path, server: RefServer) -> None:
    """The PIN is forgotten and the tablet's keystore is out of reach (a computer): the
    recovery key opens a copy of the file, and its unsent household reaches the server."""
    from click.testing import CliRunner

    from hesabu.cli import main

    path = tmp_path / "copy.db"
    with open_store(path) as store:
        sync(store, server)  # enrolled
        ids = fill(store)
        recovery = AppState(store, HardwareKeystore()).set_pin(PIN)
    runner = CliRunner()
    locked = runner.invoke(main, ["device", "check", "--store", str(path)])
    assert locked.exit_code == 1 and "is encrypted: pass --pin" in locked.output
    no_keystore = runner.invoke(main, ["sync", "--store", str(path), "--pin", PIN])
    assert no_keystore.exit_code == 1 and "keystore cannot open" in no_keystore.output
    wrong = runner.invoke(main, ["device", "recover", "--store", str(path), "--recovery-key",
                                 "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH", "--new-pin", "1111"])
    assert wrong.exit_code == 1 and "this recovery key does not open" in wrong.output
    done = runner.invoke(main, ["device", "recover", "--store", str(path), "--recovery-key",
                                recovery, "--new-pin", "1111"])
    assert done.exit_code == 0, done.output
    assert "2 changes and 1 drafts are waiting" in done.output
    sent = runner.invoke(main, ["sync", "--store", str(path), "--quiet"],
                         env={"HESABU_PIN": "1111"})
    assert sent.exit_code == 0 and "Sent 2 changes" in sent.output, sent.output
    assert server.replica.record(ids["household"])["head_name"] == "Wanjiku Achieng"


def make_jpeg(path: Path, shade: int) -> bytes:
    Image.new("RGB", (40, 30), (shade, 90, 30)).save(path, "JPEG")
    return path.read_bytes()


def test_recovery_keys_read_back_and_refuse_typos() -> None:
    raw = bytes(range(20))
    text = format_recovery_key(raw)
    assert len(text.split("-")) == 8 and parse_recovery_key(text) == raw
    assert parse_recovery_key(text[:-1]) is None
