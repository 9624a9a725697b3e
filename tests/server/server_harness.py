"""Helpers for server tests: a live loopback server, an HTTP client, personas, ops."""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import delete, func, select, update
from werkzeug.serving import make_server

from forms.spec import FormSpec, Node
from server.extensions import Base, db
from server.models import Op as OpRow
from server.models import ServerSeq
from server.services.devices import create_enrolment_code
from server.services.forms import publish_form
from sync.hlc import HybridClock
from sync.ids import new_uuid7
from sync.ops import EDIT, Op, make_op

FORM_ID = "household"
FORM_VERSION = "1"


def wipe() -> None:
    """Empty every table and reset the counter (inside an app context)."""
    for table in reversed(Base.metadata.sorted_tables):
        if table.name != "server_seq":
            db.session.execute(delete(table))
    db.session.execute(update(ServerSeq).values(value=0))
    db.session.commit()


def publish_test_form(app: Flask, form_id: str = FORM_ID, version: str = FORM_VERSION
                      ) -> tuple[str, str]:
    """A small form with the questions the tests' ops answer (`name`, `age`, `toilet`):
    corrections and resolutions on the server are checked against it."""
    questions = (Node("question", "text", "name", ("name",)),
                 Node("question", "integer", "age", ("age",)),
                 Node("question", "text", "toilet", ("toilet",)))
    with app.app_context():
        publish_form(FormSpec(id=form_id, version=version, title=f"{form_id} v{version}",
                              children=questions))
    return form_id, version


@dataclass
class Device:
    """An enrolled device persona: its id, token and HLC clock."""

    id: str
    token: str
    clock: HybridClock = field(init=False)

    def __post_init__(self) -> None:
        self.clock = HybridClock(self.id)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def op(self, record_id: str | None = None, fields: Mapping[str, Any] | None = None,
           heads: Mapping[str, list[str]] | None = None, kind: str = EDIT,
           form_id: str = FORM_ID, form_version: str = FORM_VERSION) -> Op:
        return make_op(kind, clock=self.clock, device_id=self.id,
                       record_id=record_id or new_uuid7(), form_id=form_id,
                       form_version=form_version, fields=fields or {"name": "Amina"},
                       heads=heads or {})


def enrol_device(app: Flask, device_id: str, name: str) -> Device:
    with app.app_context():
        code, _ = create_enrolment_code(1)
    response = app.test_client().post("/api/devices/enrol", json={
        "code": code, "device_id": device_id, "name": name})
    assert response.status_code == 201, response.json
    return Device(device_id, response.json["token"])


def push_body(device: Device, ops: list[Op]) -> dict[str, Any]:
    return {"device_id": device.id, "ops": [op.to_wire() for op in ops]}


def push_ok(app: Flask, device: Device, ops: list[Op]) -> None:
    """Push `ops` as `device` through the API; every op must be accepted."""
    reply = app.test_client().post("/api/sync/push", json=push_body(device, ops),
                                   headers=device.auth)
    assert reply.status_code == 200 and not reply.json["rejected"], reply.json


def table_counts(app: Flask) -> dict[str, int]:
    """Rows per table: "nothing changed" means these are equal before and after."""
    with app.app_context():
        counts = {t.name: db.session.execute(select(func.count()).select_from(t)).scalar_one()
                  for t in Base.metadata.sorted_tables}
        counts["seq"] = db.session.execute(select(ServerSeq.value)).scalar_one()
        db.session.rollback()
    return counts


def stored_seqs(app: Flask) -> list[int]:
    with app.app_context():
        seqs = list(db.session.execute(select(OpRow.server_seq).order_by(OpRow.server_seq))
                    .scalars())
        db.session.rollback()
    return seqs


class LiveServer:
    """A threaded werkzeug server on 127.0.0.1, on a port the OS picks."""

    def __init__(self, app: Flask) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class HttpClient:
    """A plain http.client caller: what a device (or a hostile caller) sends."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.token = token

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: Mapping[str, str] | None = None) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            all_headers = {"Accept-Encoding": "gzip"}
            if self.token:
                all_headers["Authorization"] = f"Bearer {self.token}"
            all_headers.update(headers or {})
            conn.request(method, path, body=body, headers=all_headers)
            raw = conn.getresponse()
            data = raw.read()
            got = {k.lower(): v for k, v in raw.getheaders()}
            if got.get("content-encoding") == "gzip":
                data = gzip.decompress(data)
            return Reply(raw.status, got, data)
        finally:
            conn.close()

    def post_json(self, path: str, value: Any, gzipped: bool = True) -> Reply:
        body = json.dumps(value).encode()
        headers = {"Content-Type": "application/json"}
        if gzipped:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        return self.request("POST", path, body, headers)

    def push(self, device: Device, ops: list[Op]) -> Reply:
        return self.post_json("/api/sync/push", push_body(device, ops))

    def pull(self, cursor: int, limit: int | None = None) -> Reply:
        query = f"cursor={cursor}" + (f"&limit={limit}" if limit else "")
        return self.request("GET", f"/api/sync/pull?{query}")


ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn_server(args: list[str], env: Mapping[str, str], folder: Path) -> Iterator[int]:
    """`gunicorn <args> server.wsgi:app` on a free loopback port, with `env` added to the
    environment, its output in `folder/gunicorn.log`; yields the port once it answers,
    stops it afterwards."""
    port = free_port()
    log = open(folder / "gunicorn.log", "wb")  # noqa: SIM115  (closed below)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *args, "-b", f"127.0.0.1:{port}",
         "--graceful-timeout", "5", "server.wsgi:app"],
        cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if HttpClient(port).pull(0).status == 401:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((folder / "gunicorn.log").read_text())
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@contextlib.contextmanager
def hesabu_serve(folder: Path, *args: str) -> Iterator[int]:
    """`hesabu serve` (waitress) on a free loopback port with a fresh SQLite database in
    `folder`; yields the port once it answers, stops it afterwards."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hesabu.cli", "serve", "--port", str(port),
         "--database-url", f"sqlite:///{folder / 'hub.db'}", "--instance",
         str(folder / "inst"), *args],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                HttpClient(port).pull(0)
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        if proc.stdout:
            proc.stdout.close()


