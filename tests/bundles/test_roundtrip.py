"""A tablet that never goes online completes the loop by USB stick:
device -> bundle -> server -> return bundle -> device."""

from __future__ import annotations

import io
from pathlib import Path

from harness import new_tablet, server_state, store_state, sync_tablet

from field_app.core import outbox, records
from field_app.core.attachments import add_attachment
from field_app.core.bundles import export_bundle_file, import_return_file
from server.services.bundles import import_bundle, write_return_bundle


def _table_counts(app):
    from server_harness import table_counts

    return table_counts(app)


def test_a_tablet_completes_the_loop_by_usb_and_a_second_import_changes_nothing(
        central, tmp_path: Path) -> None:
    app, url = central
    tablet = new_tablet(tmp_path / "tab.db", app, url, "Kibera 3")
    other = new_tablet(tmp_path / "other.db", app, url, "Kibera 4")
    # Another tablet syncs online: its record must reach the offline tablet by stick.
    theirs = records.create_record(other, "household", "1", {"head_name": "Wanjiru"},
                                   finalized=True)
    assert sync_tablet(other, url).ok
    ids = [records.create_record(tablet, "household", "1", {"head_name": f"Head {i}", "size": i},
                                 finalized=True) for i in range(5)]
    photo = tmp_path / "door.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 40)
    sha = add_attachment(tablet, photo, ids[0])

    exported = export_bundle_file(tablet, tmp_path / "tab.hesabu")
    assert (exported.ops, exported.attachments) == (5, 1)
    with app.app_context(), (tmp_path / "tab.hesabu").open("rb") as fh:
        first = import_bundle(fh)
    assert first.already_imported is False and len(first.acked) == 5 and not first.rejected
    counts = _table_counts(app)
    with app.app_context(), (tmp_path / "tab.hesabu").open("rb") as fh:
        again = import_bundle(fh)
    assert again.already_imported and set(again.acked) == set(first.acked)
    assert _table_counts(app) == counts  # nothing changed
    assert (tmp_path / "central" / "attachments" / sha[:2] / sha).read_bytes() == \
        photo.read_bytes()

    with app.app_context(), (tmp_path / "back.hesabu").open("wb") as fh:
        manifest = write_return_bundle(tablet.device_id, fh, in_reply_to=first.bundle_id)
    assert manifest["target"] == tablet.device_id
    result = import_return_file(tablet, tmp_path / "back.hesabu")
    assert result.received >= 1  # the other tablet's record
    assert outbox.counts(tablet).ready == 0
    assert tablet.query("SELECT uploaded_at FROM attachments")[0]["uploaded_at"]
    assert records.get_record(tablet, theirs)["answers"] == {"head_name": "Wanjiru"}
    assert store_state(tablet) == server_state(app)
    before = store_state(tablet), tablet.cursor()
    import_return_file(tablet, tmp_path / "back.hesabu")  # twice: nothing changes
    assert (store_state(tablet), tablet.cursor()) == before
    # Nothing left to send; a later HTTP sync sends nothing again and finds no duplicates.
    summary = sync_tablet(tablet, url)
    assert summary.ok and summary.sent == 0
    assert store_state(tablet) == server_state(app)
    tablet.close()
    other.close()


def test_an_empty_bundle_asks_for_what_the_tablet_should_receive(central, tmp_path) -> None:
    app, url = central
    tablet = new_tablet(tmp_path / "tab.db", app, url)
    other = new_tablet(tmp_path / "other.db", app, url)
    records.create_record(other, "household", "1", {"head_name": "Achieng"}, finalized=True)
    assert sync_tablet(other, url).ok
    buf = io.BytesIO()
    from field_app.core.bundles import export_bundle

    assert export_bundle(tablet, buf).ops == 0
    buf.seek(0)
    with app.app_context():
        import_bundle(buf)
        out = io.BytesIO()
        write_return_bundle(tablet.device_id, out)
    from field_app.core.bundles import import_return_bundle

    out.seek(0)
    assert import_return_bundle(tablet, out).received == 1
    assert store_state(tablet) == server_state(app)
    tablet.close()
    other.close()


def test_an_op_refused_for_now_applies_when_the_bundle_comes_again(central, tmp_path) -> None:
    app, url = central
    tablet = new_tablet(tmp_path / "tab.db", app, url)
    records.create_record(tablet, "household", "1", {"head_name": "Known form"}, finalized=True)
    later = records.create_record(tablet, "household", "2", {"head_name": "New form"},
                                  finalized=True)
    bundle = tmp_path / "tab.hesabu"
    export_bundle_file(tablet, bundle)
    with app.app_context(), bundle.open("rb") as fh:
        first = import_bundle(fh)
    assert [r.code for r in first.rejected] == ["sync.form_version_unknown"]
    assert first.rejected[0].retryable and len(first.acked) == 1
    from server_harness import publish_test_form

    publish_test_form(app, version="2")
    with app.app_context(), bundle.open("rb") as fh:
        again = import_bundle(fh)
    assert again.already_imported and not again.rejected and len(again.acked) == 2
    with app.app_context(), (tmp_path / "back.hesabu").open("wb") as fh:
        write_return_bundle(tablet.device_id, fh)
    import_return_file(tablet, tmp_path / "back.hesabu")
    assert outbox.counts(tablet).ready == 0
    assert server_state(app)[0][later] == {"head_name": "New form"}
    tablet.close()


def test_the_whole_loop_with_the_commands(central, central_url: str, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from hesabu.cli import main

    app, url = central
    tablet = new_tablet(tmp_path / "tab.db", app, url)
    records.create_record(tablet, "household", "1", {"head_name": "CLI"}, finalized=True)
    tablet.close()
    server = ["--database-url", central_url, "--instance", str(tmp_path / "central")]

    def run(*args: str) -> str:
        result = CliRunner().invoke(main, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    assert "1 changes, 0 files" in run("bundle", "export", "--store", str(tmp_path / "tab.db"),
                                       "--out", str(tmp_path / "b.hesabu"))
    assert "1 of 1 changes accepted" in run("bundle", "import", str(tmp_path / "b.hesabu"),
                                            *server)
    from field_app.core.store import open_store

    with open_store(tmp_path / "tab.db") as store:
        device_id = store.device_id
    assert "1 acknowledged" in run("bundle", "return", "--device", device_id, "--out",
                                   str(tmp_path / "r.hesabu"), *server)
    assert "1 changes confirmed" in run("bundle", "import", "--store", str(tmp_path / "tab.db"),
                                        str(tmp_path / "r.hesabu"))
    refused = CliRunner().invoke(main, ["bundle", "import", "--store", str(tmp_path / "tab.db"),
                                        str(tmp_path / "b.hesabu")])
    assert refused.exit_code == 1 and "[bundle.wrong_target]" in refused.output
