"""Benchmark what an enumerator waits for in the field app: from the tap to the page drawn.

    .venv/bin/python bench/app.py [--runs 3]

Each run is a fresh process (a cold start: Python, Kivy, OpenGL, the store) on a store
with the SDI forms and a few records, the PIN typed on the unlock screen. Then, on the
household form and on the 210-question settlement profile, with no pause between steps
(the next page is never built ahead while the enumerator reads: the worst case, a fast
tapper), it times each step from the call a tap makes to the end of the first frame
drawn after it:

- next page (every page of the form, Next after Next),
- add a household member,
- open the overview (every group, member and question with its state).

Prints one JSON object on stdout (p50/p95 per measure and form, the load average
before and after) and a table on stderr. Targets (issue 12): next page p95 < 100 ms, add
a member p95 < 150 ms, overview < 200 ms, cold start to home < 1.5 s, on this 2-core
machine with Mesa's software OpenGL, at load average under 1.
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

TARGETS = {"next_page_p95_ms": 100, "add_member_p95_ms": 150, "overview_p95_ms": 200,
           "cold_start_to_home_s": 1.5}


def child(store: str) -> None:
    """One cold start, then the timed steps; prints JSON."""
    started = float(os.environ["BENCH_T0"])
    from field_app.ui import headless

    headless.offscreen_environment(Path(store).parent / "kivy")
    from kivy.base import EventLoop

    from field_app.ui.app import HesabuApp

    app = headless.start(HesabuApp(store_path=store))
    unlock = app.root.get_screen("pin_unlock")
    unlock.ids.pin.text = "2468"
    assert unlock.unlock()
    EventLoop.idle()
    cold = time.time() - started

    def timed(step) -> float:
        """The step (what a tap calls) and the frame that shows its result."""
        t = time.perf_counter()
        step()
        EventLoop.idle()
        return (time.perf_counter() - t) * 1000

    settlement = app.store.query(
        "SELECT record_id FROM records WHERE form_id = 'sdi_settlement_profile'")[0]["record_id"]
    structure = app.store.query(
        "SELECT record_id FROM records WHERE form_id = 'sdi_structure_numbering'")[0]["record_id"]
    form = app.root.get_screen("form")
    out: dict[str, dict[str, list[float]]] = {}

    # The household: consent and two members, then page after page, five more members.
    household = out["household"] = {}
    household["open"] = [timed(lambda: app.go(
        "form", form_id="sdi_household_enumeration", settlement_id=settlement,
        structure_id=structure))]
    form.answer(("consent",), "yes")
    form.answer(("household", "members_count"), 2)
    household["next_page"] = []
    while not form.nav.at_end:
        household["next_page"].append(timed(form.next_page))
    household["overview"] = [timed(form.show_overview)]
    app.root.current = "form"
    form.go_member(("household", "members"), 0)
    household["add_member"] = [timed(form.add_instance) for _ in range(5)]

    # The settlement profile: 210 questions in 17 pages.
    profile = out["settlement_profile"] = {}
    profile["open"] = [timed(lambda: app.go("form", form_id="sdi_settlement_profile"))]
    profile["next_page"] = []
    while not form.nav.at_end:
        profile["next_page"].append(timed(form.next_page))
    profile["overview"] = [timed(form.show_overview)]
    app.stop()
    print(json.dumps({"cold_start_s": cold, "forms": out}))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    from field_app.ui.screenshots import demo_store

    load_before = os.getloadavg()[0]
    results = []
    for _ in range(args.runs):
        work = Path(tempfile.mkdtemp(prefix="hesabu-bench-app-"))
        demo_store(work / "tablet.db")
        env = {**os.environ, "BENCH_T0": repr(time.time())}
        out = subprocess.run([sys.executable, __file__, "--child", str(work / "tablet.db")],
                             capture_output=True, text=True, env=env, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    summary: dict = {"runs": args.runs, "load_average_before": round(load_before, 2),
                     "cold_start_to_home_s": round(statistics.median(
                         r["cold_start_s"] for r in results), 3)}
    measures = {}
    for form in ("household", "settlement_profile"):
        for measure in ("open", "next_page", "add_member", "overview"):
            values = [v for r in results for v in r["forms"][form].get(measure, [])]
            if values:
                measures[f"{form}.{measure}"] = {
                    "n": len(values), "p50_ms": round(statistics.median(values), 1),
                    "p95_ms": round(percentile(values, 0.95), 1),
                    "max_ms": round(max(values), 1)}
    summary["steps"] = measures
    summary["load_average_after"] = round(os.getloadavg()[0], 2)
    summary["targets"] = TARGETS
    print(json.dumps(summary))
    print(f"cold start to home: {summary['cold_start_to_home_s']} s   load average "
          f"{summary['load_average_before']} -> {summary['load_average_after']}",
          file=sys.stderr)
    print(f"{'step':34} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}", file=sys.stderr)
    for name, m in measures.items():
        print(f"{name:34} {m['n']:>4} {m['p50_ms']:>8} {m['p95_ms']:>8} {m['max_ms']:>8}",
              file=sys.stderr)


if __name__ == "__main__":
    main()
