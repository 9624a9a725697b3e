"""`hesabu serve` starts a working server on the address it is given."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from server_harness import HttpClient

ROOT = Path(__file__).resolve().parents[2]


def test_serve_answers_on_its_port_with_a_fresh_sqlite_database(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db_file = tmp_path / "hub.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hesabu.cli", "serve", "--port", str(port),
         "--database-url", f"sqlite:///{db_file}", "--instance", str(tmp_path / "inst")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                reply = HttpClient(port).pull(0)
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        assert reply.status == 401
        assert reply.json()["error"]["code"] == "auth.token_invalid"
        assert db_file.exists()
        # Keep-alive: several requests, streamed or not, over one connection.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            for path in ("/api/openapi.json", "/login", "/api/sync/pull?cursor=0"):
                conn.request("GET", path)
                answer = conn.getresponse()
                body = answer.read()
                assert answer.status in (200, 401), (path, answer.status)
                assert body and answer.version == 11, path
                assert answer.getheader("Connection", "").lower() != "close", path
            assert conn.sock is not None  # still the first connection
        finally:
            conn.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


def test_the_database_url_comes_from_config_then_environment_then_instance(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from server.app import database_url

    monkeypatch.delenv("HESABU_DATABASE_URL", raising=False)
    assert database_url(tmp_path, {}) == f"sqlite:///{tmp_path / 'hesabu.db'}"
    monkeypatch.setenv("HESABU_DATABASE_URL", "postgresql+psycopg://h@db/hesabu")
    assert database_url(tmp_path, {}) == "postgresql+psycopg://h@db/hesabu"
    assert database_url(tmp_path, {"SQLALCHEMY_DATABASE_URI": "sqlite:///x.db"}) == \
        "sqlite:///x.db"
