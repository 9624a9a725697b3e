"""The server's hybrid logical clock: stamps responses with `server_hlc`.

Devices call `receive(server_hlc)`, which is how a tablet with a wrong clock adopts
server time. The clock receives every op it admits (admission has already refused
HLCs too far ahead), so `server_hlc` is later than every op the server holds. Each
process has its own clock; devices take the maximum, so that is enough.
"""

from __future__ import annotations

import threading

from flask import Flask, current_app

from sync.hlc import HybridClock

_KEY = "hesabu_clock"


class ServerClock:
    """A HybridClock shared by the request threads of one process."""

    def __init__(self, node_id: str = "server") -> None:
        self._clock = HybridClock(node_id)
        self._lock = threading.Lock()

    def receive(self, hlcs: list[str]) -> None:
        """Receive a batch's HLCs: the latest of them is enough, since encoded HLCs
        compare as strings in time order (sync.hlc) and receiving it leaves the clock
        past every other one too. (One parse instead of one per op.)"""
        if not hlcs:
            return
        latest = max(hlcs)
        with self._lock:
            self._clock.receive(latest)

    def now(self) -> str:
        with self._lock:
            return self._clock.tick()


def install_clock(app: Flask) -> None:
    app.extensions[_KEY] = ServerClock(app.config.get("HESABU_NODE_ID", "server"))


def server_clock() -> ServerClock:
    return current_app.extensions[_KEY]
