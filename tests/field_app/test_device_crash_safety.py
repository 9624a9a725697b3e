"""Killing the app in the middle of edits never leaves an edit without its op (or the reverse)."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from field_app.core import records
from field_app.core.integrity import check_store
from field_app.core.store import open_store
from sync.ops import Op

ROOT = Path(__file__).resolve().parents[2]

# The "app": opens the store and saves edits as fast as it can, printing each op id
# once its save returned (that is, once the enumerator would have seen it saved).
WORKER = """
import random, sys
from field_app.core import records
from field_app.core.store import open_store
store = open_store(sys.argv[1])
record_ids = sys.argv[2:]
print("ready", flush=True)
i = 0
while True:
    i += 1
    rid = random.choice(record_ids)
    changes = {f"q{random.randrange(30)}": random.randrange(10**6) for _ in range(3)}
    if i % 7 == 0:
        changes["members[m%d]" % (i % 5)] = i
    op_id = records.save_answers(store, rid, changes)
    print(op_id, flush=True)
"""


@pytest.mark.slow
def test_sigkill_during_edits_keeps_every_saved_edit_with_exactly_one_op(tmp_path: Path) -> None:
    path = tmp_path / "device.db"
    store = open_store(path)
    record_ids = [records.create_record(store, "hh", "1", {"head_name": f"H{i}"}, finalized=True)
               for i in range(4)]
    store.close()
    rng = random.Random(7)
    saved: list[str] = []
    for _ in range(25):
        proc = subprocess.Popen([sys.executable, "-c", WORKER, str(path), *record_ids],
                                cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.25))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        saved.extend(line for line in out.split() if line not in ("ready", "None"))
    assert len(saved) > 100, "the worker should have saved many edits before the kills"

    store = open_store(path)
    try:
        assert check_store(store) == []
        counts = {r["op_id"]: r["n"] for r in store.query(
            "SELECT op_id, count(*) AS n FROM outbox GROUP BY op_id")}
        missing = [op_id for op_id in saved if counts.get(op_id) != 1]
        assert not missing, f"{len(missing)} saved edits have no single outbox op"
        # Every op in the outbox is a complete op of the protocol.
        rows = store.query("SELECT o.op_id, t.op FROM outbox o "
                           "JOIN outbox_ops t ON t.seq = o.seq")
        assert len(rows) == sum(counts.values()), "every outbox row has its op text"
        for row in rows:
            assert Op.from_wire(json.loads(row["op"])).op_id == row["op_id"]  # raises if not an op
    finally:
        store.close()
