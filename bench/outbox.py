"""Benchmark the tablet's outbox bookkeeping on the push path, without a server.

    .venv/bin/python bench/outbox.py [--households 1000] [--runs 7]

Builds a real device store with N finalized SDI households (bench/peers/data.py
`make_dataset`, bench/peers/hesabu_push.py `build_device`: one ~1.5 KB op each) and a
second one with the same households as drafts. Each run copies the built file, opens it
(migrations run outside the timing) and times what a push does to the store around the
request: `pending_queued` (read the ops' text), `mark_attempted` (committed before the
request) and `mark_acked` (after the answer), for all N ops in one batch. `finalize_ms`
finalizes the N drafts in one transaction (the outbox rows become ready).

Prints one JSON object on stdout (medians over the runs, in milliseconds) and a table on
stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The project first (bench/sync.py would shadow the sync package), bench/ folders last.
sys.path[:0] = [str(ROOT)]
sys.path += [str(ROOT / "bench"), str(ROOT / "bench" / "peers")]

from peers.data import make_dataset  # noqa: E402
from peers.hesabu_push import build_device  # noqa: E402

from field_app.core import outbox, records  # noqa: E402
from field_app.core.migrations import MIGRATION_NAMES  # noqa: E402
from field_app.core.store import open_store  # noqa: E402


def ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def build_drafts(path: Path, data) -> list[str]:
    store = open_store(path, device_name="bench tablet")
    with store.transaction():
        for h in data.households:
            records.create_record(store, data.spec.id, data.spec.version, h.answers,
                                  record_id=h.record_id)
    store.close()
    return [h.record_id for h in data.households]


def one_run(built: Path, drafts: Path, record_ids: list[str], work: Path) -> dict[str, float]:
    path = work / "push.db"
    shutil.copy(built, path)
    store = open_store(path)
    try:
        t = time.perf_counter()
        queued = outbox.pending_queued(store)
        read = ms(t)
        ids = [q.op_id for q in queued]
        assert len(ids) == len(record_ids)
        t = time.perf_counter()
        outbox.mark_attempted(store, ids)
        attempted = ms(t)
        t = time.perf_counter()
        outbox.mark_acked(store, ids)
        acked = ms(t)
        assert outbox.counts(store).ready == 0
    finally:
        store.close()

    path = work / "finalize.db"
    shutil.copy(drafts, path)
    store = open_store(path)
    try:
        t = time.perf_counter()
        with store.transaction():
            for rid in record_ids:
                records.finalize(store, rid)
        finalized = ms(t)
        assert outbox.counts(store).ready == len(record_ids)
    finally:
        store.close()
    return {"pending_queued_ms": read, "mark_attempted_ms": attempted,
            "mark_acked_ms": acked, "push_bookkeeping_ms": read + attempted + acked,
            "finalize_ms": finalized}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hesabu-bench-outbox-") as tmp:
        work = Path(tmp)
        print(f"building device stores with {args.households} households...", file=sys.stderr)
        data = make_dataset(work / "data", args.households, photos=0, seed=args.seed)
        build_device(work / "built.db", data, photos=0).close()
        record_ids = build_drafts(work / "drafts.db", data)
        probe = open_store(work / "built.db")
        op_bytes = probe.query("SELECT avg(length(op)) AS n FROM outbox_ops")[0]["n"]
        probe.close()
        runs = [one_run(work / "built.db", work / "drafts.db", record_ids, work)
                for _ in range(args.runs)]
    result: dict[str, object] = {
        "households": args.households, "runs": args.runs,
        "schema": MIGRATION_NAMES[-1], "op_bytes_avg": round(op_bytes),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    for key in runs[0]:
        values = [r[key] for r in runs]
        result[key] = round(statistics.median(values), 2)
        result[key.replace("_ms", "_range_ms")] = [round(min(values), 2),
                                                   round(max(values), 2)]
        print(f"{key:22} median {statistics.median(values):8.2f} ms   "
              f"min {min(values):8.2f}   max {max(values):8.2f}", file=sys.stderr)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
