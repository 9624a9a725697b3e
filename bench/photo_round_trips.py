"""Round trips of photo uploads on a high-latency link.

    .venv/bin/python bench/photo_round_trips.py [--photos 100] [--rtt-ms 600]
                                               [--photo-kb 20]

Serves the server app with waitress (as `hesabu serve` does) on loopback behind
bench/netlab's delay proxy (latency only: no rate limit, no loss, so the time is
round trips and handshakes), enrols two tablets and uploads the same number of
one-chunk photos from each:

- "head first": every photo marked as tried before, so it asks HEAD, then PATCHes
  (what every photo did before the first chunk went out unasked);
- "unasked": new photos, whose first chunk goes out at once.

Prints one JSON object on stdout: seconds, requests and connections of each.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # before bench/, whose sync.py would shadow the package

from bench.local_server import local_server  # noqa: E402
from bench.netlab.proxy import LinkProxy  # noqa: E402
from client.api import SyncApi  # noqa: E402
from client.transport import HttpTransport  # noqa: E402
from field_app.core import attachments  # noqa: E402
from field_app.core.store import open_store  # noqa: E402
from field_app.core.sync_runner import enrol  # noqa: E402
from server.services.devices import create_enrolment_code  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--rtt-ms", type=int, default=600)
    parser.add_argument("--photo-kb", type=int, default=20,
                        help="size of each photo (keep it under one 256 KiB chunk)")
    args = parser.parse_args()
    out: dict[str, Any] = {"photos": args.photos, "rtt_ms": args.rtt_ms,
                           "photo_kb": args.photo_kb, "server": "waitress"}
    with tempfile.TemporaryDirectory() as tmp_name, \
            local_server(Path(tmp_name)) as (app, server_port):
        tmp = Path(tmp_name)
        proxy = LinkProxy(server_port, one_way_delay_s=args.rtt_ms / 2000).start()
        try:
            for mode in ("head first", "unasked"):
                store = open_store(tmp / f"{mode[:4]}.db", device_name=mode)
                with app.app_context():
                    code, _ = create_enrolment_code(1)
                api = SyncApi(HttpTransport(f"http://127.0.0.1:{server_port}"))
                enrol(store, api, code)
                api.transport.close()
                shas = []
                for i in range(args.photos):
                    path = tmp / f"{mode[:4]}-{i}.jpg"
                    path.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(args.photo_kb * 1024))
                    shas.append(attachments.add_attachment(store, path))
                if mode == "head first":
                    attachments.note_attempts(store, shas)
                api = SyncApi(HttpTransport(f"http://127.0.0.1:{proxy.port}",
                                            store.device.token))
                proxy.reset()
                start = time.perf_counter()
                for row in attachments.pending_uploads(store):
                    attachments.upload_attachment(store, api, row)
                seconds = time.perf_counter() - start
                api.transport.close()
                stats = proxy.snapshot()
                out[mode] = {"seconds": round(seconds, 1), "requests": stats.requests,
                             "connections": stats.connections}
                print(f"{mode}: {args.photos} photos in {seconds:.1f} s, {stats.requests} "
                      f"requests, {stats.connections} connection(s)", file=sys.stderr)
                store.close()
        finally:
            proxy.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
