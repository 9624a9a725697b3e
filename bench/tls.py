"""Benchmark: what HTTPS with a pinned certificate costs a sync.

    .venv/bin/python bench/tls.py [--households 3000] [--batch 1000] [--repeat 3]

Pushes the same N finalized households (bench/sync.py's store) from a fresh device store
to a fresh server on loopback: `hesabu serve` as it runs (waitress, plain HTTP) and
`hesabu serve --tls` as it runs (cheroot with the instance's self-signed certificate,
the tablet's transport pinning it), alternately, `--repeat` times each. Prints one JSON
object on stdout: the best households/s of each (the steadier number on a busy machine)
and their ratio.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))

_spec = importlib.util.spec_from_file_location("bench_sync", ROOT / "bench" / "sync.py")
bench_sync = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_sync)  # type: ignore[union-attr]

from households import load_household_form  # noqa: E402

from client.api import SyncApi  # noqa: E402
from client.transport import HttpTransport  # noqa: E402
from field_app.core.sync_runner import SyncOptions, enrol, run_sync  # noqa: E402
from server.app import create_app  # noqa: E402
from server.extensions import db  # noqa: E402
from server.services.devices import create_enrolment_code  # noqa: E402
from server.services.forms import publish_form  # noqa: E402
from server.tls import https_server, self_signed  # noqa: E402


@contextmanager
def waitress_server(app: Any) -> Iterator[tuple[str, tuple[str, ...]]]:
    import waitress

    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}", ()
    finally:
        server.close()


@contextmanager
def cheroot_tls_server(app: Any) -> Iterator[tuple[str, tuple[str, ...]]]:
    files = self_signed(app.instance_path, ["127.0.0.1"])
    server = https_server(app, "127.0.0.1", 0, files)
    server.prepare()
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.bind_addr[1]}", (files.pin,)
    finally:
        server.stop()
        thread.join(timeout=10)


def push(folder: Path, households: int, batch: int,
         serving: Callable[[Any], Any]) -> dict[str, float]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'server.db'}",
                      "INSTANCE_PATH": str(folder)})
    with app.app_context():
        publish_form(load_household_form())
        code, _ = create_enrolment_code(1)
    store, _ = bench_sync.build_store(folder / "tablet.db", households, seed=7)
    try:
        with serving(app) as (url, pins):
            with HttpTransport(url, pins=pins, timeout_s=300) as transport:
                enrol(store, SyncApi(transport), code)
            with HttpTransport(url, store.device.token, pins=pins, timeout_s=300) as transport:
                started = time.perf_counter()
                summary = run_sync(store, SyncApi(transport), options=SyncOptions(max_ops=batch))
                seconds = time.perf_counter() - started
            assert summary.ok and summary.sent == households, summary.describe()
    finally:
        store.close()
        with app.app_context():
            db.engine.dispose()
    return {"seconds": round(seconds, 3), "households_per_s": round(households / seconds)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    modes = {"http_waitress": waitress_server, "https_cheroot_pinned": cheroot_tls_server}
    runs: dict[str, list[int]] = {name: [] for name in modes}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.repeat):
            for name, serving in modes.items():
                result = push(Path(tmp) / f"{name}-{rep}", args.households, args.batch,
                              serving)
                runs[name].append(result["households_per_s"])
    best = {name: max(rates) for name, rates in runs.items()}
    print(json.dumps({"households": args.households, "households_per_s": runs,
                      "best": best, "tls_over_plain": round(
                          best["https_cheroot_pinned"] / best["http_waitress"], 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
