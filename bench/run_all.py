"""Hesabu against its peers, side by side, on loopback and on slow links.

    sudo .venv/bin/python bench/run_all.py                      # everything (~9 min)
    .venv/bin/python bench/run_all.py --quick                   # smoke: loopback, no npm
    sudo .venv/bin/python bench/run_all.py --profiles edge --systems hesabu,pouchdb

Systems (each with its own server, fed the same households and photos):
- hesabu: the field app's SyncRunner over HttpTransport to `hesabu serve` (SQLite);
- pouchdb-b100 / pouchdb-b1000: pouchdb@9 replicating to pouchdb-server@4.2.0
  (npm, installed into a cache folder on first use) with batch_size 100 and 1000;
- odk-model: one OpenRosa submission per household (HEAD + multipart POST) to a minimal
  endpoint. A MODEL of the protocol, not ODK Central.
- hesabu-openrosa: the same client against Hesabu's real OpenRosa endpoint
  (`hesabu serve`, /key/<token>/submission): what ODK Collect costs on Hesabu.

Then, on this machine (no link): `hesabu import kobo` of a Kobo export of
--import-households households (bench/kobo_import.py).

Profiles (bench/netlab): loopback; 3G 1 Mbit/s +200 ms RTT 0.5% loss; EDGE 128 kbit/s
+600 ms RTT 1% loss; each in a network namespace this script creates and deletes. Every
byte goes through a proxy on the shaped link that counts bytes, requests and connections.
The interruption test cuts the link halfway through each transfer for --outage seconds and
reports what each system sent again.

Prints one JSON document on stdout and a table on stderr; --chart writes a PNG.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
# The project first (bench/sync.py would shadow the sync package), then bench/ itself.
sys.path[:0] = [str(ROOT)]
if str(BENCH) not in sys.path:
    sys.path.append(str(BENCH))

import kobo_import  # noqa: E402
from netlab.namespace import LINK_PORT, PROFILES, Namespace, Profile  # noqa: E402
from netlab.proxy import Link, ProxyProcess  # noqa: E402
from netlab.report import chart, machine, summarise, table  # noqa: E402
from peers import hesabu_push, odk_run, openrosa_run, pouch  # noqa: E402
from peers.common import Cut, Phase  # noqa: E402
from peers.data import make_dataset  # noqa: E402

SYSTEMS = ("hesabu", "pouchdb", "odk", "openrosa")
ODK_NOTE = ("odk-model is a model of the OpenRosa submission protocol (HEAD + multipart "
            "POST per household to a minimal endpoint in this benchmark), not ODK Central.")


def _system_run(system: str, data: Any, proxy: Link, folder: Path, photos: int,
                cfg: dict, profile: Profile, cut: dict[str, Cut] | None = None,
                batches: tuple[int, ...] | None = None) -> list[Phase]:
    folder.mkdir(parents=True, exist_ok=True)
    if system == "hesabu":
        options = None
        if cfg.get("hesabu_max_kb"):  # a what-if: the app's batch byte limit changed
            from field_app.core.sync_runner import SyncOptions

            options = SyncOptions(max_bytes=cfg["hesabu_max_kb"] * 1024)
        return hesabu_push.run(data, proxy, folder, photos, cut=cut, options=options,
                               server=cfg.get("hesabu_server") or "serve")
    if system == "pouchdb":
        return pouch.run(data, proxy, folder, photos,
                         batch_sizes=batches or _pouch_batches(cfg, profile), cut=cut)
    if system in ("odk", "openrosa"):
        sample = cfg["odk_sample"] if cfg["odk_sample"] is not None else profile.odk_households
        runner = odk_run.run if system == "odk" else openrosa_run.run
        return runner(data, proxy, folder, photos, sample=sample, cut=cut)
    raise ValueError(system)


def loopback_comparison(cfg: dict, proxy: Link, folder: Path) -> dict[str, Any]:
    """Hesabu against PouchDB batch_size 1000 on loopback: --compare-households
    households, no photos, --compare-runs runs of each, interleaved (hesabu, pouchdb,
    hesabu, ...) so that a busy minute on the shared machine falls on both; every run
    starts from a fresh server and device. Median, range and spread of households/s for
    each, and the ratio of the medians (the loopback target)."""
    profile = PROFILES["loopback"]
    n, runs = cfg["compare_households"], cfg["compare_runs"]
    data = make_dataset(folder / "compare-photos", n, 0, cfg["seed"])
    rates: dict[str, list[float]] = {"hesabu": [], "pouchdb-b1000": []}
    for i in range(runs):
        for system in ("hesabu", "pouchdb"):
            phases = _system_run(system, data, proxy, folder / f"compare-{system}-{i}", 0,
                                 cfg, profile, batches=(1000,))
            phase = next(p for p in phases if p.phase == "households")
            rates[phase.system].append(phase.per_s)
            print(f"[loopback] comparison run {i + 1}/{runs}: {phase.system} "
                  f"{phase.per_s:,.0f} households/s", file=sys.stderr, flush=True)
    out: dict[str, Any] = {"households": n, "runs": runs, "order": "interleaved"}
    for system, values in rates.items():
        ordered = sorted(values)
        out[system] = {"households_per_s": [round(v, 1) for v in values],
                       "median": round(statistics.median(values), 1),
                       "min": round(ordered[0], 1), "max": round(ordered[-1], 1),
                       "spread_pct": round(100 * (ordered[-1] / ordered[0] - 1), 1)}
    out["ratio_of_medians"] = round(out["hesabu"]["median"] / out["pouchdb-b1000"]["median"],
                                    2)
    out["ratios_per_run"] = [round(h / p, 2) for h, p in zip(rates["hesabu"],
                                                             rates["pouchdb-b1000"],
                                                             strict=True)]
    return out


def _pouch_batches(cfg: dict, profile: Profile) -> tuple[int, ...]:
    return tuple(cfg["pouch_batches"] or profile.pouch_batches)


def run_profile(key: str, cfg: dict) -> dict[str, Any]:
    """Every system on one link, in this process's network namespace."""
    profile = PROFILES[key]
    photos = cfg["photos"] if cfg["photos"] is not None else profile.photos
    result: dict[str, Any] = {"profile": profile.name, "link": profile.describe(),
                              "households": cfg["households"], "photos": photos,
                              "phases": [], "interrupt": []}
    with tempfile.TemporaryDirectory(prefix="hesabu-peers-") as tmp:
        folder = Path(tmp)
        data = make_dataset(folder / "photos", cfg["households"], photos, cfg["seed"])
        port = LINK_PORT if cfg["netns"] else 0
        with ProxyProcess(0, port=port, one_way_delay_s=profile.rtt_ms / 2000) as proxy:
            clean: dict[str, list[Phase]] = {}
            for system in cfg["systems"]:
                print(f"[{profile.name}] {system}...", file=sys.stderr, flush=True)
                clean[system] = _system_run(system, data, proxy, folder / system, photos,
                                            cfg, profile)
                for phase in clean[system]:
                    print(f"[{profile.name}]   {phase.system} {phase.phase}: "
                          f"{phase.seconds:.2f} s, {phase.bytes_up + phase.bytes_down} B",
                          file=sys.stderr, flush=True)
            for system, phases in clean.items():
                for phase in phases:
                    if system in ("odk", "openrosa") and phase.phase == "households":
                        phase = odk_run.scaled(phase, cfg["households"])
                    result["phases"].append(phase.to_json())
            if key in cfg["interrupt"]:
                result["interrupt"] = _interrupts(data, proxy, folder, photos, cfg, profile,
                                                  clean)
            if key == "loopback" and cfg["compare_runs"] and {"hesabu", "pouchdb"} <= set(
                    cfg["systems"]):
                result["comparison"] = loopback_comparison(cfg, proxy, folder)
    return result


def _interrupts(data: Any, proxy: Link, folder: Path, photos: int, cfg: dict,
                profile: Profile, clean: dict[str, list[Phase]]) -> list[dict[str, Any]]:
    """Each system again with the link cut halfway through each phase."""
    rows = []
    for system, phases in clean.items():
        batches = (max(_pouch_batches(cfg, profile)),)
        base = {p.phase: p for p in phases
                if system != "pouchdb" or p.system == f"pouchdb-b{batches[0]}"}
        cut = {name: Cut(p.bytes_up // 2, cfg["outage"]) for name, p in base.items()}
        print(f"[{profile.name}] {system} with the link cut for {cfg['outage']} s "
              "halfway...", file=sys.stderr, flush=True)
        again = _system_run(system, data, proxy, folder / f"{system}-cut", photos, cfg,
                            profile, cut=cut, batches=batches)
        for p in again:
            ref = base[p.phase]
            rows.append({
                "system": p.system, "phase": p.phase, "items": p.items,
                "outage_s": cfg["outage"], "cuts": p.cuts,
                "clean_bytes_up": ref.bytes_up, "cut_bytes_up": p.bytes_up,
                "resent_bytes": p.bytes_up - ref.bytes_up,
                "resent_pct": round(100 * (p.bytes_up - ref.bytes_up) / ref.bytes_up, 1)
                if ref.bytes_up else None,
                "clean_s": round(ref.seconds, 2), "cut_s": round(p.seconds, 2),
                "extra_requests": p.requests - ref.requests,
                "connections": p.connections, "client_restarts": p.retries,
                "note": p.note,
            })
    return rows


# -- orchestration ---------------------------------------------------------------------------
def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return platform.platform()


def _in_namespace(key: str, cfg: dict) -> dict[str, Any]:
    with Namespace(PROFILES[key]) as ns:
        cmd = [*ns.exec_prefix, sys.executable, str(Path(__file__).resolve()),
               "--worker", key, "--config", json.dumps(cfg)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        try:
            out, _ = proc.communicate()
        except BaseException:
            # Let the worker stop its servers (it turns SIGTERM into a clean exit).
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
            raise
        if proc.returncode != 0:
            raise RuntimeError(f"the {key} run failed (exit {proc.returncode}); see above")
        return json.loads(out.strip().splitlines()[-1])


def _terminate(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # run every finally: servers stop, namespaces go


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--profiles", default="loopback,3g,edge",
                   help=f"comma-separated, of {','.join(PROFILES)}")
    p.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated, of "
                   f"{','.join(SYSTEMS)}")
    p.add_argument("--households", type=int, default=1000)
    p.add_argument("--photos", type=int, help="photos of ~200 KB per profile (default: "
                   + ", ".join(f"{k} {v.photos}" for k, v in PROFILES.items()) + ")")
    p.add_argument("--odk-sample", type=int, help="ODK-style submissions to measure before "
                   "scaling to all households (default: all on loopback, "
                   + ", ".join(f"{k} {v.odk_households}" for k, v in PROFILES.items()
                               if v.odk_households) + ")")
    p.add_argument("--pouch-batches", help="PouchDB batch_size values (default: 100,1000; "
                   "1000 only on EDGE)")
    p.add_argument("--interrupt", default="3g", help="profiles on which to cut the link "
                   "mid-transfer ('none' for no interruption test)")
    p.add_argument("--outage", type=float, default=3.0, help="seconds the link stays cut")
    p.add_argument("--hesabu-max-kb", type=int, help="what-if: Hesabu's push batch limit "
                   "in KB of uncompressed JSON (default: the app's own)")
    p.add_argument("--hesabu-server", choices=("serve", "gthread"),
                   default="serve", help="what-if: run Hesabu's server as gunicorn -k "
                   "gthread instead of `hesabu serve` (waitress)")
    p.add_argument("--no-netns", action="store_true", help="loopback only, in this process "
                   "(no root needed)")
    p.add_argument("--quick", action="store_true", help="smoke test: loopback, no netns, "
                   "hesabu and odk, 20 households, 2 photos")
    p.add_argument("--import-households", type=int, default=10_000,
                   help="households of the Kobo export imported with `hesabu import kobo` "
                        "(0: no import run; --quick: 100)")
    p.add_argument("--compare-runs", type=int, default=5,
                   help="loopback: runs of Hesabu and of PouchDB batch 1000, interleaved, "
                        "households only, for the median comparison (0: none)")
    p.add_argument("--compare-households", type=int, default=10_000,
                   help="households each comparison run sends")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--chart", type=Path, help="write a PNG chart of seconds per profile")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--config", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def config(args: argparse.Namespace) -> dict[str, Any]:
    if args.quick:
        args.profiles, args.no_netns, args.interrupt = "loopback", True, "none"
        args.systems = "hesabu,odk" if args.systems == ",".join(SYSTEMS) else args.systems
        args.households = 20 if args.households == 1000 else args.households
        args.photos = 2 if args.photos is None else args.photos
        args.import_households = 100 if args.import_households == 10_000 \
            else args.import_households
    if args.no_netns and args.profiles == "loopback,3g,edge":
        args.profiles = "loopback"
    profiles = [p.strip().lower() for p in args.profiles.split(",") if p.strip()]
    systems = [s.strip().lower() for s in args.systems.split(",") if s.strip()]
    for name, allowed, given in (("profile", PROFILES, profiles), ("system", SYSTEMS, systems)):
        unknown = [g for g in given if g not in allowed]
        if unknown:
            raise SystemExit(f"unknown {name}: {', '.join(unknown)} (choose from "
                             f"{', '.join(allowed)})")
    if args.no_netns and profiles != ["loopback"]:
        raise SystemExit("--no-netns runs the loopback profile only (slow links need root)")
    return {"profiles": profiles, "systems": systems, "households": args.households,
            "photos": args.photos, "odk_sample": args.odk_sample,
            "pouch_batches": [int(b) for b in args.pouch_batches.split(",")]
            if args.pouch_batches else None,
            "interrupt": [] if args.interrupt == "none" else
            [i.strip().lower() for i in args.interrupt.split(",")],
            "outage": args.outage, "seed": args.seed, "netns": not args.no_netns,
            "hesabu_max_kb": args.hesabu_max_kb, "hesabu_server": args.hesabu_server,
            "import_households": args.import_households,
            "compare_runs": 0 if args.quick else args.compare_runs,
            "compare_households": args.compare_households}


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    # Ctrl-C raises KeyboardInterrupt even when started in the background (where SIGINT
    # is inherited as ignored); SIGTERM and SIGHUP unwind the same way.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _terminate)
    if args.worker:
        print(json.dumps(run_profile(args.worker, json.loads(args.config))))
        return 0
    cfg = config(args)
    if "pouchdb" in cfg["systems"]:
        pouch.ensure_installed()  # outside the namespace: npm needs the registry
    started = time.time()
    doc: dict[str, Any] = {"bench": "peers",
                           "started_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                           "machine": machine(), "config": cfg,
                           "commands": " ".join([os.path.relpath(sys.executable, ROOT),
                                                 "bench/run_all.py", *(argv or sys.argv[1:])]),
                           "odk_note": ODK_NOTE, "profiles": {}}
    print(ODK_NOTE, file=sys.stderr)
    for key in cfg["profiles"]:
        load_before = _uptime()
        if cfg["netns"]:
            result = _in_namespace(key, cfg)
        else:
            result = run_profile(key, cfg)
        result["uptime_before"] = load_before
        result["uptime_after"] = _uptime()
        doc["profiles"][key] = result
    if cfg["import_households"]:
        print(f"hesabu import kobo of {cfg['import_households']} households...",
              file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory(prefix="hesabu-import-") as tmp:
            doc["import"] = kobo_import.run(cfg["import_households"], Path(tmp),
                                            seed=cfg["seed"])
    doc["seconds"] = round(time.time() - started, 1)
    doc.update(summarise(doc))
    print(table(doc), file=sys.stderr)
    if "import" in doc:
        print("\n" + kobo_import.describe(doc["import"]), file=sys.stderr)
    if args.chart:
        chart(doc, args.chart)
        print(f"chart written to {args.chart}", file=sys.stderr)
    print(json.dumps(doc))
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        print("interrupted: servers stopped, namespace removed", file=sys.stderr)
        raise SystemExit(130) from None
