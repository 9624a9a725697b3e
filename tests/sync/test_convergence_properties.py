"""Property tests: replicas that received the same ops agree, whatever happened on the way.

(1) Any permutation of an op history, with duplicates, gives the same heads, values and
conflicts. (2) A state machine with three devices editing, deleting and resolving while
ops travel with duplication, reordering and partitions: once everything is delivered
everywhere, every replica shows identical records and identical conflicts.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from sync.hlc import HybridClock
from sync.ids import new_uuid7
from sync.ops import Op
from sync.replica import Replica, replica_from

NOW = 1_767_225_600_000
FORM = {"form_id": "household", "form_version": "1"}
RECORDS = [new_uuid7(NOW), new_uuid7(NOW)]
#: Answer paths, and a repeat instance's position paths (which hold numbers or None).
ANSWER_PATHS = ["tenure", "water/source", "members[a]/age", "members[b]/age"]
POSITION_PATHS = ["members[a]", "members[b]"]
ANSWER_VALUES = st.sampled_from([None, 1, 2, "owner", "tenant", ["x", "y"]])
POSITION_VALUES = st.sampled_from([None, 1, 2, 1.5])
CLOCK_JUMPS = st.sampled_from([0, NOW, NOW + 45 * 60_000, NOW - 1, 2_147_483_648_000])


class Wall:
    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def field_writes() -> st.SearchStrategy[dict[str, Any]]:
    answers = st.dictionaries(st.sampled_from(ANSWER_PATHS), ANSWER_VALUES, max_size=3)
    positions = st.dictionaries(st.sampled_from(POSITION_PATHS), POSITION_VALUES, max_size=2)
    return st.tuples(answers, positions).map(lambda t: {**t[0], **t[1]}).filter(bool)


# -- (1) permutations with duplicates -----------------------------------------------------
ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("edit"), st.integers(0, 2), st.integers(0, 1), field_writes()),
        st.tuples(st.just("delete"), st.integers(0, 2), st.integers(0, 1), st.just({})),
        st.tuples(st.just("resolve"), st.integers(0, 2), st.integers(0, 5), ANSWER_VALUES),
        st.tuples(st.just("deliver"), st.integers(0, 2), st.integers(0, 2),
                  st.lists(st.integers(0, 50), max_size=6)),
        st.tuples(st.just("clock"), st.integers(0, 2), st.just(0), CLOCK_JUMPS),
    ),
    min_size=1,
    max_size=30,
)


def run_history(actions: list[tuple]) -> list[Op]:
    """Play the actions on three devices; return every op written, in writing order."""
    walls = [Wall(NOW) for _ in range(3)]
    devices = [Replica(f"d{i}", HybridClock(f"d{i}", now_ms=walls[i])) for i in range(3)]
    written: list[Op] = []
    for kind, who, arg, payload in actions:
        me = devices[who]
        if kind == "edit":
            written.append(me.edit(RECORDS[arg], payload, **FORM))
        elif kind == "delete" and RECORDS[arg] in me.record_ids():
            written.append(me.delete(RECORDS[arg]))
        elif kind == "resolve" and me.conflicts():
            conflict = me.conflicts()[arg % len(me.conflicts())]
            value = payload if not conflict.path.endswith("]") else 3
            if conflict.path == "__deleted__":
                value = bool(arg % 2)
            written.append(me.resolve(conflict, value))
        elif kind == "deliver":
            ops = devices[arg].ops()
            for index in payload:
                if ops:
                    me.apply(ops[index % len(ops)])
        elif kind == "clock":
            walls[who].ms = payload
    return written


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=ACTIONS, data=st.data())
def test_any_order_with_duplicates_gives_the_same_state(actions: list[tuple],
                                                        data: st.DataObject) -> None:
    history = run_history(actions)
    reference = replica_from(history).snapshot()
    duplicates = data.draw(st.lists(st.sampled_from(history), max_size=len(history))) \
        if history else []
    delivery = data.draw(st.permutations([*history, *duplicates]))
    assert replica_from(delivery).snapshot() == reference


# -- (2) a network of devices -------------------------------------------------------------
class Network(RuleBasedStateMachine):
    """Three devices and a server-less mesh: any device may send any of its ops anywhere."""

    @initialize()
    def start(self) -> None:
        self.walls = [Wall(NOW + i * 1000) for i in range(3)]
        self.devices = [Replica(f"d{i}", HybridClock(f"d{i}", now_ms=self.walls[i]))
                        for i in range(3)]
        self.cut: set[frozenset[int]] = set()
        self.written: list[Op] = []

    @rule(who=st.integers(0, 2), record=st.integers(0, 1), writes=field_writes())
    def edit(self, who: int, record: int, writes: dict[str, Any]) -> None:
        self.written.append(self.devices[who].edit(RECORDS[record], writes, **FORM))

    @rule(who=st.integers(0, 2), record=st.integers(0, 1))
    def delete(self, who: int, record: int) -> None:
        me = self.devices[who]
        if RECORDS[record] in me.record_ids():
            self.written.append(me.delete(RECORDS[record]))

    @precondition(lambda self: any(d.conflicts() for d in self.devices))
    @rule(who=st.integers(0, 2), pick=st.integers(0, 10), value=ANSWER_VALUES)
    def resolve(self, who: int, pick: int, value: Any) -> None:
        me = self.devices[who]
        if not me.conflicts():
            return
        conflict = me.conflicts()[pick % len(me.conflicts())]
        if conflict.path.endswith("]"):
            value = pick
        elif conflict.path == "__deleted__":
            value = pick % 2 == 0
        self.written.append(me.resolve(conflict, value))

    @rule(src=st.integers(0, 2), dst=st.integers(0, 2),
          picks=st.lists(st.integers(0, 200), min_size=1, max_size=8))
    def send(self, src: int, dst: int, picks: list[int]) -> None:
        """Send some of src's ops to dst, reordered and duplicated; lost across a cut."""
        if src == dst or frozenset((src, dst)) in self.cut:
            return
        ops = self.devices[src].ops()
        for pick in picks:
            if ops:
                self.devices[dst].apply(ops[pick % len(ops)])

    @rule(a=st.integers(0, 2), b=st.integers(0, 2))
    def partition(self, a: int, b: int) -> None:
        if a != b:
            self.cut ^= {frozenset((a, b))}

    @rule(who=st.integers(0, 2), ms=CLOCK_JUMPS)
    def jump_clock(self, who: int, ms: int) -> None:
        self.walls[who].ms = ms

    @invariant()
    def same_ops_same_state(self) -> None:
        """Replicas that happen to hold the same ops already agree, mid-run."""
        by_ops: dict[frozenset[str], dict[str, Any]] = {}
        for d in self.devices:
            key = frozenset(o.op_id for o in d.ops())
            snap = d.snapshot()
            assert by_ops.setdefault(key, snap) == snap

    def teardown(self) -> None:
        if not hasattr(self, "devices"):
            return
        everything = self.written
        for d in self.devices:
            d.apply_all(reversed(everything))
            d.apply_all(everything)
        snapshots = [d.snapshot() for d in self.devices]
        assert snapshots[0] == snapshots[1] == snapshots[2]
        assert snapshots[0] == replica_from(everything).snapshot()
        # Every field that was ever written still has a value to show.
        for d in self.devices:
            for rid in d.record_ids():
                for path in d.fields(rid):
                    assert d.heads(rid, path)


Network.TestCase.settings = settings(
    max_examples=60, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_devices_converge_after_full_delivery = Network.TestCase
