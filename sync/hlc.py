"""Hybrid logical clocks: timestamps that follow wall time but never go backwards.

Every op carries an HLC. It orders writes for last-writer-wins (the interim value of
a field) and lets a device whose clock is wrong (a tablet reset to 1970) still produce
increasing timestamps, then adopt the server's time as soon as it receives an op or a
response stamped by the server.

Encoding: `MMMMMMMMMMMMM-CCCCCC-node`: 13 digits of Unix milliseconds, 6 digits of
logical counter, then the node id. Both numbers are fixed width, so comparing two
encoded strings character by character (Python `<`, SQL `ORDER BY` with a binary/"C"
collation) gives the same order as comparing (ms, counter, node).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

MS_DIGITS = 13
COUNTER_DIGITS = 6
MAX_MS = 10**MS_DIGITS - 1
MAX_COUNTER = 10**COUNTER_DIGITS - 1
#: Node ids are ASCII so that byte order and code point order agree.
NODE_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_HLC_RE = re.compile(r"^(\d{13})-(\d{6})-([A-Za-z0-9_.:-]{1,64})$")


class HlcError(ValueError):
    """An HLC string or node id that does not follow the encoding."""


@dataclass(frozen=True, order=True)
class Hlc:
    """One timestamp. Field order makes dataclass ordering equal to string ordering."""

    ms: int
    counter: int
    node: str

    def encode(self) -> str:
        return f"{self.ms:0{MS_DIGITS}d}-{self.counter:0{COUNTER_DIGITS}d}-{self.node}"

    def __str__(self) -> str:
        return self.encode()


def parse_hlc(text: str) -> Hlc:
    """Parse an encoded HLC; HlcError if it is not exactly in the encoding."""
    match = _HLC_RE.match(text) if isinstance(text, str) else None
    if match is None:
        raise HlcError(f"not an HLC (want 13-digit ms, 6-digit counter, node): {text!r}")
    return Hlc(int(match[1]), int(match[2]), match[3])


def is_hlc(text: object) -> bool:
    return isinstance(text, str) and _HLC_RE.match(text) is not None


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class HybridClock:
    """The clock of one node (a device, a hub, the server).

    `now_ms` is the physical clock (injectable for tests). `last` restores the last
    timestamp this node issued, so a restart with a clock that jumped backwards still
    continues upwards: stores persist `clock.last` with every op they write.
    """

    def __init__(
        self,
        node_id: str,
        now_ms: Callable[[], int] = wall_clock_ms,
        last: str | None = None,
    ) -> None:
        if not isinstance(node_id, str) or NODE_RE.match(node_id) is None:
            raise HlcError(f"node id must be 1-64 chars of A-Z a-z 0-9 _ . : -, got {node_id!r}")
        self.node_id = node_id
        self._now_ms = now_ms
        self._ms = -1
        self._counter = 0
        if last is not None:
            prev = parse_hlc(last)
            self._ms, self._counter = prev.ms, prev.counter

    @property
    def last(self) -> str | None:
        """The last timestamp issued (encoded), or None before the first one."""
        if self._ms < 0:
            return None
        return Hlc(self._ms, self._counter, self.node_id).encode()

    def state(self) -> tuple[int, int]:
        """Where the clock is (milliseconds, counter), for `rewind` after a rollback."""
        return self._ms, self._counter

    def rewind(self, state: tuple[int, int]) -> None:
        """Go back to an earlier `state`: what a store does when the transaction that
        issued the later timestamps rolled back, so none of them was persisted."""
        self._ms, self._counter = state

    def _physical(self) -> int:
        # A clock outside the encodable range is clamped rather than trusted.
        return min(max(int(self._now_ms()), 0), MAX_MS)

    def _set(self, ms: int, counter: int) -> str:
        # A full counter borrows the next millisecond: still strictly increasing.
        if counter > MAX_COUNTER:
            ms, counter = ms + 1, 0
        if ms > MAX_MS:
            raise HlcError("HLC overflow: physical time beyond year 2286")
        self._ms, self._counter = ms, counter
        return Hlc(ms, counter, self.node_id).encode()

    def tick(self) -> str:
        """A timestamp for a local event (an edit), greater than every one seen so far."""
        pt = self._physical()
        if pt > self._ms:
            return self._set(pt, 0)
        return self._set(self._ms, self._counter + 1)

    def receive(self, remote: str) -> str:
        """Merge a timestamp received from another node; returns this receive event's HLC.

        Afterwards every `tick()` is greater than `remote`: this is how a device with a
        wrong clock adopts the server's time. Callers reject timestamps too far in the
        future *before* calling this (see `sync.admission`), or one bad clock would drag
        every node forward.
        """
        other = parse_hlc(remote)
        pt = self._physical()
        ms = max(self._ms, other.ms, pt)
        if ms == self._ms and ms == other.ms:
            counter = max(self._counter, other.counter) + 1
        elif ms == self._ms:
            counter = self._counter + 1
        elif ms == other.ms:
            counter = other.counter + 1
        else:
            counter = 0
        return self._set(ms, counter)
