"""The sync screen shows changes kept aside after a refusal, with the server's reason,
and sends them again at a touch (issue 19): the real app offscreen, a real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from flaskhub import FlaskHub  # noqa: E402

from client.api import SyncApi  # noqa: E402
from client.transport import HttpTransport  # noqa: E402
from field_app.core import outbox, records  # noqa: E402
from field_app.core.app_state import AppState  # noqa: E402
from field_app.core.store import open_store  # noqa: E402
from field_app.core.sync_runner import enrol  # noqa: E402


def test_a_refused_change_is_explained_and_sent_again_from_the_sync_screen(
        tmp_path: Path) -> None:
    hub = FlaskHub(tmp_path / "instance")
    try:
        store = open_store(tmp_path / "tablet.db", device_name="Kibera 3")
        with HttpTransport(hub.url) as transport:
            enrol(store, SyncApi(transport), hub.new_code())
        state = AppState(store)
        state.language = "en"
        state.set_pin("2468")
        records.create_record(store, "hh", "1", {"head_name": "Amina"}, finalized=True)
        [queued] = outbox.pending_queued(store)
        # Refused by the server before its leader fixed the cause: parked here.
        outbox.mark_attempted(store, [queued.op_id])
        outbox.mark_rejected(store, [{"op_id": queued.op_id, "code": "sync.record_forbidden",
                                      "message": "this record belongs to another federation",
                                      "retryable": False}])
        store.close()
        env = {**os.environ, "KIVY_HOME": str(tmp_path / "kivy")}
        proc = subprocess.run([sys.executable, str(HERE / "sync_screen.py"), json.dumps(
            {"store": str(tmp_path / "tablet.db"), "pin": "2468"})],
            capture_output=True, text=True, timeout=120, env=env)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
        assert proc.returncode == 0 and lines, proc.stderr[-6000:]
        facts = json.loads(lines[-1][len("RESULT "):])
        before, after = facts["before"], facts["after"]
        assert before["headline"].startswith("Sent: 0. Received:")
        assert "Refused earlier and kept on this tablet: 1." in before["headline"]
        assert "Kept aside: 1. this record belongs to another federation" in before["advice"]
        assert before["button"] == ["Send refused changes again", 1, False]
        assert after["headline"].startswith("Sent: 1. Received:")
        assert "Refused" not in after["headline"] and after["advice"] == ""
        assert after["button"][1:] == [0, True]
        assert hub.op_count(queued.op_id) == 1
    finally:
        hub.close()
