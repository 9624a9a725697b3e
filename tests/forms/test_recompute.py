"""recompute and FormEngine: calculations, relevance, repeats, one change at a time."""

from __future__ import annotations

import copy
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from forms import FormSpec, load_form
from forms.recompute import FormEngine, recompute

FORMS = Path(__file__).parent / "record_forms"
NOW = datetime(2026, 3, 14, 9, 30)


@pytest.fixture(scope="module")
def household() -> FormSpec:
    return load_form(FORMS / "household.md")


def md_form(tmp_path: Path, text: str) -> FormSpec:
    path = tmp_path / "form.md"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_form(path)


def entered() -> dict:
    """What an enumerator typed; no calculation applied yet."""
    return {
        "hh_head": "Amina Wanjiru",
        "tenure": "tenant",
        "rent": 1500,
        "members": [{"m_name": "Amina Wanjiru", "age": 34}, {"m_name": "Baraka", "age": 3}],
        "water": {"water_source": "vendor", "water_cost": 20.0},
    }


def test_household_size_and_children_under_five(household: FormSpec) -> None:
    result = recompute(household, entered())
    assert result["members"] == [
        {"m_name": "Amina Wanjiru", "age": 34, "is_u5": 0},
        {"m_name": "Baraka", "age": 3, "is_u5": 1},
    ]
    assert result["hh_size"] == 2
    assert result["children_u5"] == 1


def test_recompute_leaves_the_callers_answers_alone(household: FormSpec) -> None:
    answers = entered()
    before = copy.deepcopy(answers)
    recompute(household, answers)
    assert answers == before


def test_answers_of_hidden_questions_are_removed(household: FormSpec) -> None:
    result = recompute(household, entered() | {"tenure": "owner"})
    assert "rent" not in result
    # Inherited: with no members the water group is hidden, with all it holds.
    empty = recompute(household, entered() | {"members": []})
    assert empty["hh_size"] == 0
    assert empty["water"] == {}


def test_a_calculation_chain_written_out_of_order(tmp_path: Path) -> None:
    form = md_form(tmp_path, """
        | survey |
        |        | type      | name          | label      | calculation                |
        |        | calculate | per_tap       |            | ${population} div ${taps}  |
        |        | calculate | population    |            | ${households} * ${hh_size} |
        |        | integer   | households    | Households |                            |
        |        | decimal   | hh_size       | Size       |                            |
        |        | integer   | taps          | Taps       |                            |
    """)
    result = recompute(form, {"households": 120, "hh_size": 4.5, "taps": 6})
    assert result["population"] == 540
    assert result["per_tap"] == 90
    # Unanswered inputs give an empty calculation, not a NaN stored in the record.
    assert "per_tap" not in recompute(form, {"households": 120, "hh_size": 4.5})


def test_set_answer_recomputes_the_one_member_that_changed(household: FormSpec) -> None:
    engine = FormEngine.for_form(household)
    start = engine.recompute_all(entered())
    frozen = copy.deepcopy(start)
    after, changed = engine.set_answer(start, ("members", 0, "age"), 2)
    assert after["members"][0] == {"m_name": "Amina Wanjiru", "age": 2, "is_u5": 1}
    assert after["children_u5"] == 2
    assert changed == {("members", 0, "age"), ("members", 0, "is_u5"), ("children_u5",)}
    assert start == frozen  # the answers the app still shows are untouched


def test_set_answer_reports_relevance_changes(household: FormSpec) -> None:
    engine = FormEngine.for_form(household)
    start = engine.recompute_all(entered())
    after, changed = engine.set_answer(start, ("tenure",), "owner")
    assert "rent" not in after
    assert changed == {("tenure",), ("rent",)}
    back, changed = engine.set_answer(after, ("tenure",), "tenant")
    assert changed == {("tenure",), ("rent",)}  # rent shows again (empty)
    assert "rent" not in back


def test_removing_every_member_hides_the_water_group(household: FormSpec) -> None:
    engine = FormEngine.for_form(household)
    start = engine.recompute_all(entered())
    after, changed = engine.set_answer(start, ("members",), [])
    assert after["hh_size"] == 0 and after["children_u5"] == 0
    assert after["water"] == {}
    assert {("members",), ("hh_size",), ("children_u5",), ("water",),
            ("water", "water_source"), ("water", "water_cost")} <= changed
    assert after == engine.recompute_all(start | {"members": []})


def test_a_path_one_past_the_last_member_adds_a_member(household: FormSpec) -> None:
    engine = FormEngine.for_form(household)
    start = engine.recompute_all(entered())
    after, changed = engine.set_answer(start, ("members", 2, "age"), 1)
    assert after["members"][2] == {"age": 1, "is_u5": 1}
    assert after["hh_size"] == 3
    assert after["children_u5"] == 2
    assert {("members", 2, "age"), ("hh_size",), ("children_u5",)} <= changed
    with pytest.raises(IndexError):
        engine.set_answer(start, ("members", 5, "age"), 1)


def test_unknown_paths_are_refused(household: FormSpec) -> None:
    with pytest.raises(KeyError):
        FormEngine.for_form(household).set_answer({}, ("nickname",), "x")


def test_is_relevant_and_visible_choices(household: FormSpec) -> None:
    engine = FormEngine.for_form(household)
    answers = recompute(household, entered() | {"country": "ke"})
    assert engine.is_relevant(answers, ("water", "water_cost"))
    nobody = answers | {"members": [], "hh_size": 0}
    assert not engine.is_relevant(nobody, ("water", "water_source"))
    assert [c.name for c in engine.visible_choices(answers, ("city",))] == ["nairobi", "mombasa"]
    uganda = answers | {"country": "ug"}
    assert [c.name for c in engine.visible_choices(uganda, ("city",))] == ["kampala"]


def test_relative_paths_in_a_repeat_stay_in_their_instance(tmp_path: Path) -> None:
    # What pyxform writes for "or other": a relative path to the select beside it.
    form = md_form(tmp_path, """
        | survey |
        |        | type             | name      | label   | relevant                       |
        |        | begin_repeat     | structure | Structure |                              |
        |        | select_one use   | use       | Use     |                                |
        |        | text             | use_other | Other use | selected(../use, 'other')    |
        |        | end_repeat       |           |         |                                |
        | choices |
        |         | list_name | name  | label |
        |         | use       | home  | Home  |
        |         | use       | shop  | Shop  |
        |         | use       | other | Other |
    """)
    engine = FormEngine.for_form(form)
    start = engine.recompute_all({"structure": [{"use": "home"}, {"use": "other",
                                                                  "use_other": "church"}]})
    assert start["structure"][1]["use_other"] == "church"
    after, changed = engine.set_answer(start, ("structure", 0, "use"), "other")
    assert changed == {("structure", 0, "use"), ("structure", 0, "use_other")}
    after, changed = engine.set_answer(after, ("structure", 1, "use"), "shop")
    assert after["structure"][1] == {"use": "shop"}
    assert changed == {("structure", 1, "use"), ("structure", 1, "use_other")}


def test_clock_calculations_wait_for_recompute_all(tmp_path: Path) -> None:
    form = md_form(tmp_path, """
        | survey |
        |        | type      | name      | label | calculation                      |
        |        | calculate | visit_day |       | today()                          |
        |        | integer   | rooms     | Rooms |                                  |
        |        | calculate | per_room  |       | ${rooms} * 2                     |
    """)
    engine = FormEngine.for_form(form)
    start = engine.recompute_all({}, now=NOW)
    assert start["visit_day"] == "2026-03-14"
    later = datetime(2026, 3, 20, 8, 0)
    after, changed = engine.set_answer(start, ("rooms",), 3, now=later)
    assert after["per_room"] == 6
    assert after["visit_day"] == "2026-03-14"  # only what reads rooms was recomputed
    assert changed == {("rooms",), ("per_room",)}
    assert engine.recompute_all(after, now=later)["visit_day"] == "2026-03-20"


def test_a_triggered_calculation_runs_when_its_trigger_changes(tmp_path: Path) -> None:
    form = md_form(tmp_path, """
        | survey |
        |        | type      | name        | label       | calculation | trigger     |
        |        | integer   | structures  | Structures  |             |             |
        |        | dateTime  | counted_at  | Counted at  | now()       | ${structures} |
    """)
    engine = FormEngine.for_form(form)
    start = engine.recompute_all({}, now=NOW)
    assert "counted_at" not in start  # nothing counted yet
    after, changed = engine.set_answer(start, ("structures",), 40, now=NOW)
    assert after["counted_at"].startswith("2026-03-14T09:30")
    assert changed == {("structures",), ("counted_at",)}
    assert engine.recompute_all(after, now=datetime(2027, 1, 1)) == after


def test_the_engine_is_built_once_per_form_version(household: FormSpec) -> None:
    assert FormEngine.for_form(household) is FormEngine.for_form(household)
    other = FormSpec.from_dict(household.to_dict() | {"version": "2"})
    assert FormEngine.for_form(other) is not FormEngine.for_form(household)


def test_affected_checks_name_questions_to_revalidate(tmp_path: Path) -> None:
    form = md_form(tmp_path, """
        | survey |
        |        | type    | name    | label   | constraint          |
        |        | integer | seats   | Seats   |                     |
        |        | integer | working | Working | . <= ${seats}       |
    """)
    engine = FormEngine.for_form(form)
    answers, changed = engine.set_answer({"working": 3}, ("seats",), 2)
    assert engine.affected_checks(answers, changed) == {("working",)}


def test_a_group_hidden_by_its_own_question_settles(tmp_path: Path) -> None:
    # Not a calculation cycle (ODK opens such forms), but hiding the group clears the
    # answer that hid it; the engine repeats until nothing moves.
    form = md_form(tmp_path, """
        | survey |
        |        | type        | name    | label   | relevant              |
        |        | begin_group | toilets | Toilets | ${working} != 'none'  |
        |        | text        | working | Working |                       |
        |        | end_group   |         |         |                       |
        |        | text        | notes   | Notes   |                       |
    """)
    engine = FormEngine.for_form(form)
    assert not engine.graph.acyclic
    settled = engine.recompute_all({"toilets": {"working": "none"}, "notes": "x"})
    assert settled == {"toilets": {}, "notes": "x"}
    after, changed = engine.set_answer(settled, ("toilets", "working"), "none")
    assert after == settled
    after, changed = engine.set_answer(settled, ("toilets", "working"), "two")
    assert after == {"toilets": {"working": "two"}, "notes": "x"}
    assert changed == {("toilets", "working")}
