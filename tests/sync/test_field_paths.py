"""Answers <-> fields: paths, repeat instances, exact round trips, minimal edits."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.fields import (
    FieldPathError,
    Segment,
    field_changes,
    flatten,
    parse_path,
    unflatten,
    visible_fields,
)
from sync.hlc import HybridClock
from sync.ids import new_uuid7
from sync.replica import Replica

HOUSEHOLD = {
    "head_name": "Amina Otieno",
    "structure_no": "KB-045",
    "water": {"source": "communal_tap", "cost_month": 300.5, "problems": ["queue", "cost"]},
    "members": [
        {"__id": "k3f0a1", "name": "Amina", "age": 34, "roles": {"works": True}},
        {"__id": "9bc2d7", "name": "Baraka", "age": 6, "schools": [
            {"__id": "s1", "level": "primary"}]},
    ],
    "phone": None,
    "hazards": [],
}


def test_flatten_names_each_answer_by_its_path() -> None:
    assert flatten(HOUSEHOLD) == {
        "head_name": "Amina Otieno",
        "structure_no": "KB-045",
        "water/source": "communal_tap",
        "water/cost_month": 300.5,
        "water/problems": ["queue", "cost"],
        "members[k3f0a1]": 1,
        "members[k3f0a1]/name": "Amina",
        "members[k3f0a1]/age": 34,
        "members[k3f0a1]/roles/works": True,
        "members[9bc2d7]": 2,
        "members[9bc2d7]/name": "Baraka",
        "members[9bc2d7]/age": 6,
        "members[9bc2d7]/schools[s1]": 1,
        "members[9bc2d7]/schools[s1]/level": "primary",
        "phone": None,
        "hazards": [],
    }


def test_round_trip_is_exact() -> None:
    assert unflatten(flatten(HOUSEHOLD)) == HOUSEHOLD


def test_parse_path() -> None:
    assert parse_path("members[k3f0a1]/roles/works") == (
        Segment("members", "k3f0a1"), Segment("roles"), Segment("works"))
    for bad in ["", "a//b", "/a", "a[]", "a[x/y]", "__x", "a/__id", "a b", 3]:
        with pytest.raises(FieldPathError):
            parse_path(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "answers",
    [
        {"members": [{"name": "no id"}]},
        {"members": [{"__id": "a"}, {"__id": "a"}]},
        {"members": [{"__id": "a/b"}]},
        {"mixed": [{"__id": "a"}, 3]},
        {"__deleted__": True},
        {"bad name": 1},
        {"q": {1, 2}},
        {"q": [[1]]},
    ],
)
def test_flatten_refuses_what_it_cannot_represent(answers: dict[str, Any]) -> None:
    with pytest.raises(FieldPathError):
        flatten(answers)


def test_removed_instances_disappear_and_order_follows_positions() -> None:
    fields = flatten(HOUSEHOLD)
    fields["members[k3f0a1]"] = None
    fields["members[zz]"] = 0.5
    fields["members[zz]/name"] = "New"
    shown = unflatten(fields)
    assert [m["__id"] for m in shown["members"]] == ["zz", "9bc2d7"]
    assert "members[k3f0a1]/age" not in visible_fields(fields)


def test_merged_shapes_prefer_repeat_then_group_then_value() -> None:
    fields = {"members": [], "members[a]": 1, "members[a]/age": 3, "g": "old", "g/x": 1,
              "h": None, "h/y": None}
    assert unflatten(fields) == {"members": [{"__id": "a", "age": 3}], "g": {"x": 1},
                                 "h": {"y": None}}
    assert unflatten({"members": [], "members[a]": None}) == {"members": []}


def test_editing_one_members_age_changes_one_field() -> None:
    current = flatten(HOUSEHOLD)
    edited = {**HOUSEHOLD, "members": [dict(m) for m in HOUSEHOLD["members"]]}
    edited["members"][1]["age"] = 7
    assert field_changes(current, edited) == {"members[9bc2d7]/age": 7}


def test_removing_a_member_clears_its_fields_and_keeps_others_positions() -> None:
    current = flatten(HOUSEHOLD)
    edited = {**HOUSEHOLD, "members": [HOUSEHOLD["members"][1]]}
    changes = field_changes(current, edited)
    assert changes == {"members[k3f0a1]": None, "members[k3f0a1]/name": None,
                       "members[k3f0a1]/age": None, "members[k3f0a1]/roles/works": None}


def test_appending_and_inserting_keep_existing_keys() -> None:
    current = flatten({"m": [{"__id": "a"}, {"__id": "b"}]})
    appended = field_changes(current, {"m": [{"__id": "a"}, {"__id": "b"}, {"__id": "c"}]})
    assert appended == {"m[c]": 3}
    inserted = field_changes(current, {"m": [{"__id": "x"}, {"__id": "a"}, {"__id": "y"},
                                             {"__id": "b"}]})
    assert set(inserted) == {"m[x]", "m[y]"} and inserted["m[x]"] < 1 < inserted["m[y]"] < 2
    moved = field_changes(current, {"m": [{"__id": "b"}, {"__id": "a"}]})
    assert moved == {"m[a]": 3}  # b keeps its key; a moves after it
    after = {**current, **moved}
    assert [i["__id"] for i in unflatten(after)["m"]] == ["b", "a"]


def test_first_member_replaces_the_empty_list() -> None:
    current = flatten({"members": []})
    changes = field_changes(current, {"members": [{"__id": "a", "age": 2}]})
    assert changes == {"members": None, "members[a]": 1, "members[a]/age": 2}


def test_edits_never_touch_fields_hidden_from_the_person() -> None:
    current = flatten(HOUSEHOLD)
    current["members[old]"] = None  # removed earlier, but a concurrent edit won its age
    current["members[old]/age"] = 51
    answers = unflatten(current)
    answers["head_name"] = "Amina O."
    assert field_changes(current, answers) == {"head_name": "Amina O."}


def test_two_devices_adding_members_keep_both_without_conflict() -> None:
    now = 1_767_225_600_000
    rid = new_uuid7(now)
    a = Replica("a", HybridClock("a", now_ms=lambda: now))
    b = Replica("b", HybridClock("b", now_ms=lambda: now))
    b.apply(a.save_answers(rid, {"members": [{"__id": "m1", "age": 40}]},
                           form_id="household", form_version="1"))
    a.save_answers(rid, {"members": [{"__id": "m1", "age": 40}, {"__id": "m2", "age": 9}]})
    b.save_answers(rid, {"members": [{"__id": "m1", "age": 41}, {"__id": "m3", "age": 2}]})
    a.apply_all(b.ops())
    b.apply_all(a.ops())
    assert a.conflicts() == [] and a.snapshot() == b.snapshot()
    assert a.record(rid) == {"members": [{"__id": "m1", "age": 41}, {"__id": "m2", "age": 9},
                                         {"__id": "m3", "age": 2}]}


def test_removing_a_member_while_another_device_edits_it_is_flagged() -> None:
    now = 1_767_225_600_000
    rid = new_uuid7(now)
    a = Replica("a", HybridClock("a", now_ms=lambda: now))
    b = Replica("b", HybridClock("b", now_ms=lambda: now))
    b.apply(a.save_answers(rid, {"members": [{"__id": "m1", "age": 40}]},
                           form_id="household", form_version="1"))
    a.save_answers(rid, {"members": []})
    b.save_answers(rid, {"members": [{"__id": "m1", "age": 41}]})
    a.apply_all(b.ops())
    [conflict] = a.conflicts()
    assert conflict.path == "members[m1]/age"
    assert {x.value for x in conflict.versions} == {None, 41}


# -- property: the round trip is exact for any answers -----------------------------------
NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=False, allow_infinity=False).filter(
                        lambda f: not f.is_integer()),
                    st.text(max_size=8))
VALUES = st.one_of(SCALARS, st.lists(st.one_of(st.text(max_size=5), st.integers()), max_size=3))


def _answers(depth: int) -> st.SearchStrategy[dict[str, Any]]:
    if depth == 0:
        children = VALUES
    else:
        group = _answers(depth - 1).filter(bool)
        repeat = st.lists(
            st.tuples(st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True), _answers(depth - 1)),
            min_size=1, max_size=3, unique_by=lambda t: t[0],
        ).map(lambda items: [{"__id": i, **body} for i, body in items])
        children = st.one_of(VALUES, group, repeat)
    return st.dictionaries(NAMES, children, max_size=4)


@settings(max_examples=300, deadline=None)
@given(_answers(2))
def test_round_trip_is_exact_for_any_answers(answers: dict[str, Any]) -> None:
    fields = flatten(answers)
    assert unflatten(fields) == answers
    assert visible_fields(fields) == fields
    assert field_changes(fields, answers) == {}
