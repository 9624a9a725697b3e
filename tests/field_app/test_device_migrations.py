"""Every shipped device schema upgrades to the current one with its data intact."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from refserver import RefServer
from sqlite_utils import Database

from client.api import SyncApi
from client.transport import HttpTransport, RetryPolicy
from field_app.core import outbox, records
from field_app.core.errors import SchemaTooNewError
from field_app.core.integrity import check_store
from field_app.core.migrations import MIGRATION_NAMES, SCHEMA_VERSION, schema_version
from field_app.core.store import Store, open_store
from field_app.core.sync_runner import run_sync
from sync.summary import SyncSummary

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "store"
#: Schema versions whose outbox keeps the op text in its own `op` column.
OP_IN_OUTBOX = (1, 2)
OUTBOX_STATE = "seq, op_id, record_id, ready, created_at, sent_at, attempts, last_error"


def shipped() -> list[Path]:
    return sorted(DATA.glob("v*.db"), key=lambda p: int(p.stem[1:]))


def test_there_is_a_real_database_for_every_schema_version() -> None:
    assert [int(p.stem[1:]) for p in shipped()] == list(range(1, SCHEMA_VERSION + 1))


@pytest.mark.parametrize("old", shipped(), ids=lambda p: p.name)
def test_old_store_upgrades_and_keeps_its_data(old: Path, tmp_path: Path) -> None:
    path = tmp_path / "device.db"
    shutil.copy(old, path)
    before = Database(path)
    device_id = before.execute("SELECT device_id FROM device").fetchone()[0]
    record_count = before.execute("SELECT count(*) FROM records").fetchone()[0]
    ops = before.execute("SELECT count(*) FROM outbox").fetchone()[0]
    before.close()

    store = open_store(path)
    assert schema_version(store.db) == SCHEMA_VERSION
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert store.device.device_id == device_id
    assert store.query("SELECT count(*) AS n FROM records")[0]["n"] == record_count
    assert store.query("SELECT count(*) AS n FROM outbox")[0]["n"] == ops
    assert store.cursor() == 42
    # The upgraded store keeps working: an edit on an old record makes a new op.
    rid = store.query("SELECT record_id FROM records WHERE status = 'finalized'")[0]["record_id"]
    before_ready = len(outbox.pending(store))
    records.save_answer(store, rid, "head_name", "Amina Wanjiru")
    assert len(outbox.pending(store)) == before_ready + 1
    store.close()


def test_a_store_from_a_newer_app_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "device.db"
    open_store(path).close()
    db = Database(path)
    db["_sqlite_migrations"].insert(
        {"migration_set": "hesabu_device", "name": "9999_future", "applied_at": "2030"})
    db.close()
    with pytest.raises(SchemaTooNewError, match="newer Hesabu"):
        open_store(path)


def test_migration_names_are_numbered_in_order() -> None:
    assert [int(n.split("_")[0]) for n in MIGRATION_NAMES] == list(range(1, SCHEMA_VERSION + 1))


def schema_of(db: Database) -> set[tuple[str, str]]:
    return {(r[0], " ".join(r[1].split())) for r in db.execute(
        "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'")}


@pytest.mark.parametrize("old", shipped(), ids=lambda p: p.name)
def test_an_upgraded_store_has_exactly_the_schema_of_a_new_one(old: Path,
                                                                 tmp_path: Path) -> None:
    """Catches an edited shipped migration: old tablets would never get that change."""
    upgraded = tmp_path / "old.db"
    shutil.copy(old, upgraded)
    open_store(upgraded).close()
    open_store(tmp_path / "new.db").close()
    with Database(upgraded) as a, Database(tmp_path / "new.db") as b:
        assert schema_of(a) == schema_of(b)


def version_of(path: Path) -> int:
    return int(path.stem[1:])


def outbox_rows(db: Database, old: bool) -> list[dict]:
    """Every outbox row with its op text, whichever schema the file has."""
    sql = (f"SELECT {OUTBOX_STATE}, op FROM outbox ORDER BY seq" if old else
           f"SELECT {', '.join('o.' + c for c in OUTBOX_STATE.split(', '))}, t.op "
           "FROM outbox o JOIN outbox_ops t ON t.seq = o.seq ORDER BY o.seq")
    return [dict(r) for r in db.query(sql)]


def old_store(tmp_path: Path, old: Path) -> Path:
    """A copy of a shipped store whose outbox holds every state an op can be in."""
    path = tmp_path / "device.db"
    shutil.copy(old, path)
    with Database(path) as db:
        seqs = [r[0] for r in db.execute("SELECT seq FROM outbox ORDER BY seq")]
        assert len(seqs) == 3 and db.execute(
            "SELECT count(*) FROM outbox WHERE ready = 0").fetchone()[0] == 1
        with db.atomic():
            # One ready op was tried twice and refused (retryable), and one acked by
            # the server; the draft's op stays held. A deleted row leaves a seq gap.
            ready = [r[0] for r in db.execute(
                "SELECT seq FROM outbox WHERE ready = 1 ORDER BY seq")]
            db.execute("UPDATE outbox SET attempts = 2, last_error = ? WHERE seq = ?",
                       ['{"code":"sync.form_unknown","message":"later"}', ready[0]])
            db.execute("UPDATE outbox SET attempts = 1, sent_at = '2026-11-20T10:00:00.000Z' "
                       "WHERE seq = ?", [ready[1]])
            db.execute("UPDATE sqlite_sequence SET seq = 9 WHERE name = 'outbox'")
    return path


@pytest.mark.parametrize("old", shipped(), ids=lambda p: p.name)
def test_an_upgrade_keeps_every_outbox_row_with_its_state_and_text(old: Path,
                                                                  tmp_path: Path) -> None:
    path = old_store(tmp_path, old)
    with Database(path) as db:
        before = outbox_rows(db, version_of(old) in OP_IN_OUTBOX)
    store = open_store(path)
    after = outbox_rows(store.db, old=False)
    assert after == before and len(after) == 3
    assert {r["op_id"] for r in outbox.errors(store)} == {before[0]["op_id"]}
    assert outbox.counts(store) == outbox.OutboxCounts(ready=1, held=1, parked=0)
    assert [(q.op_id, q.text) for q in outbox.pending_queued(store)] == [
        (r["op_id"], r["op"]) for r in before if r["ready"] == 1 and r["sent_at"] is None]
    assert "op" not in {c.name for c in store.db["outbox"].columns}, "state rows are small"
    assert check_store(store) == []
    # Seq numbers are never reused, even those of rows deleted before the upgrade.
    rid = store.query("SELECT record_id FROM records WHERE status = 'finalized'")[0]["record_id"]
    op_id = records.save_answer(store, rid, "head_name", "Amina Wanjiru")
    assert store.query("SELECT seq FROM outbox WHERE op_id = ?", [op_id])[0]["seq"] == 10
    store.close()


class RecordingServer(RefServer):
    """The reference server, keeping the ops of every push as they arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.pushed: list[dict] = []

    def push(self, body: dict) -> tuple[int, dict]:
        self.pushed.extend(body["ops"])
        return super().push(body)

    def sync(self, store: Store) -> SyncSummary:
        """Sync an upgraded store (which keeps its token) with this server."""
        store.set_server(self.url)
        self.tokens[store.device.token] = store.device.device_id
        api = SyncApi(HttpTransport(self.url, store.device.token,
                                    retry=RetryPolicy(attempts=2, base_s=0.01, cap_s=0.05)))
        try:
            return run_sync(store, api)
        finally:
            api.transport.close()


@pytest.mark.parametrize("old", shipped(), ids=lambda p: p.name)
def test_an_upgraded_store_pushes_its_pending_ops_with_identical_text(old: Path,
                                                                     tmp_path: Path) -> None:
    path = tmp_path / "device.db"
    shutil.copy(old, path)
    with Database(path) as db:
        rows = outbox_rows(db, version_of(old) in OP_IN_OUTBOX)
    waiting = [r["op"] for r in rows if r["ready"] == 1 and r["sent_at"] is None]
    assert len(waiting) == 2
    server = RecordingServer()
    store = open_store(path)
    try:
        summary = server.sync(store)
        assert summary.ok and summary.sent == 2, summary.describe()
        # What reached the server is the stored text, byte for byte, in the order made.
        body = ",".join(json.dumps(op, ensure_ascii=False, separators=(",", ":"))
                        for op in server.pushed)
        assert body == ",".join(waiting)
        assert outbox.pending_queued(store) == []
        assert outbox.counts(store) == outbox.OutboxCounts(ready=0, held=1, parked=0)
        sent = store.query("SELECT o.op_id, t.op, o.attempts FROM outbox o JOIN outbox_ops t "
                           "ON t.seq = o.seq WHERE o.sent_at IS NOT NULL ORDER BY o.seq")
        assert [r["op"] for r in sent] == waiting, "acked ops keep their text"
        assert all(r["attempts"] == 1 for r in sent)
    finally:
        store.close()
        server.close()


# Migrates a store the way open_store does, and dies (like a battery pull) the moment
# migration 0003 renames the rebuilt outbox: its old table is already dropped by then.
CRASHING_MIGRATION = """
import os, sqlite3, sys
from sqlite_utils import Database
from field_app.core.migrations import migrate

conn = sqlite3.connect(sys.argv[1])
db = Database(conn)
db.execute("PRAGMA journal_mode=wal")
db.execute("PRAGMA synchronous=FULL")

def die_at_rename(sql):
    if "RENAME TO outbox" in sql:
        os._exit(9)

conn.set_trace_callback(die_at_rename)
migrate(db)
print("migrated")
"""


@pytest.mark.parametrize("old", [p for p in shipped() if version_of(p) in OP_IN_OUTBOX],
                         ids=lambda p: p.name)
def test_a_crash_in_the_middle_of_the_outbox_migration_loses_nothing(old: Path,
                                                                   tmp_path: Path) -> None:
    path = old_store(tmp_path, old)
    with Database(path) as db:
        before = outbox_rows(db, old=True)
    proc = subprocess.run([sys.executable, "-c", CRASHING_MIGRATION, str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 9 and "migrated" not in proc.stdout, proc.stderr
    with Database(path) as db:
        # The whole of 0003 rolled back: old schema, old table, every row and text.
        applied = {m[0] for m in db.execute("SELECT name FROM _sqlite_migrations")}
        assert "0003_outbox_op_text" not in applied
        assert "outbox_ops" not in db.table_names() and "outbox_new" not in db.table_names()
        assert outbox_rows(db, old=True) == before
    store = open_store(path)  # the next start migrates for real
    assert schema_version(store.db) == SCHEMA_VERSION
    assert outbox_rows(store.db, old=False) == before
    assert check_store(store) == []
    store.close()



def test_record_times_come_from_the_ops_for_records_received_before_the_upgrade(
        tmp_path: Path) -> None:
    """Migration 0004: a record pulled before it (no op of this tablet) was made and
    changed when its author's ops say, not when this tablet synced it."""
    path = tmp_path / "device.db"
    shutil.copy(DATA / "v3.db", path)
    made, changed = "1780000000000-000000-tab-b", "1790000000000-000003-tab-b"
    with Database(path) as db, db.atomic():
        db.execute("INSERT INTO records (record_id, form_id, form_version, status, answers, "
                   "created_at, updated_at) VALUES ('pulled', 'sdi_household_enumeration', '1',"
                   " 'finalized', '{}', '2026-12-01T08:00:00.000Z', '2026-12-01T08:00:00.000Z')")
        for path_, hlc in (("head_name", made), ("phone", changed)):
            db.execute("INSERT INTO fields (record_id, path, value, heads) VALUES "
                       "('pulled', ?, '\"x\"', ?)", [path_, json.dumps([
                           {"op_id": hlc, "hlc": hlc, "device_id": "tab-b", "value": "x"}])])
    store = open_store(path)
    try:
        row = store.query("SELECT made_at, changed_at FROM records WHERE record_id = 'pulled'")
        assert row == [{"made_at": "2026-05-28T20:26:40.000Z",
                        "changed_at": "2026-09-21T14:13:20.000Z"}]
        own = store.query("SELECT created_at, made_at FROM records WHERE record_id != 'pulled'")
        assert own and all(r["made_at"] == r["created_at"] for r in own)
    finally:
        store.close()


def test_ops_parked_for_another_devices_relay_refusal_are_sent_again(tmp_path: Path) -> None:
    """Migration 0005 (issue 19): `hub.relay_forbidden` is retryable now, and a tablet's
    own op is never another device's, so ops an old server made it park for that go back
    in the queue (with their reason) and the next sync sends them. Other refusals stay
    parked."""
    path = tmp_path / "device.db"
    shutil.copy(DATA / "v4.db", path)
    with Database(path) as db, db.atomic():
        relayed, invalid = [r[0] for r in db.execute(
            "SELECT op_id FROM outbox WHERE ready = 1 ORDER BY seq")]
        for op_id, code in ((relayed, "hub.relay_forbidden"), (invalid, "sync.op_invalid")):
            db.execute("UPDATE outbox SET ready = 2, attempts = 1, last_error = ? "
                       "WHERE op_id = ?", [json.dumps({"code": code, "message": "no"}), op_id])
    server = RecordingServer()
    store = open_store(path)
    try:
        assert outbox.counts(store) == outbox.OutboxCounts(ready=1, held=1, parked=1)
        assert [(r["op_id"], r["ready"]) for r in outbox.errors(store)] == [
            (relayed, outbox.READY), (invalid, outbox.PARKED)]
        summary = server.sync(store)
        assert [op["op_id"] for op in server.pushed] == [relayed]
        assert summary.sent == 1 and summary.parked == 1 and not summary.ok
        assert [r["op_id"] for r in outbox.errors(store)] == [invalid]
    finally:
        store.close()
        server.close()
