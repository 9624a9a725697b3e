"""Many devices pushing at once while a device pulls: no lost update, no duplicate or
skipped sequence number. Threads against one server process (SQLite and PostgreSQL),
and two gunicorn worker processes on one PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import concurrent_sync
import pytest
from flask import Flask
from pg_databases import create_pg_database, drop_pg_database
from server_harness import (
    LiveServer,
    enrol_device,
    gunicorn_server,
    publish_test_form,
    stored_seqs,
)

from server.app import create_app
from server.extensions import db


def test_threads_push_while_one_pulls(app: Flask, live: LiveServer) -> None:
    publish_test_form(app)
    devices = [enrol_device(app, f"tab-{i}", f"Tablet {i}") for i in range(4)]
    out = concurrent_sync.run(live.port, devices, batches=6, batch_size=8)
    concurrent_sync.check(out, first_seq=1)  # 1 is the form
    assert len(out.pushed) == 4 * 6 * 8
    assert stored_seqs(app) == list(range(2, 2 + len(out.pushed)))
    # The shared records were written concurrently by four devices: conflicts exist.
    assert any(state["conflicts"] for state in out.records.values())


@pytest.fixture
def pg_url() -> Iterator[str]:
    name = create_pg_database()
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        drop_pg_database(name)


@pytest.fixture
def gunicorn(pg_url: str, tmp_path: Path) -> Iterator[int]:
    """Two gunicorn workers on an empty PostgreSQL database: both migrate at start."""
    env = {"HESABU_DATABASE_URL": pg_url, "HESABU_INSTANCE_PATH": str(tmp_path / "instance")}
    with gunicorn_server(["-w", "2"], env, tmp_path) as port:
        yield port


def test_two_gunicorn_workers_on_postgresql(gunicorn: int, pg_url: str,
                                            tmp_path: Path) -> None:
    admin = create_app({"SQLALCHEMY_DATABASE_URI": pg_url, "INSTANCE_PATH": str(tmp_path)})
    try:
        publish_test_form(admin)
        devices = [enrol_device(admin, f"tab-{i}", f"Tablet {i}") for i in range(4)]
        out = concurrent_sync.run(gunicorn, devices, batches=6, batch_size=8)
        concurrent_sync.check(out, first_seq=1)  # 1 is the form
        assert stored_seqs(admin) == list(range(2, 2 + len(out.pushed)))
    finally:
        with admin.app_context():
            db.session.remove()
            db.engine.dispose()
