"""waitress, as `hesabu serve` runs it, serving an app in a thread of a test."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def waitress_thread(app: Any, threads: int = 2) -> Iterator[int]:
    """waitress (as `hesabu serve` runs it) serving the WSGI `app` on a loopback port in
    a thread; yields the port, then stops it with every socket closed. Unlike
    werkzeug's development server, waitress closes a response's file when the client
    goes away mid-answer (a browser dropping its favicon request), as in production."""
    import waitress
    from waitress import wasyncore

    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=threads)
    stop = threading.Event()

    def serve() -> None:
        # The loop is ours, not `server.run()`, so that every socket is closed by the
        # loop's own thread once it stops: closing them from the test's thread races
        # with its select(), and waking it through waitress's trigger pipe failed once
        # in CI with a closed descriptor (`os.write` EBADF) as the test ended.
        try:
            while not stop.is_set():
                wasyncore.loop(timeout=0.05, map=server._map, count=1)
        finally:
            wasyncore.close_all(server._map)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.effective_port
    finally:
        # Its worker threads first (one may still be waking the loop after an answer),
        # then the loop, which closes every socket as it ends.
        server.task_dispatcher.shutdown()
        stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive(), "the waitress loop did not stop"
