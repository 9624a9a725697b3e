"""Issue 19: a valid bundle re-signed by another enrolled tablet under the same bundle id
must not stand in for the genuine one. A bundle is identified by (signer, bundle id);
the genuine tablet's households arrive, and it is never handed another device's
refusals."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from harness import new_tablet, refusals_shown, resigned_by, server_state, sync_tablet
from harness import run_cli as run
from server_harness import table_counts

from field_app.core import outbox, records
from field_app.core.attachments import add_attachment
from field_app.core.bundles import (
    KEY_SETTING,
    export_bundle,
    export_bundle_file,
    import_return_bundle,
)
from field_app.core.store import open_store
from server.errors import ApiError
from server.extensions import db
from server.models import Attachment, BundleImport
from server.services.bundles import import_bundle, write_return_bundle
from sync.ids import new_uuid7


def stored_files(app) -> dict[str, str]:
    with app.app_context():
        found = {a.sha256: a.uploaded_by for a in db.session.execute(
            db.select(Attachment)).scalars()}
        db.session.rollback()
    return found


def test_a_copy_signed_by_another_tablet_does_not_stop_the_genuine_bundle(
        central, central_url: str, tmp_path: Path) -> None:
    app, url = central
    server = ["--database-url", central_url, "--instance", str(tmp_path / "central")]
    # 1. Tablets A and B are enrolled; A records 3 households (one with a photo) and
    #    exports its bundle.
    a = new_tablet(tmp_path / "a.db", app, url, "Kibera 3")
    b = new_tablet(tmp_path / "b.db", app, url, "Kibera 4")
    households = [records.create_record(a, "household", "1", {"head_name": f"Head {i}"},
                                        finalized=True) for i in range(3)]
    photo = tmp_path / "door.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 20)
    sha = add_attachment(a, photo, households[0])
    a_id, b_id, b_key = a.device_id, b.device_id, b.get_setting(KEY_SETTING)
    a.close()
    b.close()
    genuine = tmp_path / "a.hesabu"
    assert "3 changes, 1 files" in run("bundle", "export", "--store", str(tmp_path / "a.db"),
                                       "--out", str(genuine))

    # 2. The copy: same bundle id, passed off as B's and signed with B's key.
    copy = tmp_path / "copy.hesabu"
    copy.write_bytes(resigned_by(genuine.read_bytes(), b_id, b_key))

    # 3. Importing the copy accepts nothing: A's ops are not B's to send, and a bundle
    #    whose ops are all refused stores no files.
    before = table_counts(app)
    refused = json.loads(run("bundle", "import", str(copy), "--json", *server))
    assert (refused["device_id"], refused["acked"], refused["already_imported"],
            refused["attachments"]) == (b_id, 0, False, 0)
    assert {r["code"] for r in refused["rejected"]} == {"bundle.op_foreign"}
    assert not any(r["retryable"] for r in refused["rejected"])
    assert stored_files(app) == {}
    after = table_counts(app)
    assert (after["ops"], after["attachments"]) == (before["ops"], before["attachments"])

    # 4. A's genuine bundle is its own import, not a replay of B's.
    ret = tmp_path / "ret.hesabu"
    answer = run("bundle", "import", str(genuine), "--return-out", str(ret), *server)
    assert "imported: 3 of 3 changes accepted, 0 refused, 1 files" in answer
    assert "already imported" not in answer
    assert stored_files(app) == {sha: a_id}  # credited to the tablet that sent it
    with app.app_context():
        imports = {(i.device_id, i.bundle_id): len(i.rejected) for i in db.session.execute(
            db.select(BundleImport)).scalars()}
        db.session.rollback()
    assert imports == {(b_id, refused["bundle_id"]): 3, (a_id, refused["bundle_id"]): 0}

    # 5. The return bundle confirms A's changes and its photo, and refuses nothing.
    assert "3 changes confirmed" in run("bundle", "import", "--store", str(tmp_path / "a.db"),
                                        str(ret))
    with open_store(tmp_path / "a.db") as store:
        assert outbox.counts(store) == outbox.OutboxCounts(ready=0, held=0, parked=0)
        assert outbox.errors(store) == []
        assert store.query("SELECT uploaded_at FROM attachments")[0]["uploaded_at"]
    status = run("device", "status", "--store", str(tmp_path / "a.db"))
    assert "to send: 0" in status and "refused: 0" in status

    # 6. The server holds A's households; a sync has nothing left to send.
    on_server = server_state(app)[0]
    assert {rid: on_server[rid]["head_name"] for rid in households} == {
        rid: f"Head {i}" for i, rid in enumerate(households)}
    assert "Everything is up to date." in run("sync", "--store", str(tmp_path / "a.db"),
                                              "--quiet")


def test_a_copy_imported_after_the_genuine_bundle_changes_nothing_for_either_tablet(
        central, tmp_path: Path) -> None:
    app, url = central
    a = new_tablet(tmp_path / "a.db", app, url)
    b = new_tablet(tmp_path / "b.db", app, url)
    mine = [records.create_record(a, "household", "1", {"head_name": f"A{i}"}, finalized=True)
            for i in range(2)]
    records.create_record(b, "household", "1", {"head_name": "B0"}, finalized=True)
    genuine = tmp_path / "a.hesabu"
    export_bundle_file(a, genuine)
    copy = resigned_by(genuine.read_bytes(), b.device_id, b.get_setting(KEY_SETTING))
    with app.app_context(), genuine.open("rb") as fh:
        first = import_bundle(fh)
    assert len(first.acked) == 2 and not first.rejected
    for attempt in range(2):  # the copy, then the copy again (a replay of B's import)
        with app.app_context():
            other = import_bundle(io.BytesIO(copy))
        assert (other.device_id, other.acked, other.already_imported) == (
            b.device_id, (), attempt == 1)  # A's ops held here are not B's acks
        assert [r.code for r in other.rejected] == ["bundle.op_foreign"] * 2
    assert refusals_shown(app) == {b.device_id: [("bundle.op_foreign", 2, False, False)]}

    # Each return bundle answers its own device's import of that bundle id: A's
    # confirms its two households, B's carries B's refusals (of ops B has not got).
    for tablet, expect in ((a, (2, set())), (b, (0, {"bundle.op_foreign"}))):
        out = io.BytesIO()
        with app.app_context():
            write_return_bundle(tablet.device_id, out, in_reply_to=first.bundle_id)
        out.seek(0)
        back = import_return_bundle(tablet, out)
        assert (back.acked, {r.code for r in back.rejected}) == expect
        assert outbox.counts(tablet).parked == 0
    assert {rid: fields["head_name"] for rid, fields in server_state(app)[0].items()} == {
        mine[0]: "A0", mine[1]: "A1"}
    assert outbox.counts(a) == outbox.OutboxCounts(ready=0, held=0, parked=0)
    assert outbox.counts(b) == outbox.OutboxCounts(ready=1, held=0, parked=0)  # B0: unsent
    with app.app_context(), pytest.raises(ApiError) as err:
        write_return_bundle(b.device_id, io.BytesIO(), in_reply_to=new_uuid7())
    assert err.value.code == "request.not_found"
    a.close()
    b.close()


def test_a_bundle_whose_ops_are_all_refused_stores_no_files(central, tmp_path: Path) -> None:
    app, url = central
    a = new_tablet(tmp_path / "a.db", app, url)
    b = new_tablet(tmp_path / "b.db", app, url)
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"\xff\xd8" + b"p" * 3000)
    rid = records.create_record(a, "household", "1", {"head_name": "With photo"}, finalized=True)
    sha = add_attachment(a, photo, rid)
    buf = io.BytesIO()
    export_bundle(a, buf)
    copy = resigned_by(buf.getvalue(), b.device_id, b.get_setting(KEY_SETTING))
    with app.app_context():
        refused = import_bundle(io.BytesIO(copy))
    assert (refused.acked, refused.attachments) == ((), 0)
    assert stored_files(app) == {}
    assert not (tmp_path / "central" / "attachments" / sha[:2] / sha).exists()

    # The same photo in a bundle of B's whose only op is refused for now: not stored
    # either; in a bundle without ops (its record went over HTTP before): stored.
    later = records.create_record(b, "household", "9", {"head_name": "Unknown form"},
                                  finalized=True)
    add_attachment(b, photo, later)
    buf = io.BytesIO()
    export_bundle(b, buf)
    with app.app_context():
        waiting = import_bundle(io.BytesIO(buf.getvalue()))
    assert [r.code for r in waiting.rejected] == ["sync.form_version_unknown"]
    assert waiting.attachments == 0 and stored_files(app) == {}
    assert sync_tablet(a, url).sent == 1 and stored_files(app) == {sha: a.device_id}
    a.close()
    b.close()
