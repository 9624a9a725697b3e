"""The benchmarks report medians and spreads of repeated runs (issue 20): the loopback
comparison against PouchDB is judged on the ratio of medians of interleaved runs of
10,000 households, and bench/sync.py summarises its repeated runs the same way."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.append(str(BENCH))  # after the project: bench/sync.py must not shadow sync/

from netlab.report import summarise, table  # noqa: E402


def _bench_sync():
    spec = importlib.util.spec_from_file_location("bench_sync", BENCH / "sync.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_the_loopback_comparison_runs_10000_households_five_times_each() -> None:
    import run_all

    cfg = run_all.config(run_all.parse(["--no-netns"]))
    assert (cfg["compare_runs"], cfg["compare_households"]) == (5, 10_000)
    assert run_all.config(run_all.parse(["--quick"]))["compare_runs"] == 0


def test_the_target_is_the_ratio_of_medians_not_one_run() -> None:
    one_run = {"system": "hesabu", "phase": "households", "items": 1000, "seconds": 0.1,
               "items_per_s": 10_000.0, "bytes_per_item": 171, "requests": 1,
               "connections": 1, "note": "", "bytes_up": 1, "bytes_down": 1}
    pouch = {**one_run, "system": "pouchdb-b1000", "items_per_s": 1000.0}
    comparison = {"households": 10_000, "runs": 5, "order": "interleaved",
                  "hesabu": {"median": 3000.0, "min": 2500.0, "max": 9000.0,
                             "spread_pct": 260.0, "households_per_s": [3000.0] * 5},
                  "pouchdb-b1000": {"median": 2000.0, "min": 1900.0, "max": 2100.0,
                                    "spread_pct": 10.5, "households_per_s": [2000.0] * 5},
                  "ratio_of_medians": 1.5, "ratios_per_run": [1.5] * 5}
    doc = {"profiles": {"loopback": {"profile": "loopback", "phases": [one_run, pouch],
                                     "comparison": comparison}}}
    doc.update(summarise(doc))
    target = doc["targets"]["loopback_households_per_s_vs_pouchdb_b1000"]
    assert (target["ratio"], target["met"]) == (1.5, False)  # one run alone said 10x
    text = table(doc)
    assert "Ratio of medians: 1.5x" in text and "| hesabu | 3,000 | 2,500 | 9,000 |" in text


def test_repeated_sync_runs_give_median_range_and_spread() -> None:
    bench_sync = _bench_sync()
    runs = [{"push_households_per_s": v, "pull_households_per_s": None}
            for v in (4000.0, 5000.0, 4500.0)]
    figures = bench_sync.summarise(runs)
    assert figures["push_households_per_s"] == {"median": 4500.0, "min": 4000.0,
                                                "max": 5000.0, "spread_pct": 25.0}
    assert "pull_households_per_s" not in figures


def test_sync_bench_runs_the_device_in_its_own_process(tmp_path: Path) -> None:
    """A small real run of bench/sync.py: the device process pushes every household,
    a second one pulls them all, and the figures name where the device ran."""
    import json
    import subprocess

    done = subprocess.run(
        [sys.executable, str(BENCH / "sync.py"), "--households", "30", "--repeat", "1",
         "--databases", "sqlite", "--batch", "10"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout)
    assert figures["device_process"] == "its own"
    (run,) = figures["databases"]["sqlite"]["runs"]
    assert run["pull_received"] == 30 and run["push_requests_per_1000"] == 100.0
    assert run["push_client_cpu_s"] > 0 and run["pull_client_cpu_s"] > 0
