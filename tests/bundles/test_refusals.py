"""Refused changes (issue 19): a refusal a leader can fix passes once it is fixed; one
that parks a change is visible on the tablet and on the leader's devices page, and the
change can be sent again; a tablet never parks its changes for a refusal that cannot
be about them."""

from __future__ import annotations

import io
from pathlib import Path

from harness import (
    FAST_RETRY,
    new_tablet,
    publish_test_form,
    refusals_shown,
    run_cli,
    server_state,
    sync_tablet,
)
from personas import login_client

from client.api import SyncApi
from client.transport import HttpTransport
from field_app.core import outbox, records
from field_app.core.bundles import export_bundle_file, import_return_file
from field_app.core.store import Store, open_store
from field_app.core.sync_runner import enrol
from server.auth.credentials import session_stamp
from server.extensions import db
from server.models import User
from server.services import account_admin
from server.services.accounts import create_federation, create_user
from server.services.audit import Actor
from server.services.bundles import server_private_key
from server.services.devices import create_code_for
from sync import bundle_crypto
from sync.bundle import ACKS, CHANGES, FORMS, RETURN_BUNDLE, BundleWriter
from sync.canonical import canonical_bytes
from sync.ids import new_uuid7
from sync.ops import RESOLVE, make_op


def test_changes_refused_until_the_form_is_published_wait_then_pass(
        central, central_url: str, tmp_path: Path) -> None:
    """By stick: the server does not have form version 2 yet. The tablet keeps that
    change to send again (with the reason), the leader sees it; once the leader
    publishes the version, the next sync gets it through."""
    app, url = central
    tablet = new_tablet(tmp_path / "tab.db", app, url)
    records.create_record(tablet, "household", "1", {"head_name": "Known form"}, finalized=True)
    later = records.create_record(tablet, "household", "2", {"head_name": "New form"},
                                  finalized=True)
    tablet.close()
    store = str(tmp_path / "tab.db")
    server = ["--database-url", central_url, "--instance", str(tmp_path / "central")]
    run_cli("bundle", "export", "--store", store, "--out", str(tmp_path / "b.hesabu"))
    run_cli("bundle", "import", str(tmp_path / "b.hesabu"), "--return-out",
            str(tmp_path / "r.hesabu"), *server)
    assert "1 refused" in run_cli("bundle", "import", "--store", store,
                                  str(tmp_path / "r.hesabu"))
    status = run_cli("device", "status", "--store", store)
    assert "to send: 1" in status and "refused: 0" in status
    assert "refused for now, sent again at each sync:\n  1 x [sync.form_version_unknown]" \
        in status
    with open_store(store) as tablet:
        device_id = tablet.device_id
    assert refusals_shown(app) == {device_id: [("sync.form_version_unknown", 1, True, False)]}

    publish_test_form(app, version="2")
    with open_store(store) as tablet:
        summary = sync_tablet(tablet, url)
        assert summary.ok and summary.sent == 1, summary.describe()
        assert outbox.errors(tablet) == []
    assert server_state(app)[0][later] == {"head_name": "New form"}
    assert refusals_shown(app) == {}


def _enrol_for(app, store: Store, url: str, role: str) -> str:
    """Enrol `store` with a code a leader made for a new person of `role`; the person's
    id (the server binds the tablet to them)."""
    with app.app_context():
        federation = create_federation(f"Federation of {store.device_id[-6:]}")
        user = create_user(f"{role}-{store.device_id[-6:]}", "", role,
                           federation_id=federation.id, password_hash="not-used")
        code = create_code_for(user, url, 1, None).code
        user_id = user.id
    with HttpTransport(url, None, retry=FAST_RETRY) as transport:
        enrol(store, SyncApi(transport), code)
    return user_id


def _conflict(app, url: str, tmp_path: Path) -> tuple[str, list[str]]:
    """Two tablets answer the same question differently: (record id, the two heads)."""
    x = new_tablet(tmp_path / "x.db", app, url)
    y = new_tablet(tmp_path / "y.db", app, url)
    record = records.create_record(x, "household", "1", {"head_name": "Amina"}, finalized=True)
    assert sync_tablet(x, url).ok and sync_tablet(y, url).ok
    heads = [records.save_answer(x, record, "head_name", "Amina W."),
             records.save_answer(y, record, "head_name", "Amina O.")]
    assert sync_tablet(x, url).ok and sync_tablet(y, url).ok
    x.close()
    y.close()
    return record, sorted(str(h) for h in heads)


def test_a_parked_change_is_shown_and_sent_again_once_the_leader_fixed_the_cause(
        central, tmp_path: Path) -> None:
    """A tablet whose person was still an enumerator settled a conflict: the server
    refuses that for good (`sync.resolve_forbidden`), the tablet parks it. Status and
    the devices page say why; after an admin makes the person a leader, `hesabu device
    resend` and a sync get it through."""
    app, url = central
    record, heads = _conflict(app, url, tmp_path)
    path = tmp_path / "leader.db"
    store = open_store(path, device_name="Neema")
    user_id = _enrol_for(app, store, url, "enumerator")
    assert sync_tablet(store, url).ok
    settle = make_op(RESOLVE, clock=store.clock, device_id=store.device_id, record_id=record,
                     form_id="household", form_version="1",
                     fields={"head_name": "Amina W."}, heads={"head_name": heads})
    with store.transaction():
        outbox.append(store, settle, ready=True)
    summary = sync_tablet(store, url)
    assert not summary.ok and summary.parked == 1
    device_id = store.device_id
    store.close()

    # Visible on the tablet...
    status = run_cli("device", "status", "--store", str(path))
    assert "refused: 1" in status and "[sync.resolve_forbidden]" in status
    again = run_cli("sync", "--store", str(path), "--quiet", code=1)
    assert "1 change refused earlier is kept aside on this device" in again
    # ...and to the leader, with what to do.
    assert refusals_shown(app) == {device_id: [("sync.resolve_forbidden", 1, False, False)]}
    with app.app_context():
        admin = create_user("admin-19", "", "admin", password_hash="not-used")
        browser = login_client(app, admin.id, session_stamp(admin))
        page = browser.get("/devices").get_data(as_text=True)
        account_admin.update_user(Actor.of(admin), user_id, role="leader")  # the fix
        db.session.rollback()
    assert "sync.resolve_forbidden" in page and "Send refused changes again" in page

    assert "1 refused changes will be sent again" in run_cli(
        "device", "resend", "--store", str(path))
    assert "Sent 1 change" in run_cli("sync", "--store", str(path), "--quiet")
    assert server_state(app)[1] == set(), "the conflict is settled"
    assert refusals_shown(app) == {}
    assert "refused: 0" in run_cli("device", "status", "--store", str(path))
    with app.app_context():
        assert db.session.get(User, user_id).role == "leader"
        db.session.rollback()


def _old_servers_return(app, target: str, rejected: list[dict]) -> bytes:
    """A return bundle as a server from before issue 19 wrote it for `target` after a
    copy of its bundle was imported as another tablet's: signed by the server's real
    key, handing over that tablet's refusals of `target`'s ops."""
    out = io.BytesIO()
    writer = BundleWriter(out)
    writer.add(ACKS, canonical_bytes({"acked": [], "rejected": rejected, "attachments": []}))
    writer.add(CHANGES, canonical_bytes({"changes": [], "from_cursor": 0, "next_cursor": 0}))
    writer.add(FORMS, canonical_bytes({"forms": []}))
    with app.app_context():
        key = server_private_key()
    writer.finish({"kind": RETURN_BUNDLE, "bundle_id": new_uuid7(), "source": "server",
                   "source_key": bundle_crypto.public_key(key), "target": target,
                   "in_reply_to": new_uuid7(), "server_hlc": None},
                  lambda data: bundle_crypto.sign(key, data))
    return out.getvalue()


def test_a_tablet_does_not_park_its_changes_for_another_devices_relay_refusal(
        central, tmp_path: Path) -> None:
    """Even from a server that still hands it another tablet's refusals: a tablet's own
    op is never "written by another device", and `hub.relay_forbidden` is "not now"."""
    app, url = central
    tablet = new_tablet(tmp_path / "a.db", app, url)
    ids = [records.create_record(tablet, "household", "1", {"head_name": f"H{i}"}, finalized=True)
           for i in range(3)]
    export_bundle_file(tablet, tmp_path / "a.hesabu")
    ops = [q.op_id for q in outbox.pending_queued(tablet)]
    foreign = [{"op_id": op_id, "code": "hub.relay_forbidden", "retryable": False,
                "message": f"op {op_id} was written by {tablet.device_id}, not by tab-b, "
                           "who signed the bundle"} for op_id in ops]
    (tmp_path / "ret.hesabu").write_bytes(_old_servers_return(app, tablet.device_id, foreign))
    result = import_return_file(tablet, tmp_path / "ret.hesabu")
    assert len(result.rejected) == 3
    assert outbox.counts(tablet) == outbox.OutboxCounts(ready=3, held=0, parked=0)
    assert [r["ready"] for r in outbox.errors(tablet)] == [outbox.READY] * 3
    summary = sync_tablet(tablet, url)
    assert summary.ok and summary.sent == 3, summary.describe()
    assert set(server_state(app)[0]) == set(ids)
    tablet.close()
