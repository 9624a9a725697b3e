"""SQLite checkpoints run in the background after writes (server/sqlite_checkpoints.py):
a push's COMMIT no longer copies the WAL into the database file itself."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from flask import Flask

from server import sqlite_checkpoints
from server.app import create_app
from server.extensions import SQLITE_PAGE_SIZE, begin_write, db
from server.models import Federation
from server.sqlite_checkpoints import WAL_AUTOCHECKPOINT_BYTES, checkpoint, wait_idle


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Flask:
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'hub.db'}",
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _main_file_only(tmp_path: Path) -> sqlite3.Connection:
    """The database file as it is on disk, without its WAL: what checkpoints put there."""
    copy = tmp_path / "copy" / "hub.db"
    copy.parent.mkdir(exist_ok=True)
    shutil.copyfile(tmp_path / "hub.db", copy)
    return sqlite3.connect(copy)


def test_a_write_reaches_the_database_file_in_the_background(
        sqlite_app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_checkpoints, "CHECKPOINT_AFTER_ROWS", 1)
    assert wait_idle()
    with sqlite_app.app_context():
        begin_write(db.session)
        db.session.add(Federation(name="Muungano wa Wanavijiji"))
        db.session.commit()
        (autocheckpoint,) = db.session.execute(
            db.text("PRAGMA wal_autocheckpoint")).one()
        (page_size,) = db.session.execute(db.text("PRAGMA page_size")).one()
        db.session.rollback()
    assert page_size == SQLITE_PAGE_SIZE  # a new database
    assert autocheckpoint * page_size == WAL_AUTOCHECKPOINT_BYTES  # the backstop only
    assert wait_idle(60)
    # The committing connection left the write in the WAL (far below the backstop);
    # the background checkpoint copied it into the database file.
    names = [r[0] for r in _main_file_only(tmp_path).execute("SELECT name FROM federations")]
    assert names == ["Muungano wa Wanavijiji"]


def test_writes_queue_a_checkpoint_once_they_changed_enough_rows(
        sqlite_app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    queued: list[str] = []
    monkeypatch.setattr(sqlite_checkpoints, "request_checkpoint", queued.append)
    monkeypatch.setattr(sqlite_checkpoints, "CHECKPOINT_AFTER_ROWS", 5)
    monkeypatch.setattr(sqlite_checkpoints, "_rows_since", {})  # not the migrations' rows

    def add(*names: str) -> None:
        begin_write(db.session)
        db.session.add_all(Federation(name=name) for name in names)
        db.session.commit()

    with sqlite_app.app_context():
        db.session.execute(db.text("SELECT count(*) FROM federations")).one()
        db.session.commit()  # a read: nothing to checkpoint
        add("SPARC", "FEDUP")
        add("Muungano")
        assert queued == []  # 3 rows: left to a later checkpoint
        add("SDFN", "ZIMSDF")  # 5 rows since the last one
        assert [Path(p).resolve() for p in queued] == [(tmp_path / "hub.db").resolve()]
        add("Ghana Fed")
        assert len(queued) == 1  # counting starts again


def test_a_checkpoint_never_creates_a_missing_database(tmp_path: Path) -> None:
    checkpoint(str(tmp_path / "gone.db"))
    assert not (tmp_path / "gone.db").exists()


def test_a_commit_is_synced_before_it_returns(sqlite_app: Flask) -> None:
    """What a push was acked for is on disk, power cut or not: every connection of the
    server syncs its commits (synchronous=FULL, 2), in WAL mode."""
    with sqlite_app.app_context():
        mode, = db.session.execute(db.text("PRAGMA journal_mode")).one()
        sync, = db.session.execute(db.text("PRAGMA synchronous")).one()
        db.session.rollback()
    assert (mode, sync) == ("wal", 2)


def test_a_database_made_with_smaller_pages_keeps_them_and_its_backstop_follows(
        tmp_path: Path) -> None:
    """A server database from before 16 KB pages is opened as it is (SQLite cannot
    change the page size of a WAL database in place), and works."""
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.execute("PRAGMA page_size=4096")
    old.execute("PRAGMA journal_mode=WAL")
    old.execute("CREATE TABLE kept (note TEXT)")
    old.execute("INSERT INTO kept VALUES ('made before')")
    old.commit()
    old.close()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    try:
        with app.app_context():
            begin_write(db.session)
            db.session.add(Federation(name="Muungano wa Wanavijiji"))
            db.session.commit()
            page_size, autocheckpoint, note, names = (
                db.session.execute(db.text("PRAGMA page_size")).scalar_one(),
                db.session.execute(db.text("PRAGMA wal_autocheckpoint")).scalar_one(),
                db.session.execute(db.text("SELECT note FROM kept")).scalar_one(),
                db.session.execute(db.text("SELECT name FROM federations")).scalars().all())
            db.session.rollback()
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    assert page_size == 4096 and autocheckpoint == WAL_AUTOCHECKPOINT_BYTES // 4096
    assert note == "made before" and names == ["Muungano wa Wanavijiji"]
