"""Helpers shared by the bundle and hub tests: servers on loopback, tablets, and the
replica state (records and open conflicts) to compare across them."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "field_app"))

from pg_databases import fresh_database_url
from server_harness import LiveServer, publish_test_form, wipe

from field_app.core.api import SyncApi
from field_app.core.store import Store, open_store
from field_app.core.sync_runner import enrol, run_sync
from field_app.core.transport import HttpTransport, RetryPolicy
from server.app import create_app
from server.extensions import db
from server.models import Conflict, Record
from server.services.devices import create_enrolment_code

__all__ = ["LiveServer", "Replica", "central", "central_url", "close_app", "enrolment_code",
           "make_server", "new_tablet", "publish_test_form", "server_state", "store_state",
           "sync_tablet", "wipe"]

#: (records: {record_id: {path: value}}, conflicts: {(record_id, path, head ids)})
Replica = tuple[dict[str, dict[str, Any]], set[tuple[str, str, tuple[str, ...]]]]

FAST_RETRY = RetryPolicy(attempts=2, base_s=0.01, cap_s=0.05)


def make_server(db_url: str, instance: Path, **config: Any) -> Flask:
    return create_app({"SQLALCHEMY_DATABASE_URI": db_url, "INSTANCE_PATH": str(instance),
                       **config})


def enrolment_code(app: Flask) -> str:
    with app.app_context():
        code, _ = create_enrolment_code(1)
    return code


def new_tablet(path: Path, app: Flask, url: str, name: str = "tablet") -> Store:
    """A device store enrolled (over HTTP) with the server at `url`."""
    store = open_store(path, device_name=name)
    with HttpTransport(url, None, retry=FAST_RETRY) as transport:
        enrol(store, SyncApi(transport), enrolment_code(app))
    return store


def sync_tablet(store: Store, url: str) -> Any:
    with HttpTransport(url, store.device.token, retry=FAST_RETRY) as transport:
        return run_sync(store, SyncApi(transport))


def store_state(store: Store) -> Replica:
    records: dict[str, dict[str, Any]] = {}
    conflicts: set[tuple[str, str, tuple[str, ...]]] = set()
    for row in store.query("SELECT record_id, path, value, heads, conflict FROM fields"):
        if row["path"] != "__deleted__" and row["value"] is not None:
            records.setdefault(row["record_id"], {})[row["path"]] = json.loads(row["value"])
        if row["conflict"]:
            heads = tuple(sorted(h["op_id"] for h in json.loads(row["heads"])))
            conflicts.add((row["record_id"], row["path"], heads))
    return records, conflicts


def server_state(app: Flask) -> Replica:
    with app.app_context():
        records = {r.record_id: {p: v for p, v in r.fields.items()}
                   for r in db.session.execute(select(Record)).scalars()}
        conflicts = {(c.record_id, c.path, tuple(sorted(c.head_op_ids)))
                     for c in db.session.execute(
                         select(Conflict).where(Conflict.resolved_at_seq.is_(None))).scalars()}
        db.session.rollback()
    return records, conflicts


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    server = LiveServer(app)
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def central_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[str]:
    """A fresh database for the central server of this module: SQLite, then PostgreSQL."""
    yield from fresh_database_url(request.param, tmp_path_factory.mktemp("central"))


def close_app(app: Flask) -> None:
    """Empty the app's tables and release its connections."""
    with app.app_context():
        wipe()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def central(central_url: str, tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    """(app, url): the central server, live on loopback, with the form household v1;
    it only accepts other devices' ops from allowed hubs."""
    app = make_server(central_url, tmp_path / "central", HESABU_RELAY_ONLY_FROM_HUBS=True)
    publish_test_form(app)
    with serving(app) as url:
        yield app, url
    close_app(app)
