"""Tablets sync with an office hub; the hub relays upstream with the same protocol."""

from __future__ import annotations

import io
import json
import time
import urllib.request
from pathlib import Path

from harness import enrolment_code, new_tablet, server_state, store_state, sync_tablet
from server_harness import HttpClient, enrol_device

from client.api import SyncApi
from client.transport import HttpTransport, RetryPolicy
from field_app.core import records
from field_app.core.bundles import export_bundle
from field_app.core.sync_runner import enrol
from server.extensions import db
from server.models import Op as OpRow
from server.services.bundles import import_bundle
from server.services.hub import HubWorker, hub_status, set_upstream, sync_once


def _hub_sync(app):
    with app.app_context():
        result = sync_once()
    assert result.ok, result.error
    return result


def _op_ids(app) -> list[str]:
    with app.app_context():
        ids = list(db.session.execute(db.select(OpRow.op_id)).scalars())
        db.session.rollback()
    return ids


def test_a_tablet_syncs_through_the_hub_then_directly_without_duplicates(
        central, hub, tmp_path: Path) -> None:
    central_app, central_url = central
    hub_app, hub_url = hub
    assert _hub_sync(hub_app).pulled == 0  # the hub learns the form from upstream
    tablet = new_tablet(tmp_path / "a.db", hub_app, hub_url, "hub tablet")
    direct = new_tablet(tmp_path / "b.db", central_app, central_url, "central tablet")
    ids = [records.create_record(tablet, "household", "1", {"head_name": f"A{i}"}, finalized=True)
           for i in range(3)]
    assert sync_tablet(tablet, hub_url).sent == 3
    records.create_record(direct, "household", "1", {"head_name": "B0"}, finalized=True)
    assert sync_tablet(direct, central_url).ok
    result = _hub_sync(hub_app)
    assert (result.pushed, result.pulled) == (3, 1)
    assert server_state(hub_app) == server_state(central_app)

    # Concurrent edits of one answer, one through the hub and one directly upstream:
    # the conflict found upstream reaches the hub and the tablet.
    assert sync_tablet(direct, central_url).ok
    records.save_answers(tablet, ids[0], {"head_name": "Amina (hub)"})
    records.save_answers(direct, ids[0], {"head_name": "Amina (central)"})
    assert sync_tablet(tablet, hub_url).ok
    assert sync_tablet(direct, central_url).ok
    _hub_sync(hub_app)
    assert sync_tablet(tablet, hub_url).ok
    assert sync_tablet(direct, central_url).ok
    central_state = server_state(central_app)
    assert len(central_state[1]) == 1
    assert server_state(hub_app) == central_state == store_state(tablet) == store_state(direct)
    assert records.get_record(tablet, ids[0])["conflicts"] == ["head_name"]

    # The same tablet now syncs directly with the central server.
    with HttpTransport(central_url, None) as transport:
        enrol(tablet, SyncApi(transport), enrolment_code(central_app))
    records.create_record(tablet, "household", "1", {"head_name": "A3"}, finalized=True)
    summary = sync_tablet(tablet, central_url)
    assert summary.ok and summary.sent == 1
    ops = _op_ids(central_app)
    assert len(ops) == len(set(ops)) == 7  # 3 + 1 + 2 edits + 1: nothing twice
    assert store_state(tablet) == server_state(central_app)
    _hub_sync(hub_app)
    assert server_state(hub_app) == server_state(central_app)
    tablet.close()
    direct.close()


def test_a_bundle_imported_at_the_hub_goes_upstream(central, hub, tmp_path: Path) -> None:
    central_app, _ = central
    hub_app, hub_url = hub
    _hub_sync(hub_app)
    tablet = new_tablet(tmp_path / "a.db", hub_app, hub_url)
    for i in range(4):
        records.create_record(tablet, "household", "1", {"head_name": f"U{i}"}, finalized=True)
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"\xff\xd8" + bytes(range(256)) * 100)
    from field_app.core.attachments import add_attachment

    sha = add_attachment(tablet, photo)
    buf = io.BytesIO()
    export_bundle(tablet, buf)
    buf.seek(0)
    with hub_app.app_context():
        assert len(import_bundle(buf).acked) == 4
        assert hub_status()["waiting_ops"] == 4
    seen: list[str] = []
    inner = central_app.wsgi_app

    def logged(environ, start_response):
        seen.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")
        return inner(environ, start_response)

    central_app.wsgi_app = logged
    result = _hub_sync(hub_app)
    central_app.wsgi_app = inner
    assert (result.pushed, result.files) == (4, 1)
    # A file the hub never sent goes up without asking HEAD first (one round trip less
    # per photo on the office's link); the push is one request.
    assert [r for r in seen if r.startswith(("HEAD", "PATCH", "POST"))] == \
        ["POST /api/sync/push", f"PATCH /api/attachments/{sha}"]
    from server.services import hub as hub_service

    assert hub_service._networks[central[1]]["server_protocol"] == 3  # kept for the next round
    assert server_state(central_app) == server_state(hub_app)
    assert (tmp_path / "central" / "attachments" / sha[:2] / sha).read_bytes() == \
        photo.read_bytes()
    with hub_app.app_context():
        status = hub_status()
    assert (status["waiting_ops"], status["waiting_files"], status["last_error"]) == (0, 0, None)
    tablet.close()


def test_only_an_allowed_hub_may_relay_other_devices_ops(central) -> None:
    central_app, central_url = central
    central_app.config["HESABU_RELAY_ONLY_FROM_HUBS"] = True
    alice = enrol_device(central_app, "tab-alice", "Alice")
    mallory = enrol_device(central_app, "tab-mallory", "Mallory")
    forged = alice.op()  # written as Alice, pushed with Mallory's token
    reply = HttpClient(int(central_url.rsplit(":", 1)[1]), mallory.token).push(
        mallory, [forged])
    assert reply.status == 200
    assert [r["code"] for r in reply.json()["rejected"]] == ["hub.relay_forbidden"]
    assert _op_ids(central_app) == []
    relay = enrol_device(central_app, "hub-9", "Office")
    from server.services.hub import allow_relay

    with central_app.app_context():
        allow_relay("hub-9")
    reply = HttpClient(int(central_url.rsplit(":", 1)[1]), relay.token).push(relay, [forged])
    assert reply.json()["acked"] == [forged.op_id]


def test_status_and_the_background_worker_resume_when_the_link_appears(
        central, hub, tmp_path: Path) -> None:
    central_app, central_url = central
    hub_app, hub_url = hub
    _hub_sync(hub_app)
    tablet = new_tablet(tmp_path / "a.db", hub_app, hub_url)
    records.create_record(tablet, "household", "1", {"head_name": "W"}, finalized=True)
    assert sync_tablet(tablet, hub_url).ok
    with hub_app.app_context():
        set_upstream("http://127.0.0.1:9")  # nothing listens there: the link is down
    worker = HubWorker(hub_app, interval_s=0.05, max_backoff_s=0.2,
                       retry=RetryPolicy(attempts=1)).start()
    try:
        status = _wait_status(hub_url, lambda s: s["last_error"] is not None)
        assert status["waiting_ops"] == 1 and status["linked"]
        with hub_app.app_context():
            set_upstream(central_url)  # the link appears
        status = _wait_status(hub_url, lambda s: s["waiting_ops"] == 0 and not s["last_error"])
        assert status["last_success"] is not None
    finally:
        worker.stop()
    assert server_state(central_app) == server_state(hub_app)
    tablet.close()


def _wait_status(hub_url: str, done, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(f"{hub_url}/api/hub/status") as resp:
            status = json.loads(resp.read())
        if done(status) or time.monotonic() > deadline:
            assert done(status), status
            return status
        time.sleep(0.05)


def test_a_lost_file_on_the_hub_holds_back_nothing_else(central, hub, tmp_path: Path) -> None:
    central_app, _ = central
    hub_app, hub_url = hub
    _hub_sync(hub_app)
    tablet = new_tablet(tmp_path / "a.db", hub_app, hub_url)
    records.create_record(tablet, "household", "1", {"head_name": "Lost photo"}, finalized=True)
    from field_app.core.attachments import add_attachment

    for name in ("a.jpg", "b.jpg"):
        (tmp_path / name).write_bytes(name.encode() * 5000)
        add_attachment(tablet, tmp_path / name)
    assert sync_tablet(tablet, hub_url).ok
    tablet.close()
    lost = sorted(p for p in (tmp_path / "hub" / "attachments").rglob("*") if p.is_file())[0]
    lost.unlink()
    with hub_app.app_context():
        result = sync_once()
        status = hub_status()
    assert result.error and lost.name in result.error
    assert (result.pushed, result.files) == (1, 1)
    assert (status["waiting_ops"], status["waiting_files"]) == (0, 1)
    assert server_state(central_app) == server_state(hub_app)
