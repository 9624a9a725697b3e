"""Benchmark the field app offscreen: cold start to the home screen, opening the household
form, moving to the next page, adding a household member.

    .venv/bin/python bench/app.py [--runs 3]

Each run is a fresh process (a cold start: Python, Kivy, OpenGL, the store) on a store
with the SDI forms and a few records, the PIN typed on the unlock screen. Every timed
step includes drawing one frame; half a second of idle frames comes before each step
(a person reads the page first; the app builds the next page meanwhile). Prints one
JSON object on stdout and a table on stderr. Targets: start under 2 s, page change under 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def child(store: str) -> None:
    """One cold start, then the form timings; prints JSON."""
    started = float(os.environ["BENCH_T0"])
    from field_app.ui import headless

    headless.offscreen_environment(Path(store).parent / "kivy")
    from field_app.ui.app import HesabuApp

    app = headless.start(HesabuApp(store_path=store))
    unlock = app.root.get_screen("pin_unlock")
    unlock.ids.pin.text = "2468"
    assert unlock.unlock()
    headless.pump(1)
    cold = time.time() - started

    def timed(step) -> float:
        headless.settle(0.5)  # the enumerator reads the page before the next tap
        t = time.perf_counter()
        step()
        headless.pump(1)
        return (time.perf_counter() - t) * 1000

    settlement = app.store.query(
        "SELECT record_id FROM records WHERE form_id = 'sdi_settlement_profile'")[0]["record_id"]
    structure = app.store.query(
        "SELECT record_id FROM records WHERE form_id = 'sdi_structure_numbering'")[0]["record_id"]
    form = app.root.get_screen("form")
    open_ms = timed(lambda: app.go("form", form_id="sdi_household_enumeration",
                                   settlement_id=settlement, structure_id=structure))
    form.answer(("consent",), "yes")
    form.answer(("household", "members_count"), 1)
    pages = []
    while not form.nav.at_end:
        pages.append(timed(form.next_page))
    form.nav.go(2)
    form.show_page()
    adds = [timed(form.add_instance) for _ in range(5)]
    app.stop()
    print(json.dumps({"cold_start_s": cold, "open_form_ms": open_ms, "next_page_ms": pages,
                      "add_member_ms": adds}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    from field_app.ui.screenshots import demo_store

    results = []
    for _ in range(args.runs):
        work = Path(tempfile.mkdtemp(prefix="hesabu-bench-app-"))
        demo_store(work / "tablet.db")
        env = {**os.environ, "BENCH_T0": repr(time.time())}
        out = subprocess.run([sys.executable, __file__, "--child", str(work / "tablet.db")],
                             capture_output=True, text=True, env=env, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    pages = [p for r in results for p in r["next_page_ms"]]
    adds = [a for r in results for a in r["add_member_ms"]]
    summary = {
        "runs": args.runs,
        "cold_start_to_home_s": round(statistics.median(r["cold_start_s"] for r in results), 3),
        "open_household_form_ms": round(statistics.median(r["open_form_ms"] for r in results), 1),
        "next_page_ms_median": round(statistics.median(pages), 1),
        "next_page_ms_max": round(max(pages), 1),
        "add_member_ms_median": round(statistics.median(adds), 1),
        "targets": {"cold_start_to_home_s": 2.0, "next_page_ms": 100},
    }
    print(json.dumps(summary))
    for key, value in summary.items():
        if key != "targets":
            print(f"{key:28} {value}", file=sys.stderr)


if __name__ == "__main__":
    main()
