"""The hub from the command line: link, allow, sync-once, status, and `serve --hub`."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from harness import enrolment_code, new_tablet, server_state, sync_tablet

from field_app.core import records
from hesabu.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def central_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """These tests drive commands: SQLite is enough (the relay runs on PG elsewhere)."""
    yield f"sqlite:///{tmp_path_factory.mktemp('central') / 'hesabu.db'}"


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_link_allow_sync_once_and_serve_hub(central, tmp_path: Path, central_url: str) -> None:
    central_app, url = central
    hub_db = f"sqlite:///{tmp_path / 'hub.db'}"
    hub_opts = ["--database-url", hub_db, "--instance", str(tmp_path / "hub")]
    unlinked = CliRunner().invoke(main, ["hub", "sync-once", *hub_opts])
    assert unlinked.exit_code == 1 and "[hub.not_linked]" in unlinked.output
    assert json.loads(_run("hub", "status", *hub_opts)) == {"linked": False}
    for _ in range(2):  # linking again (a new code, the same hub id) signs with its key
        _run("hub", "link", "--upstream", url, "--code", enrolment_code(central_app),
             "--hub-id", "hub-cli", *hub_opts)
    _run("hub", "allow", "hub-cli", "--database-url", central_url,
         "--instance", str(tmp_path / "central"))
    once = json.loads(_run("hub", "sync-once", *hub_opts))
    assert once["ok"] and once["error"] is None

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "hesabu.cli", "serve", "--hub", "--upstream", url,
         "--port", str(port), *hub_opts], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    hub_url = f"http://127.0.0.1:{port}"
    try:
        status = _poll(f"{hub_url}/api/hub/status", lambda s: s.get("last_success"), proc)
        assert status["upstream_url"] == url
        from harness import make_server

        hub_app = make_server(hub_db, tmp_path / "hub")  # to make enrolment codes
        tablet = new_tablet(tmp_path / "t.db", hub_app, hub_url)
        records.create_record(tablet, "household", "1", {"head_name": "Serve"}, finalized=True)
        assert sync_tablet(tablet, hub_url).sent == 1
        tablet.close()
        # The worker syncs every 30 s; a new round starts at once after a restart, so
        # run one round here instead of waiting.
        _run("hub", "sync-once", *hub_opts)
        assert json.loads(_run("hub", "status", *hub_opts))["waiting_ops"] == 0
        assert any(r["head_name"] == "Serve" for r in server_state(central_app)[0].values())
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


def _poll(url: str, done, proc: subprocess.Popen, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url) as resp:
                status = json.loads(resp.read())
            if done(status):
                return status
        except OSError:
            pass
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        assert time.monotonic() < deadline, "the hub did not sync"
        time.sleep(0.1)
