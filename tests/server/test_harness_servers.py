"""The test servers stop cleanly: a busy machine must not turn a test's teardown into an
unclosed socket or a dead server thread reported in some later test."""

from __future__ import annotations

import http.client
import threading
from typing import Any

from waitress_loop import waitress_thread


def _app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]


def test_waitress_stops_with_every_connection_closed() -> None:
    """A client still holding a kept-alive connection when the server stops sees it
    closed at once (before: the server's end stayed open until its loop noticed, and
    closing the loop's sockets from another thread could kill it mid-select, leaving
    the connection to be found unclosed by the garbage collector later)."""
    others = set(threading.enumerate())  # other tests' servers may run meanwhile
    with waitress_thread(_app) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/")
        assert conn.getresponse().read() == b"ok"
        sock = conn.sock
        assert sock is not None
    try:
        sock.settimeout(5)
        assert sock.recv(1) == b""  # closed by the server, not a timeout
    finally:
        conn.close()
    assert not [t for t in threading.enumerate()
                if t.name.startswith("waitress-") and t not in others]
