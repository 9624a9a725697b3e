"""Helpers shared by the bundle and hub tests: servers on loopback, tablets, and the
replica state (records and open conflicts) to compare across them."""

from __future__ import annotations

import io
import json
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "field_app"))

from pg_databases import fresh_database_url
from server_harness import LiveServer, publish_test_form, wipe

from client.api import SyncApi
from client.transport import HttpTransport, RetryPolicy
from field_app.core.records import field_states
from field_app.core.store import Store, open_store
from field_app.core.sync_runner import enrol, run_sync
from hesabu.cli import main
from server.app import create_app
from server.extensions import db
from server.models import Conflict, Record, User
from server.services.accounts import create_user
from server.services.devices import create_enrolment_code
from server.services.pull_ahead import settle
from sync import bundle_crypto

__all__ = ["LiveServer", "Replica", "central", "central_url", "close_app", "enrolment_code",
           "linked_hub", "make_server", "new_tablet", "publish_test_form", "refusals_shown",
           "resigned_by",
           "run_cli", "server_state", "store_state", "sync_tablet", "wipe"]

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
    for row in field_states(store):  # households kept as their first op too
        if row["path"] != "__deleted__" and row["has_value"]:  # a winning null counts
            records.setdefault(row["record_id"], {})[row["path"]] = row["value"]
        if row["conflict"]:
            heads = tuple(sorted(h["op_id"] for h in row["heads"]))
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


def run_cli(*args: str, code: int = 0) -> str:
    """Run a `hesabu` command; its output (after checking its exit status)."""
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == code, result.output
    return result.output


def resigned_by(bundle: bytes, device_id: str, private_key: str) -> bytes:
    """A bundle as another tablet would pass it off: the same bundle id and members,
    `source` and `source_key` set to that tablet, signed with its own key."""
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    manifest = json.loads(members["manifest.json"])
    manifest["source"] = device_id
    manifest["source_key"] = bundle_crypto.public_key(private_key)
    members["manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
    members["manifest.sig"] = bundle_crypto.sign(private_key, members["manifest.json"])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def refusals_shown(app: Flask) -> dict[str, list[tuple[str, int, bool, bool]]]:
    """What an admin sees on the devices page: per device with refused changes,
    (code, how many, retryable, refused upstream) for each reason."""
    from server.services.account_admin import list_devices

    with app.app_context():
        admin = db.session.execute(select(User).where(User.username == "refusals-admin")
                                   ).scalar_one_or_none() or \
            create_user("refusals-admin", "", "admin", password_hash="not-used")
        shown = {d["id"]: [(g["code"], g["count"], g["retryable"], g["upstream"])
                           for g in d["refused"]] for d in list_devices(admin)}
        db.session.rollback()
    return {device: groups for device, groups in shown.items() if groups}


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


def linked_hub(central: tuple[Flask, str], tmp_path: Path, hub_id: str, name: str,
               allowed: bool) -> Iterator[tuple[Flask, str]]:
    """(app, url): a hub on SQLite, live on loopback, linked to `central` as `hub_id`,
    and allowed to relay there if `allowed` (`hesabu hub allow`). The body of the hub
    fixtures."""
    from server.services.hub import allow_relay, link_hub

    central_app, central_link = central
    app = make_server(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path / "hub",
                      HESABU_NODE_ID="hub")
    with app.app_context():
        link_hub(central_link, enrolment_code(central_app), hub_id, name)
    if allowed:
        with central_app.app_context():
            allow_relay(hub_id)
    with serving(app) as url:
        yield app, url
    close_app(app)


def close_app(app: Flask) -> None:
    """Empty the app's tables and release its connections (once no pull page is being
    made ahead: a pull stopped halfway leaves one)."""
    assert settle(app), "a pull page made ahead did not finish"
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
