"""Benchmark sync: households pushed from a device store to a server over real HTTP.

    .venv/bin/python bench/sync.py [--households 5000] [--databases sqlite,postgresql]
                                   [--repeat 3] [--batch 1000]

Builds a device store with N finalized households (realistic answers from the SDI
household enumeration form), starts the Flask server on loopback (on a fresh SQLite file,
or a fresh PostgreSQL database made and dropped for the run), and measures with the real
client (`field_app.core`), through a counting TCP proxy so bytes are what crossed the
socket (HTTP headers included):

- push: households/s, bytes on the wire per household, requests per 1,000 households;
- pull of the same households by a second device;
- a no-op sync (nothing to send or receive): requests and milliseconds.

Each database is run --repeat times, interleaved (sqlite, postgresql, sqlite, ...), every
run from fresh stores and a fresh server database; the table shows the median and the
range. The device syncs from a process of its own (a tablet is its own machine: sharing
one interpreter lock with the server serialised their work, which hid what the pull's
fetch-ahead overlaps); `--same-process` runs it in the server's process as before. CPU
seconds are split: the client's (its process: the syncing thread and its fetch-ahead
threads), the server's (its request threads, measured around the WSGI app) and the
whole (client, server and the proxy): on a busy machine CPU seconds move far less than
wall time, and `load_average_1m` says how busy it was. Prints one JSON object on stdout
and a table on stderr. Targets: >= 5,000 households/s pushed (SQLite server), <= 200
bytes per household on the wire, a no-op sync in <= 2 requests, pull at least as fast
as push.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import logging
import multiprocessing
import os
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # before bench/, whose sync.py would shadow the package

from households import load_household_form, make_household  # noqa: E402
from sqlalchemy import event  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from client.ahead import Ahead  # noqa: E402
from client.api import SyncApi  # noqa: E402
from client.transport import HttpTransport  # noqa: E402
from field_app.core import encryption, outbox, records  # noqa: E402
from field_app.core.collector import calm_collector  # noqa: E402
from field_app.core.store import Store, open_store  # noqa: E402
from field_app.core.sync_runner import SyncOptions, SyncRunner, enrol, run_sync  # noqa: E402
from server.app import create_app  # noqa: E402
from server.extensions import db  # noqa: E402
from server.services.devices import create_enrolment_code  # noqa: E402
from server.services.forms import publish_form  # noqa: E402
from server.services.pull_ahead import of_app as pages_ahead_of  # noqa: E402
from server.services.pull_ahead import settle  # noqa: E402
from sync.batching import plan_batches  # noqa: E402

TARGET_PUSH_PER_S = 5000
TARGET_BYTES_PER_HOUSEHOLD = 200
TARGET_NOOP_REQUESTS = 2
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


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
        encryption.encrypt_store(store, pin)
    started = time.perf_counter()
    with store.transaction():
        for a in answers:
            records.create_record(store, spec.id, spec.version, a, finalized=True)
    return store, time.perf_counter() - started


def new_api(url: str, store: Store | None = None) -> SyncApi:
    return SyncApi(HttpTransport(url, store.device.token if store else None, timeout_s=300))


def _profiled(call: Any) -> None:
    """Run `call` under cProfile (this thread only: the device side) and print the top."""
    import cProfile
    import pstats
    profiler = cProfile.Profile()
    profiler.runcall(call)
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("tottime").print_stats(15)
    stats.sort_stats("cumulative").print_stats(30)


class CpuMeter:
    """WSGI middleware: the CPU seconds the server's request threads spend in the app
    (the response body is produced inside, so streaming and gzip count too)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.cpu_s = 0.0
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Any) -> list[bytes]:
        started = time.thread_time()
        try:
            result = self.app(environ, start_response)
            try:
                return list(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        finally:
            with self._lock:
                self.cpu_s += time.thread_time() - started

    def take(self) -> float:
        """CPU seconds since the last call: request threads, and the threads that made
        pull pages ahead (server/services/pull_ahead.py)."""
        ahead = pages_ahead_of(self.app)
        with self._lock:
            spent, self.cpu_s = self.cpu_s, 0.0
            if ahead is not None:
                settle(self.app)
                spent, ahead.cpu_s = spent + ahead.cpu_s, 0.0
        return spent


class StatementCounter:
    """SQL statements the server sends its database (an executemany counts once; `rows`
    counts its parameter sets): round trips are where PostgreSQL differs from SQLite."""

    def __init__(self, app: Any) -> None:
        self.counts = {"statements": 0, "rows": 0}
        self._lock = threading.Lock()
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
              executemany: bool) -> None:
        with self._lock:
            self.counts["statements"] += 1
            self.counts["rows"] += len(parameters) if executemany else 1

    def take(self) -> dict[str, int]:
        with self._lock:
            counts, self.counts = self.counts, {"statements": 0, "rows": 0}
        return counts


class AheadCpu:
    """CPU seconds of the runner's threads that run ahead (client.ahead: the pull
    fetches and decodes the next page there, the push sends the next batch): the
    client's work that the syncing thread's clock misses (with `--same-process`)."""

    spent = 0.0
    _lock = threading.Lock()
    _run = Ahead._run

    @classmethod
    def install(cls) -> None:
        def timed(ahead: Ahead[Any], call: Any) -> None:
            started = time.thread_time()
            try:
                cls._run(ahead, call)
            finally:
                with cls._lock:
                    cls.spent += time.thread_time() - started

        Ahead._run = timed  # type: ignore[method-assign]

    @classmethod
    def read(cls) -> float:
        with cls._lock:
            return cls.spent


AheadCpu.install()


class Clocks:
    """Wall time, the client's CPU (this thread and its pull-ahead threads), the
    server's (CpuMeter) and the whole process's (client, server and proxy) over one
    phase."""

    def __init__(self, meter: CpuMeter) -> None:
        self.meter = meter
        meter.take()
        self.wall, self.thread, self.process = (time.perf_counter(), time.thread_time(),
                                                time.process_time())
        self.ahead = AheadCpu.read()
        self.postgres = postgres_cpu_s()

    def stop(self) -> dict[str, float]:
        return {"s": time.perf_counter() - self.wall,
                "client_cpu_s": (time.thread_time() - self.thread
                                 + AheadCpu.read() - self.ahead),
                "server_cpu_s": self.meter.take(),
                "cpu_s": time.process_time() - self.process,
                "postgres_cpu_s": postgres_cpu_s() - self.postgres}


def postgres_cpu_s() -> float:
    """CPU seconds of every `postgres` process on this machine (Linux /proc): the
    database server's own work, outside this process. Other users of the same
    PostgreSQL count too, so read it on a quiet machine."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended
            continue
        name, rest = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:]
        if name == "postgres":
            fields = rest.split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def fresh_database(kind: str, folder: Path, admin_url: str) -> Any:
    """The URL of an empty server database: a SQLite file in `folder`, or a new
    PostgreSQL database made through `admin_url` and dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'server.db'}"
        return
    from sqlalchemy import create_engine, text

    name = f"hesabu_bench_{os.getpid()}_{random.randrange(1 << 30):x}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def _phase(url: str, store: Store, options: SyncOptions, proxy: CountingProxy,
           meter: CpuMeter, name: str, profile: bool) -> tuple[SyncRunner, dict[str, Any]]:
    """Run the runner's `name` step ("push" or "pull") once on a fresh connection:
    the runner (its tally) and the figures (Clocks, requests, bytes up and down)."""
    proxy.reset()
    api = new_api(url, store)
    runner = SyncRunner(store, api, options)
    clocks = Clocks(meter)
    step = getattr(runner, name)
    if profile:
        _profiled(step)
    else:
        step()
    figures: dict[str, Any] = clocks.stop()
    figures.update(requests=api.transport.stats.requests, up=proxy.up, down=proxy.down)
    api.transport.close()
    return runner, figures


def _phase_apart(url: str, store_path: Path, pin: str | None, options: SyncOptions,
                 proxy: CountingProxy, meter: CpuMeter, name: str, profile: bool
                 ) -> tuple[dict[str, Any], dict[str, Any]]:
    """`_phase` with the device in a process of its own (`_device_process`): its tally
    and the figures. The store is opened and the runner made before the clocks start."""
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    child = ctx.Process(target=_device_process,
                        args=(theirs, url, str(store_path), pin, options, name, profile))
    child.start()
    try:
        ready = _receive(ours, child)
        if ready != "ready":
            raise SystemExit(f"the device process failed: {ready}")
        proxy.reset()
        process_before = time.process_time()
        clocks = Clocks(meter)
        ours.send("go")
        outcome = _receive(ours, child)
        figures: dict[str, Any] = clocks.stop()
        if "error" in outcome:
            raise SystemExit(f"the device process failed: {outcome['error']}")
        figures["s"] = outcome["s"]
        figures["client_cpu_s"] = outcome["cpu_s"]
        figures["cpu_s"] = time.process_time() - process_before + outcome["cpu_s"]
        figures.update(requests=outcome["requests"], up=proxy.up, down=proxy.down)
    finally:
        child.join(60)
    return outcome["tally"], figures


def _receive(pipe: Any, child: Any) -> Any:
    """The device process's next message; SystemExit if it ended without sending one."""
    while not pipe.poll(1.0):
        if not child.is_alive():
            raise SystemExit(f"the device process ended (exit code {child.exitcode}) "
                             "without an answer")
    return pipe.recv()


def _device_process(pipe: Any, url: str, store_path: str, pin: str | None,
                    options: SyncOptions, name: str, profile: bool) -> None:
    """The device side of one phase, in its own process: open the store (unlocked with
    `pin`), set the cycle collector as the app does at start (`calm_collector`: what
    exists is frozen out of its walks, young collections every 20,000 allocations),
    say ready, run the runner's `name` step on "go", send back the wall time, this
    process's CPU seconds, requests and the tally."""
    try:
        store = open_store(Path(store_path))
        if pin is not None:
            assert encryption.unlock(store, pin)
        api = new_api(url, store)
        runner = SyncRunner(store, api, options)
        step = getattr(runner, name)
        calm_collector()  # the cycle collector as the app sets it when it starts
        pipe.send("ready")
        pipe.recv()
        wall, cpu = time.perf_counter(), time.process_time()
        _profiled(step) if profile else step()
        outcome = {"s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
                   "requests": api.transport.stats.requests,
                   "tally": {"sent": runner.tally.sent, "received": runner.tally.received,
                             "rejected": [r.to_wire() for r in runner.tally.rejected[:3]]}}
        api.transport.close()
        store.close()
    except BaseException as exc:  # reported to the parent, which stops the run
        outcome = {"error": f"{type(exc).__name__}: {exc}"}
    pipe.send(outcome)


def _run_phase(args: argparse.Namespace, url: str, store: Store, store_path: Path,
               pin: str | None, options: SyncOptions, proxy: CountingProxy,
               meter: CpuMeter, name: str, profile: bool) -> tuple[Store, dict, dict]:
    """One phase, the device apart unless `--same-process`: (the store, open again,
    the tally, the figures)."""
    if args.same_process:
        runner, figures = _phase(url, store, options, proxy, meter, name, profile)
        tally = {"sent": runner.tally.sent, "received": runner.tally.received,
                 "rejected": [r.to_wire() for r in runner.tally.rejected[:3]]}
        return store, tally, figures
    store.close()  # the device process owns it meanwhile (its clock, its cursor)
    tally, figures = _phase_apart(url, store_path, pin, options, proxy, meter, name, profile)
    store = open_store(store_path)
    if pin is not None:
        assert encryption.unlock(store, pin)
    return store, tally, figures


def run_once(args: argparse.Namespace, url_db: str, tmpdir: Path) -> dict[str, Any]:
    """One push, pull and no-op sync of `args.households` households, fresh stores."""
    n = args.households
    print(f"building a device store with {n} households...", file=sys.stderr)
    pin = "2468" if args.encrypted else None
    unlock_s = None
    if pin is not None:  # the first unlock of an encrypted store: scrypt, this machine
        with open_store(tmpdir / "probe.db") as probe:
            encryption.encrypt_store(probe, pin)
        with open_store(tmpdir / "probe.db") as probe:
            started = time.perf_counter()
            assert encryption.unlock(probe, pin)
            unlock_s = time.perf_counter() - started
    device_a, build_s = build_store(tmpdir / "a.db", n, args.seed, pin)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url_db,
                      "INSTANCE_PATH": str(tmpdir / "instance"),
                      "HESABU_PULL_AHEAD": not args.no_pull_ahead})
    spec = load_household_form()
    with app.app_context():
        publish_form(spec)
        codes = [create_enrolment_code(1)[0] for _ in range(2)]
    meter = CpuMeter(app)
    statements = StatementCounter(app)
    httpd = make_server("127.0.0.1", 0, meter, threaded=True)
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
        batches = plan_batches(queued, options.max_ops, options.max_bytes)
        gz = [len(gzip.compress(("[" + ",".join(q.text for q in b) + "]").encode(), 6))
              for b in batches]
        client_s = time.perf_counter() - started
        raw_bytes = sum(q.wire_size() for q in queued)

        # -- push --------------------------------------------------------------
        statements.take()
        device_a, tally, push = _run_phase(args, url, device_a, tmpdir / "a.db", pin, options,
                                           proxy, meter, "push", args.profile_push)
        push_sql = statements.take()
        if tally["sent"] != n:
            raise SystemExit(f"only {tally['sent']} of {n} households were acked: "
                             f"{tally['rejected']}")

        # -- pull into a second device ---------------------------------------------
        device_b = open_store(tmpdir / "b.db", device_name="second tablet")
        if pin is not None:
            encryption.encrypt_store(device_b, pin)
        api = new_api(url)
        enrol(device_b, api, codes[1])
        api.transport.close()
        statements.take()
        device_b, tally, pull = _run_phase(args, url, device_b, tmpdir / "b.db", pin, options,
                                           proxy, meter, "pull", args.profile_pull)
        pull_sql = statements.take()
        received = tally["received"]

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
        device_a.close()
        device_b.close()
    finally:
        proxy.close()
        httpd.shutdown()
        httpd.server_close()
        settle(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    push_s, pull_s = push["s"], pull["s"]
    return {
        "first_unlock_ms": round(unlock_s * 1000, 1) if unlock_s is not None else None,
        "device_store_build_s": round(build_s, 2),
        "client_push_prepare_households_per_s": round(n / client_s, 1),
        "op_json_bytes_per_household": round(raw_bytes / n, 1),
        "op_gzip_bytes_per_household": round(sum(gz) / n, 1),
        "push_s": round(push_s, 3),
        "push_households_per_s": round(n / push_s, 1),
        "push_cpu_s": round(push["cpu_s"], 3),
        "push_client_cpu_s": round(push["client_cpu_s"], 3),
        "push_server_cpu_s": round(push["server_cpu_s"], 3),
        "push_households_per_cpu_s": round(n / push["cpu_s"], 1),
        "push_postgres_cpu_s": round(push["postgres_cpu_s"], 3)
        if url_db.startswith("postgresql") else None,
        "push_sql_statements": push_sql["statements"],
        "push_sql_rows": push_sql["rows"],
        "pull_sql_statements": pull_sql["statements"],
        "push_bytes_up_per_household": round(push['up'] / n, 1),
        "push_bytes_total_per_household": round((push['up'] + push['down']) / n, 1),
        "push_requests_per_1000": round(push['requests'] * 1000 / n, 2),
        "pull_s": round(pull_s, 3),
        "pull_households_per_s": round(received / pull_s, 1) if pull_s else None,
        "pull_cpu_s": round(pull["cpu_s"], 3),
        "pull_client_cpu_s": round(pull["client_cpu_s"], 3),
        "pull_server_cpu_s": round(pull["server_cpu_s"], 3),
        "pull_households_per_cpu_s": round(received / pull["cpu_s"], 1),
        "pull_to_push_speed": round(push_s / pull_s, 2) if received == n else None,
        "pull_received": received,
        "pull_bytes_down_per_household": round(pull['down'] / n, 1),
        "pull_bytes_total_per_household": round((pull['up'] + pull['down']) / n, 1),
        "pull_requests_per_1000": round(pull['requests'] * 1000 / n, 2),
        "noop_sync_requests": noop_requests,
        "noop_sync_ms": round(noop_ms, 1),
        "noop_sync_bytes": noop_bytes,
        "noop_summary": summary.describe(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


#: Figures summarised over the repeated runs (median, min, max).
SUMMARISED = ("push_households_per_s", "pull_households_per_s", "pull_to_push_speed",
              "push_cpu_s", "push_client_cpu_s", "push_server_cpu_s",
              "pull_cpu_s", "pull_client_cpu_s", "pull_server_cpu_s", "push_postgres_cpu_s",
              "push_households_per_cpu_s", "pull_households_per_cpu_s",
              "push_bytes_total_per_household", "pull_bytes_total_per_household",
              "noop_sync_ms", "load_average_1m")


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median and spread (min, max, and max/min - 1 in percent) of each figure."""
    out: dict[str, Any] = {}
    for key in SUMMARISED:
        values = sorted(r[key] for r in runs if r.get(key) is not None)
        if not values:
            continue
        out[key] = {"median": round(statistics.median(values), 3), "min": values[0],
                    "max": values[-1],
                    "spread_pct": round(100 * (values[-1] / values[0] - 1), 1)
                    if values[0] else None}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=5000)
    parser.add_argument("--databases", default="sqlite",
                        help="comma-separated server databases, each run on a fresh one: "
                        "sqlite, postgresql (a new database through --pg-admin-url)")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL,
                        help="where PostgreSQL databases are created and dropped")
    parser.add_argument("--database-url", help="run the server on this (empty) database "
                        "instead (e.g. postgresql+psycopg://...); one run only")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per database, interleaved; the table shows medians")
    parser.add_argument("--batch", type=int, default=1000, help="max ops per push request")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--encrypted", action="store_true",
                        help="both device stores encrypted at rest (docs/device-store.md)")
    parser.add_argument("--same-process", action="store_true",
                        help="run the device in the server's process (one interpreter "
                        "lock for both), as this benchmark did before")
    parser.add_argument("--no-pull-ahead", action="store_true",
                        help="the server makes each pull page on request only (a what-if: "
                             "HESABU_PULL_AHEAD=False)")
    parser.add_argument("--profile-pull", action="store_true",
                        help="profile the device side of the pull (stderr)")
    parser.add_argument("--profile-push", action="store_true",
                        help="profile the device side of the push (stderr)")
    parser.add_argument("--profile-noop", action="store_true",
                        help="profile the device side of the no-op sync (stderr)")
    args = parser.parse_args(argv)
    n = args.households
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log on stderr
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    unknown = sorted(set(kinds) - {"sqlite", "postgresql"})
    if unknown or not kinds:
        raise SystemExit(f"unknown database {', '.join(unknown)}: choose sqlite, postgresql")
    if args.repeat < 1:
        raise SystemExit("--repeat must be at least 1")
    if args.database_url:
        kinds, args.repeat = ["given"], 1
    uptime_before = os.getloadavg()
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
    for i in range(args.repeat):
        for kind in kinds:  # interleaved, so a busy minute falls on every database
            print(f"run {i + 1}/{args.repeat} on {kind}", file=sys.stderr)
            with tempfile.TemporaryDirectory(prefix="hesabu-bench-") as tmp:
                if kind == "given":
                    runs[kind].append(run_once(args, args.database_url, Path(tmp)))
                    continue
                with fresh_database(kind, Path(tmp), args.pg_admin_url) as url_db:
                    runs[kind].append(run_once(args, url_db, Path(tmp)))
    result: dict[str, Any] = {
        "bench": "sync",
        "command": " ".join(["bench/sync.py", *(argv if argv is not None else sys.argv[1:])]),
        "households": n,
        "repeat": args.repeat,
        "batch_max_ops": args.batch,
        "device_store_encrypted": bool(args.encrypted),
        "device_process": "shared with the server" if args.same_process else "its own",
        "load_average_before": [round(x, 2) for x in uptime_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "databases": {kind: {"median": summarise(rs), "runs": rs}
                      for kind, rs in runs.items()},
        "targets": {
            "push_households_per_s": TARGET_PUSH_PER_S,
            "bytes_per_household": TARGET_BYTES_PER_HOUSEHOLD,
            "noop_sync_requests": TARGET_NOOP_REQUESTS,
            "pull_to_push_speed": 1.0,
        },
    }
    if "sqlite" in runs and "postgresql" in runs:
        medians = {k: result["databases"][k]["median"] for k in ("sqlite", "postgresql")}
        result["postgresql_to_sqlite_push"] = round(
            medians["postgresql"]["push_households_per_s"]["median"]
            / medians["sqlite"]["push_households_per_s"]["median"], 2)
    rows = [
        ("push households/s", "push_households_per_s", f">= {TARGET_PUSH_PER_S}"),
        ("pull households/s", "pull_households_per_s", ""),
        ("pull speed / push speed", "pull_to_push_speed", ">= 1"),
        ("push CPU s: client", "push_client_cpu_s", ""),
        ("push CPU s: server", "push_server_cpu_s", ""),
        ("push CPU s: whole process", "push_cpu_s", ""),
        ("push CPU s: postgres processes", "push_postgres_cpu_s", ""),
        ("pull CPU s: client", "pull_client_cpu_s", ""),
        ("pull CPU s: server", "pull_server_cpu_s", ""),
        ("pull CPU s: whole process", "pull_cpu_s", ""),
        ("push bytes/household (up+down)", "push_bytes_total_per_household",
         f"<= {TARGET_BYTES_PER_HOUSEHOLD}"),
        ("pull bytes/household (up+down)", "pull_bytes_total_per_household", ""),
        ("no-op sync ms", "noop_sync_ms", ""),
        ("load average (1 min)", "load_average_1m", ""),
    ]
    print(f"\n{n} households, {args.repeat} run(s) per database: median [min-max]",
          file=sys.stderr)
    print(f"{'measure':<32}" + "".join(f"{k:>26}" for k in kinds) + "  target",
          file=sys.stderr)
    for name, key, target in rows:
        cells = []
        for kind in kinds:
            m = result["databases"][kind]["median"].get(key)
            cells.append(f"{m['median']:g} [{m['min']:g}-{m['max']:g}]" if m else "-")
        print(f"{name:<32}" + "".join(f"{c:>26}" for c in cells) + f"  {target}",
              file=sys.stderr)
    for kind in kinds:
        last = runs[kind][-1]
        print(f"{kind}: push requests/1000 {last['push_requests_per_1000']}, pull requests/1000 "
              f"{last['pull_requests_per_1000']}, SQL statements push "
              f"{last['push_sql_statements']} ({last['push_sql_rows']} rows) pull "
              f"{last['pull_sql_statements']}, no-op sync requests "
              f"{last['noop_sync_requests']} (target <= {TARGET_NOOP_REQUESTS})",
              file=sys.stderr)
    if "postgresql_to_sqlite_push" in result:
        print(f"push on PostgreSQL / SQLite (medians): {result['postgresql_to_sqlite_push']}",
              file=sys.stderr)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
