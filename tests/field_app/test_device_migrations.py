"""Every shipped device schema upgrades to the current one with its data intact."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlite_utils import Database

from field_app.core import outbox
from field_app.core.errors import SchemaTooNewError
from field_app.core.migrations import MIGRATION_NAMES, SCHEMA_VERSION, schema_version
from field_app.core.store import open_store

DATA = Path(__file__).resolve().parent.parent / "data" / "store"


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
    records = before.execute("SELECT count(*) FROM records").fetchone()[0]
    ops = before.execute("SELECT count(*) FROM outbox").fetchone()[0]
    before.close()

    store = open_store(path)
    assert schema_version(store.db) == SCHEMA_VERSION
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert store.device.device_id == device_id
    assert store.query("SELECT count(*) AS n FROM records")[0]["n"] == records
    assert store.query("SELECT count(*) AS n FROM outbox")[0]["n"] == ops
    assert store.cursor() == 42
    # The upgraded store keeps working: an edit on an old record makes a new op.
    rid = store.query("SELECT record_id FROM records WHERE status = 'finalized'")[0]["record_id"]
    before_ready = len(outbox.pending(store))
    store.save_answer(rid, "head_name", "Amina Wanjiru")
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
