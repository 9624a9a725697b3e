"""A TCP proxy that plays the slow link's latency, counts what crosses it, and can cut it.

    proxy = LinkProxy(target_port=5000, one_way_delay_s=0.1).start()
    ... clients talk to 127.0.0.1:proxy.port ...
    stats = proxy.snapshot()   # bytes up/down, connections, HTTP requests

netem is not available in this kernel, so latency is added here: every chunk read from
one side is written to the other side `one_way_delay_s` later (both directions, so the
round trip grows by twice that), without throttling (bandwidth and loss are the kernel's
job: tbf and nftables on the namespace's loopback). Bytes are application bytes on the
client's side of the proxy (HTTP headers included, TCP/IP headers and retransmissions not).
A new connection also pays the TCP handshake's round trip: its first bytes reach the server
one round trip later (the proxy itself accepts at once).
Requests are counted by following HTTP/1.1 framing (Content-Length or chunked) on the way up.

`arm_cut(after_up_bytes, outage_s)` drops the link once the upload has passed that many
bytes: every open connection is reset and new ones are refused for `outage_s` seconds, as
a phone sees when it loses the cell long enough for its connections to die.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from typing import Protocol


@dataclass(frozen=True)
class LinkStats:
    bytes_up: int
    bytes_down: int
    connections: int
    requests: int
    refused: int
    cuts: int

    @property
    def bytes_total(self) -> int:
        return self.bytes_up + self.bytes_down


class Link(Protocol):
    """What the benchmark's runners need of a proxy (LinkProxy or ProxyProcess)."""

    port: int
    target_port: int

    def reset(self) -> None: ...
    def snapshot(self) -> LinkStats: ...
    def arm_cut(self, after_up_bytes: int, outage_s: float) -> None: ...


class RequestCounter:
    """Counts HTTP/1.1 requests in a client's byte stream (Content-Length or chunked)."""

    def __init__(self) -> None:
        self.count = 0
        self._buf = b""
        self._state = "head"
        self._left = 0

    def feed(self, data: bytes) -> None:
        self._buf += data
        while self._step():
            pass

    def _skip(self) -> bool:
        n = min(self._left, len(self._buf))
        self._buf = self._buf[n:]
        self._left -= n
        return self._left == 0

    def _line(self) -> bytes | None:
        i = self._buf.find(b"\r\n")
        if i < 0:
            return None
        line, self._buf = self._buf[:i], self._buf[i + 2:]
        return line

    def _step(self) -> bool:
        """Advance one framing step; False when more bytes are needed."""
        if self._state in ("body", "chunk-data"):
            if not self._skip():
                return False
            self._state = "head" if self._state == "body" else "chunk-size"
            return True
        if self._state == "head":
            i = self._buf.find(b"\r\n\r\n")
            if i < 0:
                return False
            head, self._buf = self._buf[:i].decode("latin-1"), self._buf[i + 4:]
            if not head.strip():
                return True
            self.count += 1
            headers = {}
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            if "chunked" in headers.get("transfer-encoding", "").lower():
                self._state = "chunk-size"
            else:
                self._left = int(headers.get("content-length") or 0)
                self._state = "body" if self._left else "head"
            return True
        line = self._line()
        if line is None:
            return False
        if self._state == "chunk-size":
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size:
                self._left, self._state = size + 2, "chunk-data"
            else:
                self._state = "trailer"
        elif not line:  # end of the trailer
            self._state = "head"
        return True


class LinkProxy:
    """Forwards 127.0.0.1:port to 127.0.0.1:target_port through an asyncio loop thread."""

    def __init__(self, target_port: int, port: int = 0, one_way_delay_s: float = 0.0) -> None:
        self.target_port = target_port
        self.port = port
        self.delay = one_way_delay_s
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._transports: set[asyncio.BaseTransport] = set()
        self._counters: list[RequestCounter] = []
        self._cut_after: int | None = None
        self._outage_s = 0.0
        self._down_until = 0.0
        self.reset()

    # -- control (any thread) --------------------------------------------------------------
    def start(self) -> LinkProxy:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        future.result(timeout=10)
        return self

    def reset(self) -> None:
        with self._lock:
            self._up = self._down = self._connections = self._refused = self._cuts = 0
            self._finished_requests = 0
            for counter in self._counters:
                counter.count = 0
            self._cut_after = None

    def snapshot(self) -> LinkStats:
        with self._lock:
            requests = self._finished_requests + sum(c.count for c in self._counters)
            return LinkStats(self._up, self._down, self._connections, requests,
                             self._refused, self._cuts)

    def arm_cut(self, after_up_bytes: int, outage_s: float) -> None:
        """Drop the link once `after_up_bytes` more bytes have gone up."""
        with self._lock:
            self._cut_after = self._up + max(1, after_up_bytes)
            self._outage_s = outage_s

    def close(self) -> None:
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        if not self._loop.is_closed():
            self._loop.close()

    def __enter__(self) -> LinkProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- loop side ---------------------------------------------------------------------------
    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port,
                                                  reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for transport in list(self._transports):
            transport.abort()
        if self._server is not None:
            await self._server.wait_closed()
        # Let the aborted connections' handlers finish before the loop stops.
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if tasks:
            await asyncio.wait(tasks, timeout=5)

    def _cut(self) -> None:
        """Reset every connection and refuse new ones for the outage (loop thread)."""
        self._down_until = time.monotonic() + self._outage_s
        self._cuts += 1
        for transport in list(self._transports):
            transport.abort()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if time.monotonic() < self._down_until:
            with self._lock:
                self._refused += 1
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        counter = RequestCounter()
        with self._lock:
            self._connections += 1
            self._counters.append(counter)
        self._transports.update((writer.transport, up_writer.transport))
        # The handshake (SYN, SYN-ACK) took one round trip on the slow link before the
        # client could send; the proxy accepted at once, so it holds the bytes back.
        handshake_done = time.monotonic() + 2 * self.delay
        try:
            await asyncio.gather(self._pump(reader, up_writer, "up", counter, handshake_done),
                                 self._pump(up_reader, writer, "down", None))
        finally:
            for w in (writer, up_writer):
                self._transports.discard(w.transport)
                w.transport.abort()
            with self._lock:
                self._counters.remove(counter)
                self._finished_requests += counter.count

    async def _pump(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter,
                    direction: str, counter: RequestCounter | None,
                    not_before: float = 0.0) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        sender = asyncio.create_task(self._send_later(queue, dst))
        try:
            while True:
                try:
                    data = await src.read(65536)
                except (OSError, asyncio.IncompleteReadError):
                    data = b""
                if not data:
                    break
                cut = False
                with self._lock:
                    if direction == "up":
                        self._up += len(data)
                        if counter is not None:
                            counter.feed(data)
                        if self._cut_after is not None and self._up >= self._cut_after:
                            self._cut_after, cut = None, True
                    else:
                        self._down += len(data)
                if cut:
                    self._cut()
                    break
                due = max(time.monotonic(), not_before) + self.delay
                queue.put_nowait((due, data))
        finally:
            queue.put_nowait((0.0, b""))
            with contextlib.suppress(Exception):
                await sender

    async def _send_later(self, queue: asyncio.Queue[tuple[float, bytes]],
                          dst: asyncio.StreamWriter) -> None:
        try:
            while True:
                due, data = await queue.get()
                if not data:
                    if dst.can_write_eof():
                        dst.write_eof()
                    return
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                dst.write(data)
                await dst.drain()
        except (OSError, RuntimeError):
            return


# -- the proxy in its own process --------------------------------------------------------------
# The benchmark's clients (Hesabu's, the ODK model's) are Python too: a proxy in their
# process would take the GIL from them. ProxyProcess runs LinkProxy in a child process
# and drives it with one-line commands on a pipe.
class ProxyProcess:
    """LinkProxy's interface, with the proxy in a child process."""

    def __init__(self, target_port: int, port: int = 0, one_way_delay_s: float = 0.0) -> None:
        self._args = [str(target_port), str(port), repr(one_way_delay_s)]
        self._proc: subprocess.Popen | None = None
        self.port = port
        self._target = target_port

    def _ask(self, *command: object) -> dict:
        assert self._proc is not None and self._proc.stdin and self._proc.stdout
        self._proc.stdin.write(" ".join(str(c) for c in command) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("the link proxy process died")
        return json.loads(line)

    def start(self) -> ProxyProcess:
        self._proc = subprocess.Popen([sys.executable, __file__, *self._args],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      text=True)
        self.port = self._ask("port")["port"]
        return self

    @property
    def target_port(self) -> int:
        return self._target

    @target_port.setter
    def target_port(self, port: int) -> None:
        self._target = port
        self._ask("target", port)

    def reset(self) -> None:
        self._ask("reset")

    def snapshot(self) -> LinkStats:
        return LinkStats(**self._ask("snapshot"))

    def arm_cut(self, after_up_bytes: int, outage_s: float) -> None:
        self._ask("cut", after_up_bytes, outage_s)

    def close(self) -> None:
        if self._proc is None:
            return
        with contextlib.suppress(OSError, RuntimeError, ValueError):
            self._ask("quit")
        for stream in (self._proc.stdin, self._proc.stdout):
            if stream:
                stream.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc = None

    def __enter__(self) -> ProxyProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _serve(argv: list[str]) -> int:
    import signal

    # The parent decides when to stop (it sends "quit"); Ctrl-C reaches it too.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    target, port, delay = int(argv[0]), int(argv[1]), float(argv[2])
    proxy = LinkProxy(target, port=port, one_way_delay_s=delay).start()
    try:
        for line in sys.stdin:
            command, *args = line.split()
            answer: dict = {}
            if command == "port":
                answer = {"port": proxy.port}
            elif command == "target":
                proxy.target_port = int(args[0])
            elif command == "reset":
                proxy.reset()
            elif command == "snapshot":
                answer = asdict(proxy.snapshot())
            elif command == "cut":
                proxy.arm_cut(int(args[0]), float(args[1]))
            elif command == "quit":
                print("{}", flush=True)
                break
            print(json.dumps(answer), flush=True)
    finally:
        proxy.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(_serve(sys.argv[1:]))
