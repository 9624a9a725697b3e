"""`hesabu serve` starts a working server on the address it is given."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from typing import Any

import pytest
from personas import make_personas
from server_harness import HttpClient, gunicorn_server, hesabu_serve

from server.app import create_app
from server.extensions import db


def test_serve_answers_on_its_port_with_a_fresh_sqlite_database(tmp_path: Path) -> None:
    with hesabu_serve(tmp_path) as port:
        reply = HttpClient(port).pull(0)
        assert reply.status == 401
        assert reply.json()["error"]["code"] == "auth.token_invalid"
        assert (tmp_path / "hub.db").exists()
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


def _declared_body(port: int, path: str, token: str, length: int, send: bool
                   ) -> tuple[int, dict[str, Any]]:
    """POST `path` declaring a body of `length` bytes (sending it only if `send`)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.putrequest("POST", path)
        for name, value in (("Content-Type", "application/json"),
                            ("Content-Length", str(length)),
                            ("Authorization", f"Bearer {token}")):
            conn.putheader(name, value)
        conn.endheaders()
        if send:
            chunk = b" " * (1024 * 1024)
            for start in range(0, length, len(chunk)):
                conn.send(chunk[:length - start])
        answer = conn.getresponse()
        assert answer.getheader("Content-Type", "").startswith("application/json")
        return answer.status, json.loads(answer.read())
    finally:
        conn.close()


MAX = 8 * 1024 * 1024  # MAX_CONTENT_LENGTH's default


def _callers(database: Path, instance: Path) -> dict[str, str]:
    """Tokens that get past authentication: a tablet's for the push, a leader's for the
    rest (so the answer is about the body)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                      "INSTANCE_PATH": str(instance)})
    people = make_personas(app)
    with app.app_context():
        db.engine.dispose()
    return {"/api/sync/push": people.tablet_a.token, "/api/tokens": people.leader_a.api.token}


def _check_too_large(port: int, tokens: dict[str, str], sent: bool) -> None:
    for path, code in (("/api/sync/push", "sync.batch_too_large"),
                       ("/api/tokens", "request.too_large")):
        for length in (MAX + 1, MAX + 100_000_000):
            status, body = _declared_body(port, path, tokens[path], length,
                                          send=sent and length < 2 * MAX)
            assert status == 413, (path, length, body)
            assert body["error"]["code"] == code
            assert body["error"]["details"] == {"max_bytes": MAX}
            assert body["error"]["message"]


def test_a_body_over_the_limit_is_a_413_in_the_error_shape_on_serve(tmp_path: Path) -> None:
    """waitress stops a body far over the limit itself, the app one just over it:
    both answer the same JSON (a plain-text 413 before)."""
    tokens = _callers(tmp_path / "hub.db", tmp_path / "inst")
    with hesabu_serve(tmp_path) as port:
        _check_too_large(port, tokens, sent=True)


def test_a_body_over_the_limit_is_a_413_in_the_error_shape_on_gunicorn(tmp_path: Path) -> None:
    tokens = _callers(tmp_path / "g.db", tmp_path / "inst")
    env = {"HESABU_DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}",
           "HESABU_INSTANCE_PATH": str(tmp_path / "inst")}
    with gunicorn_server(["-w", "1", "-k", "gthread", "--threads", "2"], env, tmp_path) as port:
        _check_too_large(port, tokens, sent=False)


def test_the_database_url_comes_from_config_then_environment_then_instance(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from server.app import database_url

    monkeypatch.delenv("HESABU_DATABASE_URL", raising=False)
    assert database_url(tmp_path, {}) == f"sqlite:///{tmp_path / 'hesabu.db'}"
    monkeypatch.setenv("HESABU_DATABASE_URL", "postgresql+psycopg://h@db/hesabu")
    assert database_url(tmp_path, {}) == "postgresql+psycopg://h@db/hesabu"
    assert database_url(tmp_path, {"SQLALCHEMY_DATABASE_URI": "sqlite:///x.db"}) == \
        "sqlite:///x.db"
