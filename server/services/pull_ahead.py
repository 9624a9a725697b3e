"""The next pull page, made while the device stores the one it just received.

A device pulls page after page. It asks for the next page only once it has read this
one's cursor, and then waits while the server reads, encodes and compresses the page;
meanwhile the server has nothing to do. So after a page that says `has_more`, the
server makes the next page for the same device and parameters on a thread of its own,
while the device decodes and stores the page it has: when the device asks, the answer
is ready (or being finished) instead of started.

A page made ahead is the page the device would have got at that moment: the same
reading as any pull (`pull_changes`: one snapshot, the device's own scope), so serving
it a moment later is the same as the request having come a moment earlier. It is
served only to the same device, for the same cursor, limit, byte budget, protocol and
records flag, within `FRESH_S`, and only if no change was committed since (the
server's counter is read again); otherwise it is dropped and the page made as usual.
A device asked to pull again from 0 is told so first (`check_rescan`). At most one page
per device is kept, and the pages of at most `MAX_DEVICES` devices (a page of the
default budget is up to 2 MB of JSON and its gzip). With several gunicorn workers the
next request may reach another worker, which just makes the page itself.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from flask import Flask, current_app

from server.extensions import db
from server.services.clock import server_clock
from server.services.devices import DeviceIdentity
from server.services.pull import pull_changes
from server.services.scoping import check_rescan
from server.services.sequence import current_seq
from sync.messages import GZIP, compress

log = logging.getLogger(__name__)

#: How long a page made ahead may wait for its request, in seconds.
FRESH_S = 30.0
#: Devices whose next page is kept at once (the oldest is dropped past this).
MAX_DEVICES = 32
#: How long a request waits for its page still being made before making it itself.
WAIT_S = 30.0
_KEY = "hesabu_pull_ahead"


class PageKey(NamedTuple):
    device_id: str
    cursor: int
    limit: int
    max_bytes: int
    protocol: int
    with_records: bool


@dataclass(frozen=True)
class ReadyPage:
    """A page's JSON (and its gzip), with what the view needs to make the next one."""

    body: bytes
    gzipped: bytes | None
    next_cursor: int
    has_more: bool


@dataclass(eq=False)
class _Slot:
    key: PageKey
    made_at: float = field(default_factory=time.monotonic)
    top: int | None = None  # the server's counter before the page was read
    page: ReadyPage | None = None
    done: threading.Event = field(default_factory=threading.Event)


class PagesAhead:
    """The pages made ahead in this process, one per device at most."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: OrderedDict[str, _Slot] = OrderedDict()
        self._making: set[_Slot] = set()  # pages being made (see `idle`)
        self.served = 0  # pages served from here (tests)
        self.cpu_s = 0.0  # CPU seconds of the threads that made pages (benchmarks)

    def take(self, key: PageKey) -> ReadyPage | None:
        """The page made ahead for exactly this request if it is still what a pull would
        answer now; None if there is none (the caller makes the page itself). Raises
        what `check_rescan` raises for a device that must pull again from 0."""
        with self._lock:
            slot = self._slots.get(key.device_id)
            if slot is None or slot.key != key:
                return None
            del self._slots[key.device_id]
        check_rescan(key.device_id, key.cursor)
        if not slot.done.wait(WAIT_S) or slot.page is None:
            return None
        if time.monotonic() - slot.made_at > FRESH_S:
            return None
        session = db.session
        try:
            unchanged = current_seq(session) == slot.top
        finally:
            session.rollback()
        if not unchanged:
            return None
        self.served += 1
        return slot.page

    def start(self, app: Flask, device: DeviceIdentity, key: PageKey, gzip_it: bool) -> None:
        """Make the page of `key` on a thread of its own (replacing the device's last)."""
        slot = _Slot(key)
        with self._lock:
            self._making.add(slot)
            self._slots.pop(key.device_id, None)
            self._slots[key.device_id] = slot
            while len(self._slots) > MAX_DEVICES:
                self._slots.popitem(last=False)
        threading.Thread(target=self._make, args=(app, device, slot, gzip_it),
                         name="hesabu-server-page-ahead", daemon=True).start()

    def idle(self, timeout: float = 30.0) -> bool:
        """Wait until no page is being made (before a database is emptied or dropped)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            slots = list(self._making)
        return all(slot.done.wait(max(0.0, deadline - time.monotonic())) for slot in slots)

    def _make(self, app: Flask, device: DeviceIdentity, slot: _Slot, gzip_it: bool) -> None:
        key = slot.key
        started = time.thread_time()
        try:
            with app.app_context():
                try:
                    session = db.session
                    slot.top = current_seq(session)
                    session.rollback()
                    page = pull_changes(device, key.cursor, key.limit,
                                        protocol=key.protocol, with_records=key.with_records,
                                        max_bytes=key.max_bytes)
                    body = page.to_json(server_hlc=server_clock().now())
                finally:
                    db.session.remove()
            slot.page = ReadyPage(body, compress(body, GZIP) if gzip_it else None,
                                  page.next_cursor, page.has_more)
        except Exception:  # the request makes the page itself, and says what fails
            log.debug("the next page of %s was not made ahead", key.device_id, exc_info=True)
        finally:
            slot.done.set()
            with self._lock:
                self._making.discard(slot)
                self.cpu_s += time.thread_time() - started


def init_app(app: Flask) -> None:
    app.extensions[_KEY] = PagesAhead()


def pages_ahead() -> PagesAhead | None:
    """This process's pages made ahead; None when the app says not to make them
    (`HESABU_PULL_AHEAD`) or its database is SQLite in memory (one connection for all
    threads: a page made on another thread would share it)."""
    if not current_app.config["HESABU_PULL_AHEAD"]:
        return None
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return None
    return current_app.extensions[_KEY]


def page_key(device_id: str, query: dict[str, Any], limit: int, max_bytes: int) -> PageKey:
    return PageKey(device_id, query["cursor"], limit, max_bytes, query["protocol"],
                   bool(query["records"]))


def of_app(app: Flask) -> PagesAhead | None:
    """`app`'s pages made ahead, outside a request (None for an app without them)."""
    return app.extensions.get(_KEY)


def settle(app: Flask, timeout: float = 30.0) -> bool:
    """Wait until `app` makes no page ahead (before its database is emptied, dropped or
    its engine disposed: tests, benchmarks)."""
    ahead = of_app(app)
    return ahead is None or ahead.idle(timeout)
