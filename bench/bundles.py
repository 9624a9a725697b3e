"""Benchmark USB bundles and the office hub.

    .venv/bin/python bench/bundles.py [--households 5000] [--photos 500]
                                      [--photo-kb 200] [--database-url URL]

Builds a device store with N finalized households (realistic SDI answers) and P photos
(random JPEG-like bytes), enrols it with a server on loopback (SQLite in a temporary
folder, or --database-url), and measures:

- export: seconds and bundle size;
- import on the server (verify + apply), and a second import (must change nothing);
- the return bundle: writing it on the server, its size, importing it on the device;
- the hub: the same bundle imported at an office hub (SQLite), then the hub's upstream
  push to a fresh central server over HTTP: households/s for the ops, MB/s for files.

Prints one JSON object on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
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

from client.api import SyncApi  # noqa: E402
from client.transport import HttpTransport  # noqa: E402
from field_app.core import outbox, records  # noqa: E402
from field_app.core.attachments import add_attachment  # noqa: E402
from field_app.core.bundles import export_bundle_file, import_return_file  # noqa: E402
from field_app.core.store import Store, open_store  # noqa: E402
from field_app.core.sync_runner import enrol  # noqa: E402
from server.app import create_app  # noqa: E402
from server.extensions import db  # noqa: E402
from server.services.bundles import import_bundle, write_return_bundle  # noqa: E402
from server.services.devices import create_enrolment_code  # noqa: E402
from server.services.forms import publish_form  # noqa: E402
from server.services.hub import allow_relay, link_hub, sync_once  # noqa: E402


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build_store(tmp: Path, households: int, photos: int, photo_kb: int, seed: int) -> Store:
    spec = load_household_form()
    rng = random.Random(seed)
    store = open_store(tmp / "tablet.db", device_name="bench tablet")
    ids = []
    with store.transaction():
        for i in range(households):
            ids.append(records.create_record(store, spec.id, spec.version,
                                             make_household(spec, rng, f"KB-{i // 3:04d}"),
                                             finalized=True))
    folder = tmp / "photos"
    folder.mkdir()
    for i in range(photos):
        path = folder / f"door-{i:04d}.jpg"
        path.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(photo_kb * 1024))
        add_attachment(store, path, ids[i % len(ids)])
    return store


class Live:
    """An app behind a threaded werkzeug server on loopback."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.httpd = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"

    def code(self) -> str:
        with self.app.app_context():
            return create_enrolment_code(1)[0]

    def close(self) -> None:
        self.httpd.shutdown()
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


def new_server(url: str, instance: Path, **config: Any) -> Live:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance), **config})
    with app.app_context():
        publish_form(load_household_form())
    return Live(app)


def timed(job: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    value = job()
    return value, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=5000)
    parser.add_argument("--photos", type=int, default=500)
    parser.add_argument("--photo-kb", type=int, default=200)
    parser.add_argument("--database-url", help="the server's database (default: SQLite)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    out: dict[str, Any] = {"households": args.households, "photos": args.photos,
                           "photo_kb": args.photo_kb,
                           "server_db": "postgresql" if args.database_url else "sqlite"}
    with tempfile.TemporaryDirectory(prefix="hesabu-bundles-") as tmpname:
        tmp = Path(tmpname)
        log(f"building a tablet with {args.households} households, {args.photos} photos...")
        store = build_store(tmp, args.households, args.photos, args.photo_kb, args.seed)
        server = new_server(args.database_url or f"sqlite:///{tmp / 'server.db'}",
                            tmp / "server")
        hub = new_server(f"sqlite:///{tmp / 'hub.db'}", tmp / "hub", HESABU_NODE_ID="hub")
        central = new_server(f"sqlite:///{tmp / 'central.db'}", tmp / "central",
                             HESABU_RELAY_ONLY_FROM_HUBS=True)
        try:
            # The server last: the tablet keeps the key of the server it enrolled with.
            for live in (hub, server):
                with HttpTransport(live.url, None) as transport:
                    enrol(store, SyncApi(transport), live.code())
            bundle = tmp / "tablet.hesabu"
            log("export...")
            exported, export_s = timed(lambda: export_bundle_file(store, bundle))
            size = bundle.stat().st_size
            out["export"] = {"seconds": round(export_s, 2), "bytes": size,
                             "mb": round(size / 1e6, 1), "ops": exported.ops,
                             "files": exported.attachments}
            log("import on the server...")
            with server.app.app_context():
                with bundle.open("rb") as fh:
                    result, import_s = timed(lambda: import_bundle(fh))
                with bundle.open("rb") as fh:
                    _, again_s = timed(lambda: import_bundle(fh))
                back = tmp / "return.hesabu"
                with back.open("wb") as fh:
                    _, return_s = timed(lambda: write_return_bundle(
                        result.device_id, fh, in_reply_to=result.bundle_id))
            if len(result.acked) != args.households:
                raise SystemExit(f"only {len(result.acked)} acked: {result.rejected[:3]}")
            out["import"] = {"seconds": round(import_s, 2),
                             "households_per_s": round(args.households / import_s),
                             "second_import_seconds": round(again_s, 2)}
            log("return bundle on the device...")
            answer, device_s = timed(lambda: import_return_file(store, back))
            assert outbox.counts(store).ready == 0
            out["return"] = {"write_seconds": round(return_s, 2),
                             "bytes": back.stat().st_size,
                             "device_import_seconds": round(device_s, 2),
                             "acked": answer.acked}

            log("hub: import, then push upstream...")
            with hub.app.app_context():
                with bundle.open("rb") as fh:
                    import_bundle(fh)
                link_hub(central.url, central.code(), "hub-bench", "bench hub")
            with central.app.app_context():
                allow_relay("hub-bench")
            with hub.app.app_context():
                synced, hub_s = timed(lambda: sync_once(batch=1000))
            if not synced.ok or synced.pushed != args.households:
                raise SystemExit(f"hub sync failed: {synced.error} ({synced.pushed} pushed)")
            push_s, files_s = synced.seconds["push"], synced.seconds["files"]
            out["hub"] = {"push_seconds": push_s,
                          "households_per_s": round(args.households / push_s),
                          "files_seconds": files_s,
                          "files_mb_per_s": round(args.photos * args.photo_kb / 1024 / files_s,
                                                  1) if files_s else None,
                          "total_seconds": round(hub_s, 2)}
        finally:
            store.close()
            for live in (server, hub, central):
                live.close()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
