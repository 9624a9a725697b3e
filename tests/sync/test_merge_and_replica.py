"""Per-field merge: heads, interim value, conflicts, resolution and tombstones."""

from __future__ import annotations

import pytest

from sync.admission import DAY_MS
from sync.codes import FORM_VERSION_UNKNOWN, HLC_TOO_FAR_AHEAD, OP_ID_REUSED, RECORD_FORM_MISMATCH
from sync.hlc import HybridClock
from sync.ids import new_uuid7
from sync.merge import Version, conflict_of, merge_field
from sync.ops import Op
from sync.replica import APPLIED, DUPLICATE, REJECTED, Replica

NOW = 1_767_225_600_000
FORM = {"form_id": "household", "form_version": "1"}


def v(op_id: str, hlc: str, value: object, device: str = "d") -> Version:
    return Version(op_id, hlc, device, value)


# -- merge_field ------------------------------------------------------------------------
def test_first_write_becomes_the_only_head() -> None:
    out = merge_field([], v("a", "1", "x"), [], superseded=False)
    assert [h.op_id for h in out.heads] == ["a"] and out.winner.value == "x"
    assert out.changed and out.conflict is None


def test_a_write_that_saw_the_head_replaces_it() -> None:
    out = merge_field([v("a", "1", "x")], v("b", "2", "y"), ["a"], superseded=False)
    assert [h.op_id for h in out.heads] == ["b"] and out.conflict is None


def test_concurrent_different_values_conflict_and_last_writer_wins_meanwhile() -> None:
    out = merge_field([v("a", "5", "tenant")], v("b", "3", "owner"), [], superseded=False,
                      record_id="r", path="tenure")
    assert out.winner.value == "tenant"  # greater hlc
    assert out.conflict is not None
    assert out.conflict.key == ("r", "tenure", ("a", "b"))
    assert [x.value for x in out.conflict.versions] == ["tenant", "owner"]


def test_equal_hlc_ties_break_on_op_id() -> None:
    out = merge_field([v("b", "5", 1)], v("a", "5", 2), [], superseded=False)
    assert out.winner.op_id == "b"


def test_concurrent_equal_values_are_not_a_conflict() -> None:
    out = merge_field([v("a", "1", 2)], v("b", "2", 2.0), [], superseded=False)
    assert len(out.heads) == 2 and out.conflict is None


def test_late_ancestor_and_duplicate_change_nothing() -> None:
    heads = [v("b", "2", "y")]
    late = merge_field(heads, v("a", "1", "x"), [], superseded=True)
    assert not late.changed and [h.op_id for h in late.heads] == ["b"]
    again = merge_field(heads, v("b", "2", "y"), [], superseded=False)
    assert not again.changed


def test_conflict_of_needs_two_distinct_values() -> None:
    assert conflict_of("r", "p", [v("a", "1", 1)]) is None
    assert conflict_of("r", "p", [v("a", "1", [1, 2]), v("b", "1", [2, 1])]) is not None


# -- Replica ----------------------------------------------------------------------------
class Wall:
    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def device(name: str, ms: int = NOW) -> Replica:
    return Replica(name, HybridClock(name, now_ms=Wall(ms)))


def sync_all(*replicas: Replica) -> None:
    for src in replicas:
        for dst in replicas:
            if src is not dst:
                dst.apply_all(src.ops())


def test_two_enumerators_correct_the_same_answer_offline() -> None:
    rid = new_uuid7(NOW)
    amina, baraka, leader = device("amina"), device("baraka", NOW + 60_000), device("leader")
    first = amina.edit(rid, {"tenure": "tenant", "head_name": "Juma"}, **FORM)
    baraka.apply(first)
    amina.edit(rid, {"tenure": "owner"})
    baraka.edit(rid, {"tenure": "rent_free"})
    sync_all(amina, baraka, leader)

    for r in (amina, baraka, leader):
        assert r.value(rid, "tenure") == "rent_free"  # baraka's clock is later
        assert r.value(rid, "head_name") == "Juma"  # untouched field: no conflict
        [conflict] = r.conflicts()
        assert conflict.path == "tenure"
        assert {x.device_id: x.value for x in conflict.versions} == {
            "amina": "owner", "baraka": "rent_free"}

    resolution = leader.resolve(leader.conflicts()[0], "owner", meta={"note": "checked on visit"})
    sync_all(amina, baraka, leader)
    for r in (amina, baraka, leader):
        assert r.value(rid, "tenure") == "owner" and r.conflicts() == []
    assert resolution.kind == "resolve" and len(resolution.parents["tenure"]) == 2


def test_an_edit_that_saw_both_values_ends_the_conflict() -> None:
    rid = new_uuid7(NOW)
    a, b = device("a"), device("b")
    b.apply(a.edit(rid, {"q": 1}, **FORM))
    a.edit(rid, {"q": 2})
    b.edit(rid, {"q": 3})
    sync_all(a, b)
    assert len(a.conflicts()) == 1
    a.edit(rid, {"q": 4})
    sync_all(a, b)
    assert a.conflicts() == b.conflicts() == [] and b.value(rid, "q") == 4


def test_a_resolve_that_missed_a_newer_value_leaves_the_conflict_open() -> None:
    rid = new_uuid7(NOW)
    a, b, c, leader = device("a"), device("b"), device("c"), device("leader")
    base = a.edit(rid, {"q": 0}, **FORM)
    for r in (b, c, leader):
        r.apply(base)
    leader.apply_all([a.edit(rid, {"q": 1}), b.edit(rid, {"q": 2})])
    leader.resolve(leader.conflicts()[0], 2)
    c.edit(rid, {"q": 3})  # made concurrently; the leader had not seen it
    sync_all(a, b, c, leader)
    [still] = leader.conflicts()
    assert {x.value for x in still.versions} == {2, 3}


def test_edit_concurrent_with_delete_is_a_conflict_on_the_tombstone() -> None:
    rid = new_uuid7(NOW)
    a, b = device("a"), device("b", NOW + 1000)
    b.apply(a.edit(rid, {"q": 1}, **FORM))
    a.delete(rid)
    b.edit(rid, {"q": 2})
    sync_all(a, b)
    [conflict] = a.conflicts()
    assert conflict.path == "__deleted__"
    assert {x.value for x in conflict.versions} == {True, False}
    assert a.record(rid) == {"q": 2}  # b's edit is later: interim shows the record
    a.resolve(conflict, True)
    sync_all(a, b)
    assert a.record(rid) is None and b.record(rid) is None and b.is_deleted(rid)


def test_delete_seen_by_everyone_just_deletes() -> None:
    rid = new_uuid7(NOW)
    a, b = device("a"), device("b")
    b.apply(a.edit(rid, {"q": 1}, **FORM))
    b.delete(rid)
    sync_all(a, b)
    assert a.record(rid) is None and a.conflicts() == []


def test_apply_is_idempotent_and_order_free() -> None:
    rid = new_uuid7(NOW)
    a = device("a")
    first = a.edit(rid, {"q": 1}, **FORM)
    second = a.edit(rid, {"q": 2})
    late = device("late")
    assert late.apply(second).status == APPLIED
    assert late.apply(first).status == APPLIED
    assert late.apply(first).status == DUPLICATE
    assert late.value(rid, "q") == 2 and late.head_ids(rid, "q") == (second.op_id,)
    assert late.snapshot() == a.snapshot()


def test_same_op_id_with_other_content_is_rejected() -> None:
    rid = new_uuid7(NOW)
    a = device("a")
    op = a.edit(rid, {"q": 1}, **FORM)
    forged = Op.from_wire({**op.to_wire(answers=False), "fields": {"q": 9, "__deleted__": False}})
    result = a.apply(forged)
    assert result.status == REJECTED and result.rejection.code == OP_ID_REUSED
    assert a.value(rid, "q") == 1


def test_a_record_cannot_change_form() -> None:
    rid = new_uuid7(NOW)
    a = device("a")
    a.edit(rid, {"q": 1}, **FORM)
    with pytest.raises(ValueError, match="belongs to form"):
        a.edit(rid, {"q": 2}, form_id="settlement_profile", form_version="1")
    other = device("b").edit(rid, {"q": 3}, form_id="settlement_profile", form_version="1")
    assert a.apply(other).rejection.code == RECORD_FORM_MISMATCH


def test_push_acks_replays_and_rejects_with_codes() -> None:
    server = Replica("server")
    tablet = device("tab")
    rid = new_uuid7(NOW)
    good = tablet.edit(rid, {"q": 1}, **FORM)
    newer_form = tablet.edit(rid, {"q": 2}, form_version="2")
    skewed = Replica("tab2", HybridClock("tab2", now_ms=Wall(NOW + 2 * DAY_MS)))
    future = skewed.edit(new_uuid7(NOW), {"q": 3}, **FORM)
    known = {("household", "1")}

    out = server.push([good, newer_form, future], now_ms=NOW, form_known=known)
    assert out.acked == (good.op_id,)
    assert {(r.op_id, r.code, r.retryable) for r in out.rejected} == {
        (newer_form.op_id, FORM_VERSION_UNKNOWN, True), (future.op_id, HLC_TOO_FAR_AHEAD, True)}
    replay = server.push([good], now_ms=NOW, form_known=known)
    assert replay.acked == (good.op_id,) and server.value(rid, "q") == 1
    # After the server learns form version 2, the kept op goes through.
    later = server.push([newer_form], now_ms=NOW, form_known=known | {("household", "2")})
    assert later.acked == (newer_form.op_id,) and server.value(rid, "q") == 2


def test_receiving_adopts_the_senders_time() -> None:
    rid = new_uuid7(NOW)
    server = device("server")
    stuck = Replica("tab", HybridClock("tab", now_ms=Wall(0)))  # clock at 1970
    stuck.apply(server.edit(rid, {"q": 1}, **FORM))
    mine = stuck.edit(rid, {"q": 2})
    assert mine.hlc[:13] == f"{NOW:013d}"
    server.apply(mine)
    assert server.value(rid, "q") == 2 and server.conflicts() == []


def test_save_answers_writes_only_what_changed() -> None:
    rid = new_uuid7(NOW)
    a = device("a")
    answers = {"head_name": "Juma", "members": [{"__id": "m1", "age": 30},
                                                {"__id": "m2", "age": 4}]}
    a.save_answers(rid, answers, **FORM)
    assert a.record(rid) == answers
    answers["members"][1]["age"] = 5
    op = a.save_answers(rid, answers)
    assert set(op.fields) == {"members[m2]/age", "__deleted__"}
    assert a.save_answers(rid, answers) is None
    assert a.record(rid) == answers
