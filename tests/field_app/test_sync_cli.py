"""`hesabu sync` and `hesabu device ...` drive a real store against the real server."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from flaskhub import FlaskHub

from field_app.core import outbox, records
from field_app.core.store import open_store
from hesabu.cli import main


def test_init_then_sync_with_an_enrolment_code(tmp_path: Path, hub: FlaskHub) -> None:
    runner = CliRunner()
    path = tmp_path / "tablet.db"
    init = runner.invoke(main, ["device", "init", "--store", str(path), "--name", "Kibera 3"])
    assert init.exit_code == 0, init.output
    store = open_store(path)
    assert init.output.strip() == store.device_id
    records.create_record(store, "hh", "1", {"head_name": "Amina", "rent": 1500}, finalized=True)
    records.create_record(store, "hh", "1", {"head_name": "Juma"})  # a draft: stays
    store.close()

    result = runner.invoke(main, ["sync", "--store", str(path), "--server", hub.url,
                                  "--enrol-code", hub.new_code(), "--quiet", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["sent"] == 1 and summary["ok"]
    assert summary["text"].startswith("Sent 1 change")
    assert len(hub.log) == 1

    # The server and token are remembered: the next sync needs no options but the store.
    again = runner.invoke(main, ["sync", "--store", str(path), "--quiet"])
    assert again.exit_code == 0, again.output
    assert "Everything is up to date." in again.output
    store = open_store(path)
    assert store.form("hh", "1") is not None, "published forms are downloaded"
    assert outbox.counts(store).held == 1
    store.close()

    status = runner.invoke(main, ["device", "status", "--store", str(path)])
    assert "drafts held: 1" in status.output and "enrolled: yes" in status.output
    check = runner.invoke(main, ["device", "check", "--store", str(path)])
    assert check.exit_code == 0 and check.output.strip() == "ok"


def test_sync_explains_what_is_missing(tmp_path: Path, hub: FlaskHub) -> None:
    runner = CliRunner()
    path = tmp_path / "tablet.db"
    missing = runner.invoke(main, ["sync", "--store", str(path), "--server", hub.url])
    assert missing.exit_code != 0 and "hesabu device init" in missing.output
    runner.invoke(main, ["device", "init", "--store", str(path)])
    no_code = runner.invoke(main, ["sync", "--store", str(path), "--server", hub.url])
    assert no_code.exit_code != 0 and "--enrol-code" in no_code.output
    bad = runner.invoke(main, ["sync", "--store", str(path), "--server", hub.url,
                               "--enrol-code", "NOPE-NOPE-NOPE"])
    assert bad.exit_code != 0 and "Error:" in bad.output
    # A pin without a code would be ignored: said, not ignored.
    pin_alone = runner.invoke(main, ["sync", "--store", str(path), "--server", hub.url,
                                     "--cert-pin", "sha256/" + "A" * 43 + "="])
    assert pin_alone.exit_code == 2 and "--cert-pin goes with --enrol-code" in pin_alone.output


def test_unreachable_server_is_reported_and_nothing_is_lost(tmp_path: Path,
                                                            hub: FlaskHub) -> None:
    runner = CliRunner()
    path = tmp_path / "tablet.db"
    runner.invoke(main, ["device", "init", "--store", str(path)])
    first = runner.invoke(main, ["sync", "--store", str(path), "--server", hub.url,
                                 "--enrol-code", hub.new_code(), "--quiet"])
    assert first.exit_code == 0, first.output
    store = open_store(path)
    records.create_record(store, "hh", "1", {"head_name": "Amina"}, finalized=True)
    store.close()
    # Port 9 (discard) is closed on loopback: the sync fails and says what to do.
    result = runner.invoke(main, ["sync", "--store", str(path), "--server",
                                  "http://127.0.0.1:9", "--quiet"])
    assert result.exit_code == 1
    assert "Could not reach the server" in result.output and "nothing was lost" in result.output
    store = open_store(path)
    assert len(outbox.pending(store)) == 1
    store.close()
