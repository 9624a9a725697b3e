"""Property: applying one change incrementally gives exactly what a full recompute gives."""

# ruff: noqa: E501  (markdown form tables are easier to read unwrapped)
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms import FormSpec, load_form
from forms.answers import set_value
from forms.recompute import FormEngine

FORM = """
| survey |
|        | type            | name     | label    | calculation                         | relevant                                   |
|        | integer         | a        | A        |                                     |                                            |
|        | integer         | b        | B        |                                     |                                            |
|        | calculate       | s        |          | ${a} + ${b}                         |                                            |
|        | select_one mode | mode     | Mode     |                                     |                                            |
|        | text            | note_x   | Note     |                                     | ${mode} = 'x'                              |
|        | begin_group     | g        | G        |                                     | ${s} > 5                                   |
|        | integer         | g1       | G1       |                                     |                                            |
|        | calculate       | g2       |          | ${g1} * 2                           |                                            |
|        | text            | g3       | G3       |                                     | ${g2} > 4                                  |
|        | end_group       |          |          |                                     |                                            |
|        | begin_repeat    | people   | People   |                                     | ${mode} != 'y'                             |
|        | integer         | age      | Age      |                                     |                                            |
|        | calculate       | adult    |          | if(${age} >= 18, 'yes', 'no')       |                                            |
|        | text            | job      | Job      |                                     | ${adult} = 'yes' and ${mode} != 'z'        |
|        | text            | other    | Other    |                                     | selected(../job, 'other')                  |
|        | calculate       | share    |          | ${age} div ${s}                     |                                            |
|        | end_repeat      |          |          |                                     |                                            |
|        | calculate       | n        |          | count(${people})                    |                                            |
|        | calculate       | ages     |          | sum(/data/people/age)               |                                            |
|        | calculate       | adults   |          | count(${people}[adult = 'yes'])     |                                            |
|        | text            | summary  | Summary  |                                     | ${adults} > 1 or ${ages} > 40              |
| choices |
|         | list_name | name | label |
|         | mode      | x    | X     |
|         | mode      | y    | Y     |
|         | mode      | z    | Z     |
"""

ints = st.one_of(st.none(), st.integers(0, 30))
texts = st.sampled_from([None, "other", "farmer", "trader other"])
modes = st.sampled_from([None, "x", "y", "z"])
position = st.integers(0, 3)


@pytest.fixture(scope="module")
def form(tmp_path_factory: pytest.TempPathFactory) -> FormSpec:
    path: Path = tmp_path_factory.mktemp("prop") / "form.md"
    path.write_text(textwrap.dedent(FORM), encoding="utf-8")
    return load_form(path)


def change() -> st.SearchStrategy[tuple[tuple, Any]]:
    return st.one_of(
        st.tuples(st.just(("a",)), ints),
        st.tuples(st.just(("b",)), ints),
        st.tuples(st.just(("mode",)), modes),
        st.tuples(st.just(("note_x",)), texts),
        st.tuples(st.just(("g", "g1")), ints),
        st.tuples(st.just(("g", "g3")), texts),
        st.tuples(st.just(("summary",)), texts),
        st.tuples(position.map(lambda i: ("people", i, "age")), ints),
        st.tuples(position.map(lambda i: ("people", i, "job")), texts),
        st.tuples(position.map(lambda i: ("people", i, "other")), texts),
        st.tuples(st.just(("people",)),
                  st.lists(st.fixed_dictionaries({"age": ints}), max_size=3)),
    )


def leaves(value: Any, prefix: tuple = ()) -> dict[tuple, Any]:
    if isinstance(value, dict):
        out: dict[tuple, Any] = {}
        for k, v in value.items():
            out |= leaves(v, (*prefix, k))
        return out
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        out = {prefix: len(value)}
        for i, v in enumerate(value):
            out |= leaves(v, (*prefix, i))
        return out
    return {prefix: value}


def applicable(answers: dict, path: tuple) -> bool:
    """A change the app could make: into an existing member or one past the last."""
    if len(path) == 3:
        members = answers.get("people")
        count = len(members) if isinstance(members, list) else 0
        return path[1] <= count
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.lists(change(), min_size=1, max_size=12))
def test_incremental_recompute_equals_full_recompute(form: FormSpec, changes: list) -> None:
    engine = FormEngine.for_form(form)
    answers = engine.recompute_all({})
    for path, value in changes:
        if not applicable(answers, path):
            continue
        incremental, changed = engine.set_answer(answers, path, value)
        full = engine.recompute_all(set_value(answers, path, value))
        assert incremental == full, (path, value)
        # Every value that moved is reported (itself, or a group/repeat holding it).
        before, after = leaves(answers), leaves(incremental)
        for where in before.keys() | after.keys():
            if before.get(where) != after.get(where):
                assert any(where[: len(c)] == c for c in changed), (where, changed)
        answers = incremental


NESTED = """
| survey |
|        | type         | name      | label   | calculation                           | relevant                     |
|        | integer      | threshold | T       |                                       |                              |
|        | begin_repeat | structure | S       |                                       |                              |
|        | integer      | rooms     | Rooms   |                                       |                              |
|        | begin_repeat | household | H       |                                       | ${rooms} > 0                 |
|        | integer      | size      | Size    |                                       |                              |
|        | calculate    | crowded   |         | if(${size} div ../../rooms > ${threshold}, 1, 0) |               |
|        | text         | why       | Why     |                                       | ${crowded} = 1               |
|        | end_repeat   |           |         |                                       |                              |
|        | calculate    | people    |         | sum(${size})                          |                              |
|        | calculate    | crowded_n |         | sum(${crowded})                       |                              |
|        | end_repeat   |           |         |                                       |                              |
|        | calculate    | total     |         | sum(/data/structure/household/size)   |                              |
|        | calculate    | worst     |         | max(${crowded_n})                     |                              |
"""


@pytest.fixture(scope="module")
def nested(tmp_path_factory: pytest.TempPathFactory) -> FormSpec:
    path: Path = tmp_path_factory.mktemp("nested") / "form.md"
    path.write_text(textwrap.dedent(NESTED), encoding="utf-8")
    return load_form(path)


def nested_change() -> st.SearchStrategy[tuple[tuple, Any]]:
    i, j = st.integers(0, 2), st.integers(0, 2)
    return st.one_of(
        st.tuples(st.just(("threshold",)), ints),
        st.tuples(i.map(lambda a: ("structure", a, "rooms")), ints),
        st.tuples(st.tuples(i, j).map(lambda p: ("structure", p[0], "household", p[1], "size")),
                  ints),
        st.tuples(st.tuples(i, j).map(lambda p: ("structure", p[0], "household", p[1], "why")),
                  texts),
        st.tuples(i.map(lambda a: ("structure", a, "household")),
                  st.lists(st.fixed_dictionaries({"size": ints}), max_size=2)),
    )


def nested_applicable(answers: dict, path: tuple) -> bool:
    structures = answers.get("structure") or []
    if path[1:] and isinstance(path[1], int) and path[1] > len(structures):
        return False
    if len(path) == 5:
        if path[1] == len(structures):
            return path[3] == 0
        households = structures[path[1]].get("household") or []
        return path[3] <= len(households)
    return True


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.lists(nested_change(), min_size=1, max_size=12))
def test_nested_repeats_recompute_per_instance(nested: FormSpec, changes: list) -> None:
    engine = FormEngine.for_form(nested)
    answers = engine.recompute_all({})
    for path, value in changes:
        if not nested_applicable(answers, path):
            continue
        incremental, _ = engine.set_answer(answers, path, value)
        full = engine.recompute_all(set_value(answers, path, value))
        assert incremental == full, (path, value)
        answers = incremental
