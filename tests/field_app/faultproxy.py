"""A TCP proxy on loopback that breaks connections on purpose.

- `cut_after_bytes`: close both sides each time another that many request bytes went
  upstream, over all connections (a link that dies in the middle of an upload, again
  and again); counts down `cuts`. With `reset`, the client side is reset (RST, as a
  mobile network or NAT dropping the connection does) instead of closed (FIN).
- `drop_ack_for`: when the server starts answering a request whose request line
  starts with this prefix, close the client side instead of forwarding the answer (the
  server committed, the device never heard it); counts down `drops`.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from dataclasses import dataclass


@dataclass
class Faults:
    cut_after_bytes: int | None = None
    cuts: int = 0
    reset: bool = False
    drop_ack_for: bytes | None = None
    drops: int = 0


class FaultProxy:
    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.faults = Faults()
        self.cut_count = 0
        self.dropped_acks = 0
        self._up_since_cut = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stop = True
        with contextlib.suppress(OSError):
            self._listener.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            state = {"last_request": b"", "closed": False}
            threading.Thread(target=self._pipe_up, args=(client, upstream, state),
                             daemon=True).start()
            threading.Thread(target=self._pipe_down, args=(upstream, client, state),
                             daemon=True).start()

    def _close(self, a: socket.socket, b: socket.socket, state: dict) -> None:
        state["closed"] = True
        for s in (a, b):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()

    def _pipe_up(self, client: socket.socket, upstream: socket.socket, state: dict) -> None:
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                if data[:4] in (b"GET ", b"POST", b"PATC", b"HEAD", b"PUT "):
                    state["last_request"] = data[:200]
                with self._lock:
                    limit = self.faults.cut_after_bytes if self.faults.cuts > 0 else None
                    cut = limit is not None and self._up_since_cut + len(data) > limit
                    if cut:
                        keep = max(0, limit - self._up_since_cut)
                        self._up_since_cut = 0
                        self.faults.cuts -= 1
                        self.cut_count += 1
                    else:
                        self._up_since_cut += len(data)
                if cut:
                    upstream.sendall(data[:keep])
                    if self.faults.reset:  # linger 0: close() sends RST, not FIN
                        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                          struct.pack("ii", 1, 0))
                        state["closed"] = True
                        client.close()
                        upstream.close()
                        return
                    self._close(client, upstream, state)
                    return
                upstream.sendall(data)
        except OSError:
            pass
        if not state["closed"]:
            self._close(client, upstream, state)

    def _pipe_down(self, upstream: socket.socket, client: socket.socket, state: dict) -> None:
        try:
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                with self._lock:
                    prefix = self.faults.drop_ack_for if self.faults.drops > 0 else None
                    drop = prefix is not None and state["last_request"].startswith(prefix)
                    if drop:
                        self.faults.drops -= 1
                        self.dropped_acks += 1
                if drop:
                    self._close(client, upstream, state)
                    return
                client.sendall(data)
        except OSError:
            pass
        if not state["closed"]:
            self._close(client, upstream, state)
