"""Benchmark sync: households pushed from a device store to a server over real HTTP.

    .venv/bin/python bench/sync.py [--households 5000] [--database-url URL] [--batch 1000]

Builds a device store with N finalized households (realistic answers from the SDI
household enumeration form), starts the Flask server on loopback (SQLite in a temporary
folder, or the PostgreSQL database given by --database-url), and measures with the real
client (`field_app.core`), through a counting TCP proxy so bytes are what crossed the
socket (HTTP headers included):

- push: households/s, bytes on the wire per household, requests per 1,000 households;
- pull of the same households by a second device;
- a no-op sync (nothing to send or receive): requests and milliseconds.

`push_households_per_cpu_s` divides by the CPU time of this process (client, server and
proxy together) rather than wall time: on a busy machine it is the steadier number;
`load_average_1m` says how busy the machine was. Prints one JSON object on stdout and a
table on stderr. Targets: >= 5,000 households/s
pushed (SQLite server), <= 200 bytes per household on the wire, a no-op sync in <= 2
requests.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import logging
import os
import random
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # before bench/, whose sync.py would shadow the package

from households import load_household_form, make_household  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from field_app.core import outbox  # noqa: E402
from field_app.core.api import SyncApi  # noqa: E402
from field_app.core.store import Store, open_store  # noqa: E402
from field_app.core.sync_runner import SyncOptions, SyncRunner, enrol, run_sync  # noqa: E402
from field_app.core.transport import HttpTransport  # noqa: E402
from server.app import create_app  # noqa: E402
from server.extensions import db  # noqa: E402
from server.services.devices import create_enrolment_code  # noqa: E402
from server.services.forms import publish_form  # noqa: E402
from sync.batching import plan_batches  # noqa: E402

TARGET_PUSH_PER_S = 5000
TARGET_BYTES_PER_HOUSEHOLD = 200
TARGET_NOOP_REQUESTS = 2


class CountingProxy:
    """Forwards loopback TCP and counts the bytes each way (what a mobile link carries)."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.up = self.down = self.connections = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self) -> None:
        with self._lock:
            self.up = self.down = self.connections = 0

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._pipe, args=(client, upstream, "up"),
                             daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, "down"),
                             daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, direction: str) -> None:
        try:
            while data := src.recv(262144):
                dst.sendall(data)
                with self._lock:
                    if direction == "up":
                        self.up += len(data)
                    else:
                        self.down += len(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._listener.close()


def build_store(path: Path, n: int, seed: int, pin: str | None = None
                ) -> tuple[Store, float]:
    """A store with `n` finalized households; encrypted under `pin` (before the records
    are made, as on a tablet, whose first PIN comes before its first household)."""
    spec = load_household_form()
    rng = random.Random(seed)
    answers = [make_household(spec, rng, f"KB-{i // 3:04d}") for i in range(n)]
    store = open_store(path, device_name="bench tablet")
    if pin is not None:
        store.encrypt(pin)
    started = time.perf_counter()
    with store.transaction():
        for a in answers:
            store.create_record(spec.id, spec.version, a, finalized=True)
    return store, time.perf_counter() - started


def new_api(url: str, store: Store | None = None) -> SyncApi:
    return SyncApi(HttpTransport(url, store.device.token if store else None, timeout_s=300))


def _profiled(call: Any) -> None:
    """Run `call` under cProfile (this thread only: the device side) and print the top."""
    import cProfile
    import pstats
    profiler = cProfile.Profile()
    profiler.runcall(call)
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(15)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=5000)
    parser.add_argument("--database-url", help="run the server on this database "
                        "(e.g. postgresql+psycopg://...) instead of a fresh SQLite file")
    parser.add_argument("--batch", type=int, default=1000, help="max ops per push request")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--encrypted", action="store_true",
                        help="both device stores encrypted at rest (docs/device-store.md)")
    parser.add_argument("--profile-pull", action="store_true",
                        help="profile the device side of the pull (stderr)")
    parser.add_argument("--profile-push", action="store_true",
                        help="profile the device side of the push (stderr)")
    parser.add_argument("--profile-noop", action="store_true",
                        help="profile the device side of the no-op sync (stderr)")
    args = parser.parse_args(argv)
    n = args.households
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log on stderr

    with tempfile.TemporaryDirectory(prefix="hesabu-bench-") as tmp:
        tmpdir = Path(tmp)
        print(f"building a device store with {n} households...", file=sys.stderr)
        pin = "2468" if args.encrypted else None
        unlock_s = None
        if pin is not None:  # the first unlock of an encrypted store: scrypt, this machine
            with open_store(tmpdir / "probe.db") as probe:
                probe.encrypt(pin)
            with open_store(tmpdir / "probe.db") as probe:
                started = time.perf_counter()
                assert probe.unlock(pin)
                unlock_s = time.perf_counter() - started
        device_a, build_s = build_store(tmpdir / "a.db", n, args.seed, pin)
        url_db = args.database_url or f"sqlite:///{tmpdir / 'server.db'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url_db,
                          "INSTANCE_PATH": str(tmpdir / "instance")})
        spec = load_household_form()
        with app.app_context():
            publish_form(spec)
            codes = [create_enrolment_code(1)[0] for _ in range(2)]
        httpd = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
        proxy = CountingProxy(httpd.server_port)
        url = f"http://127.0.0.1:{proxy.port}"
        options = SyncOptions(max_ops=args.batch, max_bytes=8 * 1024 * 1024)
        try:
            api = new_api(url)
            enrol(device_a, api, codes[0])
            api.transport.close()

            # -- the device's own share of a push: reading the outbox, batching, gzip --
            started = time.perf_counter()
            queued = outbox.pending_queued(device_a)
            batches = plan_batches(queued, options.max_ops, options.max_bytes)  # type: ignore[arg-type]
            gz = [len(gzip.compress(("[" + ",".join(q.text for q in b) + "]").encode(), 6))
                  for b in batches]
            client_s = time.perf_counter() - started
            raw_bytes = sum(q.wire_size() for q in queued)

            # -- push --------------------------------------------------------------
            proxy.reset()
            api = new_api(url, device_a)
            runner = SyncRunner(device_a, api, options)
            started, cpu_started = time.perf_counter(), time.process_time()
            if args.profile_push:
                _profiled(runner.push)
            else:
                runner.push()
            push_s = time.perf_counter() - started
            # Client, server and proxy share this process: its CPU time is the work of
            # the whole push, and unlike wall time it barely moves with other load.
            push_cpu_s = time.process_time() - cpu_started
            push_requests = api.transport.stats.requests
            push_up, push_down = proxy.up, proxy.down
            api.transport.close()
            if runner.tally.sent != n:
                raise SystemExit(f"only {runner.tally.sent} of {n} households were acked: "
                                 f"{runner.tally.rejected[:3]}")

            # -- pull into a second device ---------------------------------------------
            device_b = open_store(tmpdir / "b.db", device_name="second tablet")
            if pin is not None:
                device_b.encrypt(pin)
            api = new_api(url)
            enrol(device_b, api, codes[1])
            api.transport.close()
            proxy.reset()
            api = new_api(url, device_b)
            runner = SyncRunner(device_b, api, options)
            started = time.perf_counter()
            if args.profile_pull:
                _profiled(runner.pull)
            else:
                runner.pull()
            pull_s = time.perf_counter() - started
            pull_requests = api.transport.stats.requests
            pull_up, pull_down = proxy.up, proxy.down
            received = runner.tally.received
            api.transport.close()

            # -- no-op sync -----------------------------------------------------------------
            api = new_api(url, device_b)
            run_sync(device_b, api, options=options)  # settle forms etc.
            api.transport.close()
            proxy.reset()
            api = new_api(url, device_b)
            started = time.perf_counter()
            if args.profile_noop:
                summaries: list[Any] = []
                _profiled(lambda: summaries.append(run_sync(device_b, api, options=options)))
                summary = summaries[0]
            else:
                summary = run_sync(device_b, api, options=options)
            noop_ms = (time.perf_counter() - started) * 1000
            noop_requests = api.transport.stats.requests
            noop_bytes = proxy.up + proxy.down
            api.transport.close()
        finally:
            proxy.close()
            httpd.shutdown()
            httpd.server_close()
            with app.app_context():
                db.session.remove()
                db.engine.dispose()

    result: dict[str, Any] = {
        "bench": "sync",
        "households": n,
        "server_database": "postgresql" if args.database_url else "sqlite",
        "batch_max_ops": args.batch,
        "device_store_encrypted": bool(args.encrypted),
        "first_unlock_ms": round(unlock_s * 1000, 1) if unlock_s is not None else None,
        "device_store_build_s": round(build_s, 2),
        "client_push_prepare_households_per_s": round(n / client_s, 1),
        "op_json_bytes_per_household": round(raw_bytes / n, 1),
        "op_gzip_bytes_per_household": round(sum(gz) / n, 1),
        "push_s": round(push_s, 3),
        "push_households_per_s": round(n / push_s, 1),
        "push_cpu_s": round(push_cpu_s, 3),
        "push_households_per_cpu_s": round(n / push_cpu_s, 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "push_bytes_up_per_household": round(push_up / n, 1),
        "push_bytes_total_per_household": round((push_up + push_down) / n, 1),
        "push_requests_per_1000": round(push_requests * 1000 / n, 2),
        "pull_s": round(pull_s, 3),
        "pull_households_per_s": round(received / pull_s, 1) if pull_s else None,
        "pull_received": received,
        "pull_bytes_down_per_household": round(pull_down / n, 1),
        "pull_bytes_total_per_household": round((pull_up + pull_down) / n, 1),
        "pull_requests_per_1000": round(pull_requests * 1000 / n, 2),
        "noop_sync_requests": noop_requests,
        "noop_sync_ms": round(noop_ms, 1),
        "noop_sync_bytes": noop_bytes,
        "noop_summary": summary.describe(),
        "targets": {
            "push_households_per_s": TARGET_PUSH_PER_S,
            "bytes_per_household": TARGET_BYTES_PER_HOUSEHOLD,
            "noop_sync_requests": TARGET_NOOP_REQUESTS,
        },
    }
    result["meets"] = {
        "push_households_per_s": result["push_households_per_s"] >= TARGET_PUSH_PER_S,
        "bytes_per_household": result["push_bytes_total_per_household"]
        <= TARGET_BYTES_PER_HOUSEHOLD,
        "noop_sync_requests": noop_requests <= TARGET_NOOP_REQUESTS,
    }
    rows = [
        ("households", n, ""),
        ("push households/s", result["push_households_per_s"], f">= {TARGET_PUSH_PER_S}"),
        ("push bytes/household (up+down)", result["push_bytes_total_per_household"],
         f"<= {TARGET_BYTES_PER_HOUSEHOLD}"),
        ("push households/CPU-s (all sides)", result["push_households_per_cpu_s"], ""),
        ("push requests/1000", result["push_requests_per_1000"], ""),
        ("device-side push prep households/s", result["client_push_prepare_households_per_s"],
         ""),
        ("op JSON bytes/household (raw)", result["op_json_bytes_per_household"], ""),
        ("pull households/s", result["pull_households_per_s"], ""),
        ("pull bytes/household (up+down)", result["pull_bytes_total_per_household"], ""),
        ("pull requests/1000", result["pull_requests_per_1000"], ""),
        ("no-op sync requests", noop_requests, f"<= {TARGET_NOOP_REQUESTS}"),
        ("no-op sync ms", result["noop_sync_ms"], ""),
    ]
    print(f"\n{'measure':<34}{'value':>12}  target", file=sys.stderr)
    for name, value, target in rows:
        print(f"{name:<34}{value!s:>12}  {target}", file=sys.stderr)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
