"""The HTTP transport against a real loopback server: gzip, retries, error codes."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from client.errors import SyncError
from client.transport import HttpTransport, RetryPolicy


class Script:
    """What the test server answers, request by request."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, dict | None] | str] = []
        self.seen: list[dict] = []


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            script.seen.append({"method": self.command, "path": self.path,
                                "auth": self.headers.get("Authorization"),
                                "body": json.loads(body) if body else None})
            answer = script.answers.pop(0) if script.answers else (200, {"ok": True})
            if answer == "drop":
                self.close_connection = True
                self.connection.shutdown(2)
                return
            status, payload = answer
            data = gzip.compress(json.dumps(payload).encode())
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_HEAD = _handle

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", script
    httpd.shutdown()
    httpd.server_close()


def transport(url: str, sleeps: list[float]) -> HttpTransport:
    return HttpTransport(url, "tok", retry=RetryPolicy(attempts=4, base_s=0.1, cap_s=1.0),
                         sleep=sleeps.append, timeout_s=5)


def test_bodies_are_gzipped_json_with_the_token(server: tuple[str, Script]) -> None:
    url, script = server
    with transport(url, []) as t:
        resp = t.request("POST", "/api/sync/push", json_body={"device_id": "d", "ops": []})
    assert resp.json() == {"ok": True}
    assert script.seen[0]["body"] == {"device_id": "d", "ops": []}
    assert script.seen[0]["auth"] == "Bearer tok"


def test_5xx_and_dropped_connections_are_retried_with_growing_delays(
        server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [(503, {"error": {"code": "x", "message": "busy"}}), "drop",
                      (200, {"ok": 1})]
    sleeps: list[float] = []
    with transport(url, sleeps) as t:
        assert t.request("GET", "/api/sync/pull").json() == {"ok": 1}
        assert t.stats.retries == 2
    assert len(sleeps) == 2
    assert 0.05 <= sleeps[0] <= 0.1 and 0.1 <= sleeps[1] <= 0.2  # backoff with jitter


def test_retries_are_bounded(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [(502, None)] * 10
    sleeps: list[float] = []
    with transport(url, sleeps) as t, pytest.raises(SyncError) as err:
        t.request("GET", "/api/sync/pull")
    assert len(script.seen) == 4 and len(sleeps) == 3
    assert err.value.retryable


def test_4xx_is_not_retried_and_keeps_the_server_code(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [(401, {"error": {"code": "auth.token_invalid",
                                       "message": "The device token is wrong.",
                                       "details": {}}})]
    with transport(url, []) as t, pytest.raises(SyncError) as err:
        t.request("GET", "/api/sync/pull")
    assert len(script.seen) == 1
    assert err.value.code == "auth.token_invalid" and err.value.status == 401
    assert "token is wrong" in str(err.value)


def test_an_unreachable_server_says_so_plainly() -> None:
    sleeps: list[float] = []
    t = transport("http://127.0.0.1:9", sleeps)
    with pytest.raises(SyncError, match="Could not reach the server") as err:
        t.request("GET", "/api/sync/pull")
    assert err.value.code == "sync.network" and len(sleeps) == 3


def test_a_bad_server_address_is_refused() -> None:
    with pytest.raises(SyncError, match="not a server address"):
        HttpTransport("hub.local:5000")
