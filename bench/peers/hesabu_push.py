"""Hesabu: the real field-app client pushing to a real `hesabu serve` process.

The server is `hesabu serve` on a fresh SQLite file (the household form published and
an enrolment code made in-process beforehand, as the CLI does); the device is a real
store (`field_app.core.open_store`) enrolled with the code, and the transfer is the app's
own `SyncRunner` over `SyncApi(HttpTransport)`: households with `push()`, photos with
`upload_attachments()`. Whatever the sync work improves is measured here unchanged.
The cycle collector runs as the app sets it when it starts (`calm_collector`), as in
bench/sync.py's device process: with Python's defaults, this process (which also holds
the whole data set) paid full collections during some pushes, 120-160 ms of extra CPU in
one run of five.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from netlab.proxy import Link

from client.api import SyncApi
from client.errors import SyncError
from client.transport import HttpTransport
from field_app.core import attachments, outbox, records
from field_app.core.collector import calm_collector
from field_app.core.store import Store, open_store
from field_app.core.sync_runner import SyncOptions, SyncRunner, enrol
from peers.common import Cut, Phase, free_port, measure, start, stop, wait_port
from peers.data import DataSet

HESABU = str(Path(sys.executable).with_name("hesabu"))
ROOT = Path(__file__).resolve().parents[2]
FORM = ROOT / "forms" / "definitions" / "sdi_household_enumeration.xlsx"
#: A user taps "sync" again after a failed sync, at most this often per phase.
MAX_RESYNCS = 20


GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


class HesabuServer:
    """`hesabu serve` on SQLite in `folder`, with the household form and one enrol code.

    `kind="gthread"` runs gunicorn's threaded worker instead (keeps connections open,
    unlike `hesabu serve` and gunicorn's default sync worker): a what-if for the report.
    """

    def __init__(self, folder: Path, kind: str = "serve") -> None:
        self.folder = folder
        self.kind = kind
        self.port = 0
        self.code = ""
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> HesabuServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        url, instance = f"sqlite:///{self.folder / 'server.db'}", self.folder / "instance"
        self.code = self.prepare(url, instance)
        where = ["--database-url", url, "--instance", str(instance)]
        self.port = free_port()
        log = self.folder / "server.log"
        if self.kind == "gthread":
            env = {**os.environ, "HESABU_DATABASE_URL": url,
                   "HESABU_INSTANCE_PATH": str(instance)}
            wsgi = "server.wsgi:app"
            self.proc = start([GUNICORN, "-k", "gthread", "-w", "1", "--threads", "4",
                               "--keep-alive", "30", "-b", f"127.0.0.1:{self.port}",
                               "--chdir", str(ROOT), wsgi], log, env=env)
        else:
            self.proc = start([HESABU, "serve", "--host", "127.0.0.1", "--port",
                               str(self.port), *where], log)
        wait_port(self.port, self.proc, log)
        return self

    def __exit__(self, *exc: object) -> None:
        stop(self.proc)

    def prepare(self, url: str, instance: Path) -> str:
        """Before it starts: publish the form; the secret the client needs."""
        return _prepare(url, instance)


def _prepare(url: str, instance: Path) -> str:
    """What `hesabu server publish-form` and `enrol-code` do, without two more start-ups."""
    from forms.loader import load_form
    from server.app import create_app
    from server.extensions import db
    from server.services.devices import create_enrolment_code
    from server.services.forms import publish_form

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance)})
    with app.app_context():
        try:
            publish_form(load_form(FORM))
            return create_enrolment_code(1)[0]
        finally:
            db.session.remove()
            db.engine.dispose()


def build_device(path: Path, data: DataSet, photos: int) -> Store:
    store = open_store(path, device_name="bench tablet")
    with store.transaction():
        for h in data.households:
            records.create_record(store, data.spec.id, data.spec.version, h.answers,
                                  record_id=h.record_id, finalized=True)
    for h, photo in zip(data.households, data.photos[:photos], strict=False):
        attachments.add_attachment(store, photo, h.record_id)
    return store


def _until_done(step: Callable[[], object], pending: Callable[[], bool]) -> int:
    """Run `step` like a user who syncs again until nothing is pending; returns re-syncs."""
    resyncs = 0
    while True:
        try:
            step()
        except SyncError:
            if resyncs >= MAX_RESYNCS:
                raise
        if not pending():
            return resyncs
        resyncs += 1
        time.sleep(1.0)


def run(data: DataSet, proxy: Link, folder: Path, photos: int,
        cut: dict[str, Cut] | None = None,
        options: SyncOptions | None = None, server: str = "serve") -> list[Phase]:
    """Push the households, then upload `photos` photos; one Phase each. The options
    are the app's defaults unless given (batch limits are part of what is measured)."""
    cut = cut or {}
    phases = []
    with HesabuServer(folder / "server", server) as hesabu:
        proxy.target_port = hesabu.port
        store = build_device(folder / "device.db", data, photos)
        url = f"http://127.0.0.1:{proxy.port}"
        api = SyncApi(HttpTransport(url, timeout_s=120))
        enrol(store, api, hesabu.code)
        api.transport.close()
        # The runner starts from what enrolling over this link taught the store (the
        # server's protocol, the round trip): that picks gzip or bzip2 (client.network).
        runner = SyncRunner(store, SyncApi(HttpTransport(url, store.device.token,
                                                         timeout_s=120)),
                            options or SyncOptions())

        calm_collector()  # the app's settings (field_app/ui/app.py, at start)
        proxy.reset()
        if "households" in cut:
            proxy.arm_cut(cut["households"].after_up_bytes, cut["households"].outage_s)
        started = time.perf_counter()
        resyncs = _until_done(runner.push, lambda: bool(outbox.pending_queued(store)))
        codings = runner.api.transport.stats.codings
        phases.append(measure(proxy, started, "hesabu", "households", len(data.households),
                              resyncs, note="push bodies: " + ", ".join(
                                  f"{n} {c}" for c, n in sorted(codings.items()))))
        if runner.tally.rejected:
            raise RuntimeError(f"hesabu rejected ops: {runner.tally.rejected[:3]}")

        if photos:
            proxy.reset()
            if "photos" in cut:
                proxy.arm_cut(cut["photos"].after_up_bytes, cut["photos"].outage_s)
            started = time.perf_counter()
            resyncs = _until_done(runner.upload_attachments,
                                  lambda: bool(attachments.pending_uploads(store)))
            phases.append(measure(proxy, started, "hesabu", "photos", photos, resyncs))
        runner.api.transport.close()
        store.close()
    return phases
