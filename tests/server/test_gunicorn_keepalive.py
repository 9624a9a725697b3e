"""gunicorn as docs/deploy.md runs it keeps a tablet's connection open between requests.

On a slow link every new connection costs a TCP handshake (a round trip: 0.6 s on
EDGE). gunicorn's default sync worker closes the connection after each answer; the
gthread worker with --keep-alive does not. A real gunicorn process on loopback logs
the client port of every request (its access log), so the test sees how many
connections the field app's own transport used.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from server_harness import gunicorn_server

from client.api import SyncApi
from client.transport import HttpTransport
from server.services.devices import create_enrolment_code

#: The command of docs/deploy.md, with one worker (enough to see connections).
GTHREAD = ["-k", "gthread", "--threads", "4", "--keep-alive", "30"]


@pytest.fixture(params=["gthread", "sync"])
def gunicorn(request: pytest.FixtureRequest, app: Flask, db_url: str,
             tmp_path: Path) -> Iterator[tuple[str, int, Path]]:
    """gunicorn on this module's database (SQLite file or PostgreSQL), one worker."""
    worker = request.param
    access = tmp_path / "access.log"
    args = ["-w", "1", *(GTHREAD if worker == "gthread" else ["-k", "sync"]),
            "--access-logfile", str(access),
            "--access-logformat", "%({remote_port}e)s %(m)s %(U)s %(s)s"]
    env = {"HESABU_DATABASE_URL": db_url, "HESABU_INSTANCE_PATH": app.instance_path}
    with gunicorn_server(args, env, tmp_path) as port:
        yield worker, port, access


def _lines(access: Path) -> list[str]:
    return access.read_text().splitlines() if access.exists() else []


def _logged(access: Path, start: int, count: int) -> list[tuple[str, ...]]:
    """Requests `start` to `start + count` of the access log (gunicorn writes a line
    once the answer went out): (client port, method, path, status)."""
    deadline = time.monotonic() + 10
    while len(_lines(access)) < start + count and time.monotonic() < deadline:
        time.sleep(0.05)
    return [tuple(line.split(" ", 3)) for line in _lines(access)[start:start + count]]


def test_the_field_app_reuses_one_connection_with_gthread(
        gunicorn: tuple[str, int, Path], app: Flask) -> None:
    worker, port, access = gunicorn
    with app.app_context():
        code, _ = create_enrolment_code(1)
    photo = os.urandom(50_000)
    sha = hashlib.sha256(photo).hexdigest()
    before = len(_logged(access, 0, 1))  # the start-up probe
    api = SyncApi(HttpTransport(f"http://127.0.0.1:{port}", timeout_s=10))
    try:
        api.enrol(code, "tab-keepalive", "Keep-alive tablet")
        api.pull(0, 100)
        half = photo[:25_000]
        assert api.attachment_chunk(sha, 0, len(photo), half,
                                    hashlib.sha256(half).hexdigest()).status == 200
        assert api.attachment_offset(sha) == 25_000
        api.pull(0, 100)
    finally:
        api.transport.close()
    requests = _logged(access, before, 5)
    assert [(m, s) for _, m, _, s in requests] == [
        ("POST", "201"), ("GET", "200"), ("PATCH", "200"), ("HEAD", "200"), ("GET", "200")]
    ports = {p for p, _, _, _ in requests}
    if worker == "gthread":
        assert len(ports) == 1, requests  # one TCP handshake for the whole sync
    else:
        assert len(ports) == 5, requests  # the sync worker: a new connection each time
