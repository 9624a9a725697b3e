"""SQLite WAL checkpoints off the request path.

In WAL mode SQLite appends each commit to the `-wal` file and, once that passes
`wal_autocheckpoint` pages (1,000 by default, 4 MB), the committing connection copies
the pages back into the database file before its COMMIT returns. A push of a thousand
households writes about 5 MB, so every push paid for a checkpoint: 26 of the 30 ms of
its commit, about a sixth of the server's time per push.

Here one background thread per process does that work instead. The server's SQLite
connections are `CheckpointingConnection`s: once the transactions committed since the
last checkpoint have changed `CHECKPOINT_AFTER_ROWS` rows (a push of a thousand
households changes some 3,000; a login one or two), the database is queued
(`request_checkpoint`); the thread runs
`PRAGMA wal_checkpoint(PASSIVE)` on a connection of its own, which never blocks readers
or writers and lets the next request run meanwhile (sqlite3 releases the GIL while
SQLite works). Automatic checkpoints stay on with a higher threshold
(`WAL_AUTOCHECKPOINT_BYTES`, 64 MB) as a backstop, should the thread fall behind, so the
WAL cannot grow without bound.

Durability does not depend on the checkpoints: with `synchronous=FULL`
(server/extensions.py) every COMMIT syncs the WAL before it returns, so what the server
acked survives a crash or a power cut whether or not a checkpoint has run since.

The thread opens the file with `mode=rw`, so a database removed meanwhile (a test's
temporary file) is never created again; errors are logged and the next request tries
again.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: The backstop: bytes of pages in the WAL before a committing connection checkpoints
#: itself (`autocheckpoint_pages` for a database's page size).
WAL_AUTOCHECKPOINT_BYTES = 64 * 1024 * 1024
#: Rows changed by the commits of a database, any connection, that queue a checkpoint:
#: about SQLite's own 1,000-page threshold for small rows, so small writes are not
#: each followed by a checkpoint (and its file syncs).
CHECKPOINT_AFTER_ROWS = 1000


def autocheckpoint_pages(page_size: int) -> int:
    """`PRAGMA wal_autocheckpoint` for the backstop on a database of `page_size` pages."""
    return max(1000, WAL_AUTOCHECKPOINT_BYTES // page_size)


_rows_lock = threading.Lock()
_rows_since: dict[str, int] = {}  # database path -> rows changed since the last request


class _Checkpointer:
    """A daemon thread that checkpoints the databases queued to it, one at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._pending: dict[str, None] = {}  # ordered set of database paths
        self._thread: threading.Thread | None = None
        self.done = 0  # checkpoints run (for tests and diagnostics)

    def request(self, path: str) -> None:
        with self._lock:
            self._pending[path] = None
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sqlite-checkpoints",
                                                daemon=True)
                self._thread.start()
            self._wake.notify()

    def idle(self, timeout: float) -> bool:
        """Wait until nothing is queued or being checkpointed (tests)."""
        with self._wake:
            return self._wake.wait_for(lambda: not self._pending and not self._busy, timeout)

    _busy = False

    def _run(self) -> None:
        while True:
            with self._wake:
                self._busy = False
                self._wake.notify_all()
                self._wake.wait_for(lambda: bool(self._pending))
                path = next(iter(self._pending))
                del self._pending[path]
                self._busy = True
            checkpoint(path)
            self.done += 1


def checkpoint(path: str) -> None:
    """A passive checkpoint of the database at `path` (never created if missing)."""
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=rw", uri=True,
                               timeout=0, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        log.debug("no checkpoint of %s: %s", path, exc)
        return
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except sqlite3.Error as exc:  # busy with another checkpoint, or gone: the next one
        log.debug("checkpoint of %s not done: %s", path, exc)
    finally:
        conn.close()


_checkpointer = _Checkpointer()


class CheckpointingConnection(sqlite3.Connection):
    """A sqlite3 connection (the `factory` of `sqlite3.connect`) that queues a background
    checkpoint of its database after each commit that changed rows (schema changes are
    left to the next write, or to the backstop)."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        name = str(database)
        self._checkpointed_path = (None if name in ("", ":memory:") or name.startswith("file:")
                                   else name)
        self._changes_seen = 0

    def commit(self) -> None:
        super().commit()
        changes = self.total_changes
        if changes != self._changes_seen and self._checkpointed_path is not None:
            rows, self._changes_seen = changes - self._changes_seen, changes
            path = self._checkpointed_path
            with _rows_lock:
                rows += _rows_since.get(path, 0)
                due = rows >= CHECKPOINT_AFTER_ROWS
                _rows_since[path] = 0 if due else rows
            if due:
                request_checkpoint(path)


def request_checkpoint(path: str) -> None:
    """Queue a background checkpoint of the database file at `path`."""
    _checkpointer.request(path)


def wait_idle(timeout: float = 10.0) -> bool:
    """Whether every queued checkpoint finished within `timeout` seconds (tests)."""
    return _checkpointer.idle(timeout)
