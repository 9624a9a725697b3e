"""The network meter: what a client knows about its network to the server, and the
choices that follow.

Every request the transport makes is an observation: how long it took, how long of that
the server says it worked after it had the whole request (`Server-Timing: app;dur=`),
how many bytes went up, and which protocol the server named in its `Hesabu-Protocol`
header. From those the meter keeps

- the server's protocol version (a server before 3 gets gzip and answers with lists),
- the round-trip time of small requests (EWMA), and
- the upload rate of big requests (EWMA; the link's time only when the server says how
  long it worked, else the whole exchange, which errs low), and
- the download rate of big answers (pull pages; EWMA, the same way).

and chooses how to compress a push body (`push_coding`): bzip2 saves ~40% of the bytes
of a batch of household ops against gzip, and costs ~0.1 ms of CPU per op on both sides.
That is a good trade below a few Mbit/s (EDGE and 3G: seconds per 1,000 households) and
a bad one on Wi-Fi or a LAN. Where nothing is known yet, bzip2: a wrong guess on a fast
link costs ~0.1 s per 1,000 households, the other wrong guess costs ~5 s on EDGE.

It also chooses the size of pull pages (`pull_bytes`, the `max_bytes` of a pull): about
`PULL_PAGE_S` seconds of the link's download rate, so a connection that drops loses at
most that much; the server's default (2 MiB of JSON) on a fast link. An unknown link
gets `SLOW_PULL_BYTES` (its first page measures the rate for the next ones).

The state survives between syncs (`NetworkMeter.state`/`restore`: the tablet keeps it in
its store's settings, a hub in its process), per server address, so the first push of a
sync already knows the network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sync.messages import BZIP2, GZIP, PROTOCOL_3

#: Below this upload rate (bytes/s) a push is sent as bzip2 (2 Mbit/s; bzip2 breaks
#: even around 4 Mbit/s on a desktop CPU, and a tablet's CPU is slower).
SLOW_RATE = 256 * 1024
#: Without a rate, a round trip above this (seconds) means a mobile or long-haul link.
SLOW_RTT_S = 0.15
#: A request sending at least this many bytes measures the upload rate.
RATE_MIN_BYTES = 32 * 1024
#: A request with both bodies under this size measures the round-trip time.
RTT_MAX_BYTES = 4 * 1024
#: Weight of a new observation in the moving averages.
ALPHA = 0.5
#: Send buffer on a slow link whose rate is not measured yet (see `send_buffer`).
SLOW_SNDBUF = 16 * 1024
SNDBUF_MIN, SNDBUF_MAX = 8 * 1024, 256 * 1024
#: Seconds of download a pull page should take on a slow link (the most a dropped
#: connection loses; each page also costs a round trip: on EDGE, pages of ~8 s made a
#: 1,000-household pull 6 requests and 15.3 s instead of 2 and 13.7 s).
PULL_PAGE_S = 15.0
#: Bytes of a pull page's JSON (what `max_bytes` counts) per byte on the wire (gzip):
#: ~9 for household ops (1,542 bytes of JSON, 175 down per household in bench/sync.py);
#: 8 errs towards smaller pages.
PULL_JSON_PER_WIRE_BYTE = 8
#: A page of this size or more is the server's default (`HESABU_DEFAULT_PULL_BYTES`):
#: the client then leaves `max_bytes` out.
DEFAULT_PULL_BYTES = 2 * 1024 * 1024
#: Pull pages on a link known to be slow but whose download rate is not measured yet
#: (~680 households, ~8 s on EDGE), and the smallest page asked for (below, the round
#: trips would cost more than a drop).
SLOW_PULL_BYTES = 1024 * 1024
MIN_PULL_BYTES = 64 * 1024


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, as the transport saw them."""

    bytes_sent: int
    bytes_received: int
    seconds: float
    server_protocol: int | None = None
    server_seconds: float | None = None  # the server's own work, from Server-Timing

    @property
    def link_seconds(self) -> float:
        """The time the link took: the whole exchange less the server's own work."""
        if self.server_seconds is None:
            return self.seconds
        return max(self.seconds - self.server_seconds, self.seconds * 0.01)


def _ewma(old: float | None, new: float) -> float:
    return new if old is None else ALPHA * new + (1 - ALPHA) * old


def _positive(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value > 0 else None


class NetworkMeter:
    """Observations of one server's link; see the module docstring."""

    def __init__(self) -> None:
        self.server_protocol: int | None = None
        self.rtt_s: float | None = None
        self.upload_rate: float | None = None  # bytes per second
        self.download_rate: float | None = None  # bytes per second
        self.refused_codings: set[str] = set()
        #: The server refused `max_bytes` on a pull (one from before it): leave it out.
        self.pull_bytes_refused = False

    def observe(self, exchange: Exchange) -> None:
        if exchange.server_protocol is not None:
            self.server_protocol = exchange.server_protocol
        seconds = exchange.link_seconds
        if seconds <= 0:
            return
        if exchange.bytes_sent >= RATE_MIN_BYTES:
            self.upload_rate = _ewma(self.upload_rate, exchange.bytes_sent / seconds)
        elif exchange.bytes_sent < RTT_MAX_BYTES and exchange.bytes_received < RTT_MAX_BYTES:
            self.rtt_s = _ewma(self.rtt_s, seconds)
        if exchange.bytes_received >= RATE_MIN_BYTES:
            # Less the round trip (the request going up, the answer's first byte coming
            # back; at most half the time): a page of a few seconds on EDGE otherwise
            # counts it as transfer and the rate errs low by a third.
            transfer = max(seconds - (self.rtt_s or 0.0), seconds / 2)
            self.download_rate = _ewma(self.download_rate, exchange.bytes_received / transfer)

    def slow(self) -> bool:
        """Is this a link where bytes cost more than CPU? (Unknown counts as slow.)"""
        if self.upload_rate is not None:
            return self.upload_rate < SLOW_RATE
        if self.rtt_s is not None:
            return self.rtt_s > SLOW_RTT_S
        return True

    def send_buffer(self) -> int | None:
        """The socket send buffer (SO_SNDBUF) for requests on this link, or None to
        leave the system's autotuning alone (fast links).

        On a slow link the system lets the congestion window grow far past what the
        link carries; a big request then arrives at the modem's small queue as a burst,
        its last packets are dropped, and nothing after them tells the sender: it waits
        a retransmission timeout (~5 s on EDGE, measured: 100 KB took 12.3 s instead of
        7.1 s). Linux doubles the value asked for, so this keeps about 2 s of the link's
        rate in flight: enough to keep any link with a round trip under 2 s busy."""
        if not self.slow():
            return None
        if self.upload_rate is None:
            return SLOW_SNDBUF
        return int(min(max(self.upload_rate, SNDBUF_MIN), SNDBUF_MAX))

    def push_coding(self) -> str:
        """The `Content-Encoding` for the next push body."""
        if (self.server_protocol or 0) < PROTOCOL_3 or BZIP2 in self.refused_codings:
            return GZIP  # an older (or not yet heard) server only takes gzip
        return BZIP2 if self.slow() else GZIP

    def pull_bytes(self) -> int | None:
        """The `max_bytes` of the next pull page, or None for the server's default.

        About `PULL_PAGE_S` seconds of the measured download rate (the upload rate if
        no page was measured yet: on mobile links it is the lower one), so a dropped
        connection costs at most that; the server's default on a fast link, where a
        drop costs little and fewer pages cost fewer round trips."""
        rate = self.download_rate or self.upload_rate
        if rate is None:
            return SLOW_PULL_BYTES if self.slow() else None
        budget = rate * PULL_PAGE_S * PULL_JSON_PER_WIRE_BYTE
        return None if budget >= DEFAULT_PULL_BYTES else int(max(budget, MIN_PULL_BYTES))

    def refused(self, coding: str) -> None:
        """The server (or a proxy before it) answered 415 to `coding`: stop using it
        with this server (gzip is always accepted)."""
        if coding != GZIP:
            self.refused_codings.add(coding)

    # -- persistence (store settings) ---------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {"server_protocol": self.server_protocol, "rtt_s": self.rtt_s,
                "upload_rate": self.upload_rate, "download_rate": self.download_rate,
                "refused": sorted(self.refused_codings),
                "pull_bytes_refused": self.pull_bytes_refused}

    def restore(self, state: Any) -> None:
        """Take a saved `state`; anything malformed is ignored (measured again)."""
        if not isinstance(state, dict):
            return
        protocol = state.get("server_protocol")
        if isinstance(protocol, int) and not isinstance(protocol, bool) and protocol > 0:
            self.server_protocol = protocol
        self.rtt_s = _positive(state.get("rtt_s"))
        self.upload_rate = _positive(state.get("upload_rate"))
        self.download_rate = _positive(state.get("download_rate"))
        refused = state.get("refused")
        if isinstance(refused, list):
            self.refused_codings = {c for c in refused if isinstance(c, str) and c != GZIP}
        self.pull_bytes_refused = state.get("pull_bytes_refused") is True


def parse_server_timing(header: str | None) -> float | None:
    """Seconds of the `app` metric of a `Server-Timing` header (`app;dur=12.5` is in
    milliseconds), or None."""
    for metric in (header or "").split(","):
        name, *params = (part.strip() for part in metric.split(";"))
        if name != "app":
            continue
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "dur":
                try:
                    ms = float(value.strip().strip('"'))
                except ValueError:
                    return None
                return ms / 1000 if math.isfinite(ms) and ms >= 0 else None
    return None


def parse_protocol(header: str | None) -> int | None:
    """The server's `Hesabu-Protocol` header as a version number, if it is one."""
    if header is None or not header.strip().isdigit():
        return None
    return int(header.strip())
