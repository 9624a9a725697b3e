"""UUIDv7 and the hybrid logical clock."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.hlc import MAX_COUNTER, Hlc, HlcError, HybridClock, is_hlc, parse_hlc
from sync.ids import is_instance_id, is_uuid7, new_instance_id, new_uuid7, uuid7_ms

JAN_2026 = 1_767_225_600_000
YEAR_2038 = 2_147_483_648_000


class FakeClock:
    """A settable wall clock, like a tablet whose owner changes the date."""

    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


# -- UUIDv7 -----------------------------------------------------------------------------
def test_uuid7_has_rfc9562_version_variant_and_time() -> None:
    value = new_uuid7(now_ms=JAN_2026)
    parsed = uuid.UUID(value)
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert uuid7_ms(value) == JAN_2026
    assert is_uuid7(value)


def test_uuid7_sorts_by_time_and_is_unique() -> None:
    earlier = [new_uuid7(now_ms=JAN_2026) for _ in range(500)]
    later = new_uuid7(now_ms=JAN_2026 + 1)
    assert len(set(earlier)) == 500
    assert all(e < later for e in earlier)


def test_uuid7_validator_rejects_other_uuids_and_forms() -> None:
    v7 = new_uuid7()
    assert not is_uuid7(str(uuid.uuid4()))
    assert not is_uuid7(v7.upper())
    assert not is_uuid7(v7.replace("-", ""))
    assert not is_uuid7(None)
    with pytest.raises(ValueError):
        uuid7_ms(str(uuid.uuid4()))
    with pytest.raises(ValueError):
        new_uuid7(now_ms=-1)


def test_instance_ids_are_short_and_path_safe() -> None:
    ids = {new_instance_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(is_instance_id(i) and len(i) == 12 for i in ids)
    assert not is_instance_id("a/b") and not is_instance_id("a]") and not is_instance_id("")


# -- HLC encoding -----------------------------------------------------------------------
def test_hlc_encoding_is_fixed_width_and_parses_back() -> None:
    clock = HybridClock("tab-07", now_ms=FakeClock(JAN_2026))
    stamp = clock.tick()
    assert stamp == f"{JAN_2026:013d}-000000-tab-07"
    assert parse_hlc(stamp).ms == JAN_2026 and parse_hlc(stamp).node == "tab-07"
    assert is_hlc(stamp)


@pytest.mark.parametrize(
    "bad", ["", "1767225600000-0-a", "1767225600000-000000-", "x767225600000-000000-a",
            "1767225600000-000000-a b", 17, None],
)
def test_parse_hlc_rejects_malformed(bad: object) -> None:
    with pytest.raises(HlcError):
        parse_hlc(bad)  # type: ignore[arg-type]


def test_hlc_rejects_bad_node_id() -> None:
    with pytest.raises(HlcError):
        HybridClock("has space")


NODES = st.sampled_from(["a", "a-1", "b", "zz", "Z"])


@given(
    a=st.tuples(st.integers(0, 10**13 - 1), st.integers(0, MAX_COUNTER), NODES),
    b=st.tuples(st.integers(0, 10**13 - 1), st.integers(0, MAX_COUNTER), NODES),
)
def test_string_order_equals_clock_order(a: tuple, b: tuple) -> None:
    ha, hb = Hlc(*a), Hlc(*b)
    assert (ha.encode() < hb.encode()) == (ha < hb)
    assert parse_hlc(ha.encode()) == ha


# -- HLC behaviour ----------------------------------------------------------------------
def test_tablet_stuck_in_1970_still_increases_then_adopts_server_time() -> None:
    wall = FakeClock(0)
    tablet = HybridClock("tablet", now_ms=wall)
    first, second = tablet.tick(), tablet.tick()
    assert first < second and parse_hlc(second).ms == 0

    server_stamp = f"{JAN_2026:013d}-000004-server"
    tablet.receive(server_stamp)
    after = tablet.tick()
    assert after > server_stamp
    assert parse_hlc(after).ms == JAN_2026  # the tablet now writes at server time


def test_clock_restored_from_last_never_goes_back() -> None:
    before = HybridClock("t", now_ms=FakeClock(JAN_2026)).tick()
    restarted = HybridClock("t", now_ms=FakeClock(5), last=before)  # battery died, clock reset
    assert restarted.tick() > before
    assert HybridClock("t").last is None


def test_a_clock_rewound_to_its_state_issues_the_same_next_timestamp() -> None:
    clock = HybridClock("tablet-1", now_ms=lambda: 5_000)
    clock.tick()
    before = clock.state()
    issued = clock.tick()  # in a transaction that then rolls back
    clock.receive(Hlc(9_000, 3, "server").encode())
    clock.rewind(before)
    assert clock.state() == before and clock.tick() == issued


def test_counter_overflow_borrows_the_next_millisecond() -> None:
    clock = HybridClock("t", now_ms=FakeClock(1000), last=f"{1000:013d}-{MAX_COUNTER:06d}-t")
    stamp = parse_hlc(clock.tick())
    assert (stamp.ms, stamp.counter) == (1001, 0)


CLOCK_JUMPS = st.sampled_from([0, JAN_2026, JAN_2026 + 45 * 60_000, YEAR_2038, JAN_2026 - 1])


@settings(max_examples=200, deadline=None)
@given(
    events=st.lists(
        st.tuples(
            st.sampled_from(["tick", "receive"]),
            st.one_of(CLOCK_JUMPS, st.integers(0, 2 * YEAR_2038)),
            st.one_of(CLOCK_JUMPS, st.integers(0, 2 * YEAR_2038)),
            st.integers(0, MAX_COUNTER),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_hlc_is_strictly_monotonic_under_any_clock_jumps(events: list[tuple]) -> None:
    wall = FakeClock(0)
    clock = HybridClock("dev", now_ms=wall)
    previous = ""
    seen_remote = ""
    for action, wall_ms, remote_ms, remote_counter in events:
        wall.ms = wall_ms
        if action == "tick":
            stamp = clock.tick()
        else:
            remote = f"{remote_ms:013d}-{remote_counter:06d}-other"
            seen_remote = max(seen_remote, remote)
            stamp = clock.receive(remote)
        assert stamp > previous
        # Causality: anything issued after receiving a stamp is after that stamp.
        if seen_remote:
            mine, theirs = parse_hlc(stamp), parse_hlc(seen_remote)
            assert (mine.ms, mine.counter) > (theirs.ms, theirs.counter)
        previous = stamp
