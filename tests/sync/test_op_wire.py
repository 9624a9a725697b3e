"""The op format at the wire: what is accepted, what is refused and how it says why."""

from __future__ import annotations

import copy
import dataclasses
import gzip
import json
from typing import Any

import pytest

from sync.admission import DAY_MS, check_admission, check_reuse, decode_ops
from sync.canonical import canonical_json, same_value
from sync.codes import (
    FORM_VERSION_UNKNOWN,
    HLC_TOO_FAR_AHEAD,
    OP_ID_REUSED,
    OP_INVALID,
    RECORD_FORM_MISMATCH,
    Rejection,
)
from sync.fields import flatten
from sync.hlc import HybridClock
from sync.ids import new_uuid7
from sync.messages import v1_op_payload
from sync.ops import DELETE, EDIT, RESOLVE, Op, OpError, make_op

NOW = 1_767_225_600_000
HLC = f"{NOW:013d}-000000-tab-01"


def wire(**overrides: Any) -> dict[str, Any]:
    op = {
        "op_id": new_uuid7(NOW),
        "device_id": "tab-01",
        "record_id": new_uuid7(NOW - 5),
        "form_id": "household",
        "form_version": "2026011501",
        "hlc": HLC,
        "kind": "edit",
        "fields": {"head_name": "Amina Otieno", "members[a1b2c3]/age": 34, "__deleted__": False},
        "parents": {"head_name": [], "members[a1b2c3]/age": [], "__deleted__": []},
        "meta": {"app": "hesabu 0.1"},
    }
    op.update(overrides)
    return op


def test_a_valid_op_round_trips_exactly() -> None:
    data = wire()
    op = Op.from_wire(data)
    assert op.to_wire_v1() == data
    assert Op.from_wire(json.loads(json.dumps(op.to_wire()))) == op


def test_protocol_2_leaves_out_empty_parents_and_meta() -> None:
    """A new record's op carries no parents at all; both forms are the same op."""
    data = wire(meta={})
    op = Op.from_wire(data)
    compact = op.to_wire()
    assert compact["parents"] == {} and "meta" not in compact
    assert Op.from_wire(compact) == op
    assert op.canonical() == Op.from_wire(compact).canonical()
    edited = wire(parents={"head_name": [new_uuid7(NOW - 9)]})
    assert Op.from_wire(edited).to_wire()["parents"] == edited["parents"]
    assert Op.from_wire(edited).parents["__deleted__"] == ()
    no_parents_key = dict(data)
    del no_parents_key["parents"]
    assert Op.from_wire(no_parents_key) == op


def test_a_replay_in_the_old_form_is_the_same_op() -> None:
    """A protocol 1 device re-sending an op the server stored in protocol 2 form is a
    replay, not a reused op id."""
    op = Op.from_wire(wire())
    assert check_reuse(Op.from_wire(op.to_wire_v1()), Op.from_wire(op.to_wire())) is None


def test_meta_is_optional() -> None:
    data = wire()
    del data["meta"]
    assert Op.from_wire(data).meta == {}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"op_id": "not-a-uuid"}, "op_id"),
        ({"op_id": "0195ac3e-7d2a-4f3e-9c1d-2b3c4d5e6f70"}, "op_id"),  # a v4, not v7
        ({"record_id": 12}, "record_id"),
        ({"device_id": ""}, "device_id"),
        ({"form_version": None}, "form_version"),
        ({"hlc": "2026-01-01T00:00:00Z"}, "hlc"),
        ({"kind": "upsert"}, "kind"),
        ({"fields": {}, "parents": {}}, "fields"),
        ({"fields": []}, "fields"),
        ({"parents": {"head_name": [], "nope": [], "__deleted__": []}}, "parents.nope"),
        ({"parents": {"head_name": "x", "members[a1b2c3]/age": [], "__deleted__": []}},
         "parents.head_name"),
        ({"parents": {"head_name": ["nope"], "members[a1b2c3]/age": [], "__deleted__": []}},
         "parents.head_name"),
        ({"fields": {"a//b": 1, "__deleted__": False}, "parents": {"a//b": [], "__deleted__": []}},
         "fields.a//b"),
        ({"fields": {"g": {"x": 1}, "__deleted__": False}, "parents": {"g": [], "__deleted__": []}},
         "fields.g"),
        ({"fields": {"g": float("nan"), "__deleted__": False},
          "parents": {"g": [], "__deleted__": []}}, "fields.g"),
        ({"fields": {"m[a1]": "first", "__deleted__": False},
          "parents": {"m[a1]": [], "__deleted__": []}}, "fields.m[a1]"),
        ({"fields": {"head_name": "x"}, "parents": {"head_name": []}}, "fields.__deleted__"),
        ({"extra": 1}, "extra"),
        ({"meta": "note"}, "meta"),
    ],
)
def test_invalid_ops_name_the_offending_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(OpError) as caught:
        Op.from_wire(wire(**change))
    assert caught.value.field == field
    assert caught.value.code == OP_INVALID


def test_missing_required_key_is_named() -> None:
    data = wire()
    del data["hlc"]
    with pytest.raises(OpError, match="hlc: is required"):
        Op.from_wire(data)


def test_an_op_cannot_name_itself_as_parent() -> None:
    data = wire()
    data["parents"]["head_name"] = [data["op_id"]]
    with pytest.raises(OpError, match="own parent"):
        Op.from_wire(data)


def test_kind_rules_for_delete_and_resolve() -> None:
    with pytest.raises(OpError, match="delete writes exactly"):
        Op.from_wire(wire(kind="delete"))
    Op.from_wire(wire(kind="delete", fields={"__deleted__": True}, parents={"__deleted__": []}))
    with pytest.raises(OpError, match="resolve names the heads"):
        Op.from_wire(wire(kind="resolve", fields={"q": 1}, parents={"q": []}))
    Op.from_wire(wire(kind="resolve", fields={"q": 1}, parents={"q": [new_uuid7()]}))


def test_make_op_takes_parents_from_heads_and_keeps_the_record_alive() -> None:
    clock = HybridClock("tab-01", now_ms=lambda: NOW)
    seen = new_uuid7(NOW)
    op = make_op(EDIT, clock=clock, device_id="tab-01", record_id=new_uuid7(NOW),
                 form_id="household", form_version="1", fields={"q": 2},
                 heads={"q": [seen]})
    assert op.fields == {"q": 2, "__deleted__": False}
    assert op.parents == {"q": (seen,), "__deleted__": ()}
    assert op.hlc == HLC.replace("tab-01", "tab-01")
    gone = make_op(DELETE, clock=clock, device_id="tab-01", record_id=op.record_id,
                   form_id="household", form_version="1", fields={"ignored": 1},
                   heads={"__deleted__": [op.op_id]})
    assert gone.fields == {"__deleted__": True} and gone.hlc > op.hlc
    assert RESOLVE == "resolve"


def test_canonical_json_is_compact_sorted_and_keeps_text() -> None:
    assert canonical_json({"b": 1, "a": ["Nairobi", "Kisumu"], "c": "Ñairobi"}) == (
        '{"a":["Nairobi","Kisumu"],"b":1,"c":"Ñairobi"}'
    )
    assert same_value(2, 2.0) and not same_value(2, "2") and not same_value(True, 1)
    with pytest.raises(ValueError):
        canonical_json(float("inf"))


def test_wire_size_is_the_canonical_byte_length_and_gzip_shrinks_batches() -> None:
    op = Op.from_wire(wire())
    assert op.wire_size() == len(canonical_json(op.to_wire()).encode())
    assert op.wire_size() < len(canonical_json(wire()).encode())  # protocol 2 is smaller
    batch = [Op.from_wire(wire(op_id=new_uuid7(NOW))).to_wire() for _ in range(200)]
    raw = canonical_json({"device_id": "tab-01", "ops": batch}).encode()
    assert len(gzip.compress(raw)) < len(raw) / 3


# -- admission --------------------------------------------------------------------------
KNOWN = {("household", "2026011501")}


def test_admission_accepts_a_normal_op() -> None:
    assert check_admission(Op.from_wire(wire()), now_ms=NOW, form_known=KNOWN) is None


def test_clock_far_ahead_is_a_retryable_rejection() -> None:
    ahead = f"{NOW + DAY_MS + 60_000:013d}-000000-tab-01"
    op = Op.from_wire(wire(hlc=ahead))
    rejection = check_admission(op, now_ms=NOW, form_known=KNOWN)
    assert rejection == Rejection(op.op_id, HLC_TOO_FAR_AHEAD, rejection.message, True)
    assert "date and time" in rejection.message
    # Within the window, or with a wider window configured, it is accepted.
    assert check_admission(op, now_ms=NOW + 120_000, form_known=KNOWN) is None
    assert check_admission(op, now_ms=NOW, form_known=KNOWN, max_drift_ms=2 * DAY_MS) is None


def test_unknown_form_version_is_retryable_and_record_form_change_is_not() -> None:
    op = Op.from_wire(wire(form_version="2027"))
    unknown = check_admission(op, now_ms=NOW, form_known=lambda f, v: v == "2026011501")
    assert unknown is not None and unknown.code == FORM_VERSION_UNKNOWN and unknown.retryable
    moved = check_admission(Op.from_wire(wire()), now_ms=NOW, form_known=KNOWN,
                            record_form_id="settlement_profile")
    assert moved is not None and moved.code == RECORD_FORM_MISMATCH and not moved.retryable


def test_replay_is_fine_but_reusing_an_op_id_for_other_content_is_not() -> None:
    op = Op.from_wire(wire())
    assert check_reuse(op, None) is None
    assert check_reuse(op, Op.from_wire(copy.deepcopy(wire(op_id=op.op_id,
                                                            record_id=op.record_id)))) is None
    other = Op.from_wire(wire(op_id=op.op_id, record_id=op.record_id, hlc=HLC[:-1] + "2"))
    rejection = check_reuse(other, op)
    assert rejection is not None and rejection.code == OP_ID_REUSED


def test_decode_ops_keeps_the_good_and_explains_the_bad() -> None:
    good, bad = wire(), wire(kind="bogus")
    ops, rejected = decode_ops([good, bad, "junk"])
    assert [o.op_id for o in ops] == [good["op_id"]]
    assert [(r.op_id, r.code, r.retryable) for r in rejected] == [
        (bad["op_id"], OP_INVALID, False), ("#2", OP_INVALID, False)]
    assert "kind" in rejected[0].message


def test_rejection_wire_round_trip() -> None:
    r = Rejection.of(new_uuid7(), FORM_VERSION_UNKNOWN, "later")
    assert Rejection.from_wire(r.to_wire()) == r
    assert Rejection.from_wire({"op_id": "a", "code": FORM_VERSION_UNKNOWN}).retryable


def test_a_new_records_answers_travel_nested_and_mean_the_same_op() -> None:
    """Protocol 2: an edit with no parents whose fields are exactly some answers
    flattened travels as those answers (each group name and instance id once)."""
    answers = {"head_name": "Amina", "household": {"members": [
        {"__id": "a1b2c3", "age": 34}, {"__id": "d4e5f6", "age": 6}]}, "rooms": None}
    clock = HybridClock("tab-01", now_ms=lambda: NOW)
    op = make_op(EDIT, clock=clock, device_id="tab-01", record_id=new_uuid7(NOW),
                 form_id="household", form_version="1", fields=flatten(answers), heads={})
    wire_op = op.to_wire()
    assert "fields" not in wire_op and "parents" not in wire_op
    assert wire_op["answers"] == answers
    again = Op.from_wire(json.loads(json.dumps(wire_op)))
    assert again == op and again.canonical() == op.canonical()
    assert again.fields["household/members[d4e5f6]"] == 2
    assert again.fields["__deleted__"] is False
    assert Op.from_wire(op.to_wire(answers=False)) == op
    assert len(canonical_json(wire_op)) < len(canonical_json(op.to_wire(answers=False)))
    # Protocol 1 clients get the flat form with every parents entry.
    assert v1_op_payload(wire_op) == op.to_wire_v1()


def test_an_op_keeps_the_nested_answers_it_came_in_and_they_must_match() -> None:
    answers = {"head_name": "Amina", "members": [{"__id": "a1b2c3", "age": 34}]}
    clock = HybridClock("tab-01", now_ms=lambda: NOW)
    made = make_op(EDIT, clock=clock, device_id="tab-01", record_id=new_uuid7(NOW),
                   form_id="household", form_version="1", fields=flatten(answers), heads={})
    assert made.answers is None and made.nested_answers() == answers
    received = Op.from_wire(json.loads(json.dumps(made.to_wire())))
    assert received.answers == answers and received == made  # not part of what it is
    assert Op.from_wire(made.to_wire(answers=False)).answers is None
    # An op built with answers that are not what its fields say is refused, so a copy
    # with other fields cannot carry the old answers along.
    with pytest.raises(OpError) as exc:
        dataclasses.replace(received, fields={**received.fields, "head_name": "Zawadi"})
    assert exc.value.field == "answers"
    with pytest.raises(OpError):
        dataclasses.replace(made, kind=DELETE, fields={"__deleted__": True},
                            parents={"__deleted__": ()}, answers=answers)
    assert dataclasses.replace(received, hlc=clock.tick()).answers == answers


def test_ops_that_answers_cannot_express_exactly_stay_flat() -> None:
    clock = HybridClock("tab-01", now_ms=lambda: NOW)

    def op_with(fields: dict[str, Any], heads: dict[str, list[str]] | None = None) -> Op:
        return make_op(EDIT, clock=clock, device_id="tab-01", record_id=new_uuid7(NOW),
                       form_id="household", form_version="1", fields=fields, heads=heads or {})

    removed = op_with({"members[a1]": None, "members[a1]/age": 3})  # a removed instance
    seen = op_with({"rent": 5}, {"rent": [new_uuid7(NOW - 1)]})  # an edit with parents
    spaced = op_with({"members[a1]": 1, "members[b2]": 3})  # positions not 1, 2, 3...
    for op in (removed, seen, spaced):
        assert "answers" not in op.to_wire() and "fields" in op.to_wire()
        assert Op.from_wire(op.to_wire()) == op


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"answers": {"a": 1}, "fields": {"a": 1, "__deleted__": False}}, "answers"),
        ({"answers": {"a": 1}, "parents": {"a": [new_uuid7(NOW)]}}, "parents"),
        ({"answers": {}}, "answers"),
        ({"answers": ["a"]}, "answers"),
        ({"answers": {"g": {"__x": 1}}}, "answers"),
        ({"answers": {"a": 1}, "kind": "delete"}, "fields"),
        ({"answers": {"name\n": 1}}, "answers"),
        ({"answers": {"m": [{"__id": "a1\n", "age": 3}]}}, "answers"),
        ({"answers": {"g" * 300: {"h" * 300: 1}}}, "fields." + "g" * 40 + "..."),
        ({"answers": {"a": float("nan")}}, "answers"),
    ],
)
def test_bad_nested_answers_are_refused(change: dict[str, Any], field: str) -> None:
    data = wire()
    del data["fields"], data["parents"]
    data.update(change)
    with pytest.raises(OpError) as exc:
        Op.from_wire(data)
    assert exc.value.field == field


@pytest.mark.parametrize("key", ["device_id", "form_id", "form_version"])
def test_a_text_seen_valid_does_not_let_a_bad_one_through(key: str) -> None:
    """Short texts found valid are remembered (every op of a push repeats them): the
    same text with a NUL, an unpaired surrogate, or past the length limit, and a value
    that is not text, are still refused, however often the valid one was seen, in
    either wire form."""
    answers = {"head_name": "Amina", "members": [{"__id": "a1b2c3", "age": 34}]}
    for _ in range(3):
        Op.from_wire(wire())
        Op.from_wire({k: v for k, v in wire(answers=answers).items()
                      if k not in ("fields", "parents")})
    good = wire()[key]
    for bad in (good + "\x00", good + "\ud800", good + "x" * 100, [good], ""):
        for data in (wire(**{key: bad}),
                     {k: v for k, v in wire(**{key: bad}, answers=answers).items()
                      if k not in ("fields", "parents")}):
            with pytest.raises(OpError) as caught:
                Op.from_wire(data)
            assert caught.value.field == key
