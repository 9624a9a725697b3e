"""Benchmark encryption at rest on the device store (docs/device-store.md).

    .venv/bin/python bench/encryption.py [--households 3000] [--runs 5]

With N finalized SDI households (realistic answers) in a store, measures:

- `first_unlock_ms`: opening the data key with the PIN (scrypt n=2^15, r=8, p=1), as the
  app does at every start; median of `--runs` fresh opens;
- `encrypt_existing_s`: the first PIN of a store that already holds the N households
  (an upgraded tablet): sealing every value in one transaction, then VACUUM;
- `list_*_ms`: the records list (search that finds nothing, so every record is read;
  and sorted by name), in clear and encrypted, medians of `--runs`.

Prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from field_app.core import encryption, records

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]
sys.path.append(str(ROOT / "bench"))

from households import load_household_form, make_household  # noqa: E402

from field_app.core.listing import list_records  # noqa: E402
from field_app.core.store import open_store  # noqa: E402

PIN = "2468"


def median_ms(call, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    spec = load_household_form()
    rng = random.Random(7)
    answers = [make_household(spec, rng, f"KB-{i // 3:04d}") for i in range(args.households)]
    out: dict = {"bench": "encryption", "households": args.households}
    with tempfile.TemporaryDirectory(prefix="hesabu-bench-") as tmp:
        clear = Path(tmp) / "clear.db"
        with open_store(clear) as store, store.transaction():
            for a in answers:
                records.create_record(store, spec.id, spec.version, a, finalized=True)
        with open_store(clear) as store:
            out["list_search_clear_ms"] = median_ms(
                lambda: list_records(store, search="zz-none"), args.runs)
            out["list_by_name_clear_ms"] = median_ms(
                lambda: list_records(store, sort="name"), args.runs)
        sealed = Path(tmp) / "sealed.db"
        shutil.copy(clear, sealed)
        with open_store(sealed) as store:
            started = time.perf_counter()
            encryption.encrypt_store(store, PIN)
            out["encrypt_existing_s"] = round(time.perf_counter() - started, 2)
        out["file_mb_clear"] = round(os.path.getsize(clear) / 1e6, 2)
        out["file_mb_encrypted"] = round(os.path.getsize(sealed) / 1e6, 2)
        unlocks = []
        for _ in range(args.runs):
            with open_store(sealed) as store:
                started = time.perf_counter()
                assert encryption.unlock(store, PIN)
                unlocks.append(time.perf_counter() - started)
        out["first_unlock_ms"] = round(statistics.median(unlocks) * 1000, 1)
        with open_store(sealed) as store:
            assert encryption.unlock(store, PIN)
            out["list_search_encrypted_ms"] = median_ms(
                lambda: list_records(store, search="zz-none"), args.runs)
            out["list_by_name_encrypted_ms"] = median_ms(
                lambda: list_records(store, sort="name"), args.runs)
    out["load_average_1m"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
