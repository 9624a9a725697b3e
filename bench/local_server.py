"""The server app on SQLite in a folder, served by waitress (as `hesabu serve` does) on a
loopback port the OS picks, for benchmarks that talk to it in-process."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import waitress
from flask import Flask

from server.app import create_app


@contextmanager
def local_server(folder: Path, threads: int = 8) -> Iterator[tuple[Flask, int]]:
    """(app, port) while the server runs; stopped on exit."""
    logging.getLogger("waitress").setLevel(logging.ERROR)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'server.db'}",
                      "INSTANCE_PATH": str(folder / "instance")})
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=threads)
    threading.Thread(target=server.run, daemon=True).start()
    try:
        yield app, server.effective_port
    finally:
        server.close()
