"""forms.answers: reading and copy-on-write editing of nested answers by path."""

from __future__ import annotations

import copy

import pytest

from forms.answers import Editor, expand, get, is_empty, set_value, static_path

RECORD = {
    "hh_head": "Amina",
    "household": {
        "members": [{"age": 34, "name": "Amina"}, {"age": 3}],
        "tenure": "tenant",
    },
    "water": {"source": "tap"},
}


def test_get_follows_names_and_positions() -> None:
    assert get(RECORD, ("household", "members", 1, "age")) == 3
    assert get(RECORD, ("household", "members", 2, "age")) is None
    assert get(RECORD, ("household", "members", -1, "age")) is None  # no negative positions
    assert get(RECORD, ("hh_head", "x"), "absent") == "absent"
    assert static_path(("household", "members", 1, "age")) == ("household", "members", "age")


def test_editing_copies_only_the_path_it_writes() -> None:
    before = copy.deepcopy(RECORD)
    editor = Editor(RECORD)
    editor.set(("household", "members", 0, "age"), 35)
    editor.set(("household", "members", 0, "name"), "Amina W.")
    result = editor.root
    assert before == RECORD  # the caller's answers never change
    assert result["household"]["members"][0] == {"age": 35, "name": "Amina W."}
    # Untouched parts are shared, not copied: one change to a big record stays cheap.
    assert result["water"] is RECORD["water"]
    assert result["household"]["members"][1] is RECORD["household"]["members"][1]


def test_set_creates_groups_and_appends_one_instance() -> None:
    result = set_value({}, ("section_b", "area"), 120.5)
    assert result == {"section_b": {"area": 120.5}}
    grown = set_value(RECORD, ("household", "members", 2, "age"), 70)
    assert grown["household"]["members"][2] == {"age": 70}
    with pytest.raises(IndexError):
        set_value(RECORD, ("household", "members", 4, "age"), 70)


def test_none_deletes_and_a_repeat_instance_can_be_removed() -> None:
    result = set_value(RECORD, ("water", "source"), None)
    assert result["water"] == {}
    editor = Editor(RECORD)
    assert editor.delete(("household", "members", 0))
    assert editor.root["household"]["members"] == [{"age": 3}]
    assert not editor.delete(("nothing", "here"))
    assert len(RECORD["household"]["members"]) == 2


def test_expand_lists_every_instance_of_a_node() -> None:
    repeats = {("household", "members")}
    assert expand(RECORD, ("household", "members", "age"), repeats.__contains__) == [
        ("household", "members", 0, "age"),
        ("household", "members", 1, "age"),
    ]
    # Within one instance, and the repeat itself as its list's path.
    assert expand(RECORD, ("household", "members", "age"), repeats.__contains__,
                  ("household", "members", 1)) == [("household", "members", 1, "age")]
    assert expand(RECORD, ("household", "members"), repeats.__contains__) == [
        ("household", "members")]
    # A group nobody has opened still has a place for its calculations.
    assert expand({}, ("section_c", "total"), repeats.__contains__) == [("section_c", "total")]
    assert expand({}, ("household", "members", "age"), repeats.__contains__) == []


@pytest.mark.parametrize(("value", "empty"), [
    (None, True), ("", True), ([], True), (float("nan"), True),
    (0, False), ("0", False), (["a"], False), (False, False),
])
def test_what_counts_as_unanswered(value: object, empty: bool) -> None:
    assert is_empty(value) is empty
