"""The server's clock after receiving a batch's HLCs (server/services/clock.py)."""

from __future__ import annotations

from server.services.clock import ServerClock
from sync.hlc import Hlc, parse_hlc, wall_clock_ms


def test_after_a_batch_the_clock_is_past_every_hlc_of_it_in_any_order() -> None:
    ahead = wall_clock_ms() + 3_600_000  # devices whose clocks run an hour fast
    hlcs = [Hlc(ahead, 7, "tablet-b").encode(), Hlc(ahead + 5, 0, "tablet-a").encode(),
            Hlc(ahead + 5, 3, "tablet-a").encode(), Hlc(ahead - 9, 999, "tablet-c").encode()]
    clock = ServerClock()
    clock.receive(hlcs)
    stamp = clock.now()
    assert all(stamp > hlc for hlc in hlcs)
    assert parse_hlc(stamp).ms == ahead + 5


def test_an_empty_batch_leaves_the_clock_on_wall_time() -> None:
    clock = ServerClock()
    clock.receive([])
    assert abs(parse_hlc(clock.now()).ms - wall_clock_ms()) < 60_000
