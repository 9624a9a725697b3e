"""validate_record: what an enumerator is told is wrong with a household record."""

from __future__ import annotations

from pathlib import Path

import pytest

from forms import FormSpec, load_form
from forms.validation import Problem, validate_paths, validate_record

FORMS = Path(__file__).parent / "record_forms"


@pytest.fixture(scope="module")
def household() -> FormSpec:
    return load_form(FORMS / "household.md")


def complete() -> dict:
    """A household record with nothing wrong (calculations already applied)."""
    return {
        "hh_head": "Amina Wanjiru",
        "years_here": 12,
        "tenure": "tenant",
        "rent": 1500,
        "members": [
            {"m_name": "Amina Wanjiru", "age": 34, "is_u5": 0},
            {"m_name": "Baraka", "age": 3, "is_u5": 1},
        ],
        "hh_size": 2,
        "children_u5": 1,
        "water": {"water_source": "vendor", "water_cost": 20.0},
        "country": "ke",
        "city": "nairobi",
    }


def codes(problems: list[Problem]) -> list[tuple[tuple, str]]:
    return [(p.path, p.code) for p in problems]


def test_a_complete_record_has_no_problem(household: FormSpec) -> None:
    assert validate_record(household, complete()) == []


def test_required_uses_the_forms_message_in_the_chosen_language(household: FormSpec) -> None:
    record = complete()
    del record["hh_head"]
    [en] = validate_record(household, record, language="English (en)")
    [fr] = validate_record(household, record, language="fr")
    assert en == Problem(("hh_head",), "required", "Enter the name of the head of household")
    assert fr == Problem(("hh_head",), "required", "Indiquez le nom du chef de ménage")


def test_an_empty_string_is_not_an_answer(household: FormSpec) -> None:
    record = complete() | {"hh_head": ""}
    assert codes(validate_record(household, record)) == [(("hh_head",), "required")]


def test_without_a_form_message_the_built_in_one_speaks_the_language(
    household: FormSpec,
) -> None:
    record = complete()
    del record["members"][1]["m_name"]
    [sw] = validate_record(household, record, language="Kiswahili (sw)")
    [pt] = validate_record(household, record, language="pt")
    [en] = validate_record(household, record)
    assert sw.path == ("members", 1, "m_name")
    assert sw.message == "Swali hili linahitaji jibu."
    assert pt.message == "Esta pergunta precisa de uma resposta."
    assert en.message == "This question needs an answer."


def test_constraint_reads_the_answer_as_dot_with_the_forms_message(household: FormSpec) -> None:
    record = complete() | {"years_here": 140}
    [en] = validate_record(household, record)
    [fr] = validate_record(household, record, language="Français (fr)")
    assert en == Problem(("years_here",), "constraint", "Years must be from 0 to 100")
    assert fr.message == "Les années doivent aller de 0 à 100"
    assert validate_record(household, complete() | {"years_here": 100}) == []


def test_constraint_is_not_checked_on_an_unanswered_question(household: FormSpec) -> None:
    record = complete()
    del record["years_here"]
    assert validate_record(household, record) == []


def test_relevance_makes_rent_required_only_for_tenants(household: FormSpec) -> None:
    tenant = complete()
    del tenant["rent"]
    assert codes(validate_record(household, tenant)) == [(("rent",), "required")]
    owner = complete() | {"tenure": "owner"}
    del owner["rent"]
    assert validate_record(household, owner) == []


def test_an_answer_to_a_hidden_question_is_a_problem(household: FormSpec) -> None:
    record = complete() | {"tenure": "owner"}  # rent 1500 is still there
    [problem] = validate_record(household, record, language="fr")
    assert problem.path == ("rent",)
    assert problem.code == "not_relevant"
    assert problem.message == "Cette question ne s'applique pas ici mais a une réponse."


def test_relevance_is_inherited_from_the_group(household: FormSpec) -> None:
    # No members: the water group is hidden, so its answers should not be there, and
    # water_cost's own condition (vendor) does not bring it back.
    record = complete() | {"members": [], "hh_size": 0, "children_u5": 0}
    assert codes(validate_record(household, record)) == [
        (("water", "water_source"), "not_relevant"),
        (("water", "water_cost"), "not_relevant"),
    ]
    # ... and nothing inside a hidden group is required.
    hidden = complete() | {"members": [], "hh_size": 0, "children_u5": 0, "water": {}}
    assert validate_record(household, hidden) == []


def test_each_repeat_instance_is_checked_with_its_position(household: FormSpec) -> None:
    record = complete()
    record["members"].append({"m_name": "Grandfather", "age": 130})
    record["members"].append({"age": 8})
    assert codes(validate_record(household, record)) == [
        (("members", 2, "age"), "constraint"),
        (("members", 3, "m_name"), "required"),
    ]


def test_choice_filter_limits_the_city_to_the_country(household: FormSpec) -> None:
    record = complete() | {"country": "ug", "city": "nairobi"}
    [problem] = validate_record(household, record, language="fr")
    assert problem.path == ("city",)
    assert problem.code == "unknown_choice"
    assert problem.message == "« nairobi » ne fait pas partie des choix."
    assert validate_record(household, record | {"city": "kampala"}) == []


def test_every_problem_is_reported_in_form_order(household: FormSpec) -> None:
    record = {
        "years_here": -1,
        "tenure": "squatter",
        "members": [{"m_name": "X", "age": "ten"}],
        "hh_size": 1,  # validation reads calculated values as stored: no recompute here
        "water": {"water_source": "vendor"},
        "country": "ke",
        "city": "kampala",
    }
    assert codes(validate_record(household, record)) == [
        (("hh_head",), "required"),
        (("years_here",), "constraint"),
        (("tenure",), "unknown_choice"),
        (("members", 0, "age"), "type"),
        (("water", "water_cost"), "required"),
        (("city",), "unknown_choice"),
    ]


def test_a_required_expression_is_evaluated(tmp_path: Path) -> None:
    form_file = tmp_path / "toilets.md"
    form_file.write_text(
        "| survey |\n"
        "| | type | name | label | required |\n"
        "| | integer | seats | Toilet seats | |\n"
        "| | integer | working | Working seats | ${seats} > 0 |\n"
    )
    form = load_form(form_file)
    assert codes(validate_record(form, {"seats": 4})) == [(("working",), "required")]
    assert validate_record(form, {"seats": 0}) == []


def test_repeat_count_mismatch_is_a_problem(tmp_path: Path) -> None:
    form_file = tmp_path / "rooms.md"
    form_file.write_text(
        "| survey |\n"
        "| | type | name | label | repeat_count |\n"
        "| | integer | n_rooms | Rooms | |\n"
        "| | begin_repeat | room | Room | ${n_rooms} |\n"
        "| | text | use | Use | |\n"
        "| | end_repeat | | | |\n"
    )
    form = load_form(form_file)
    record = {"n_rooms": 3, "room": [{"use": "sleeping"}, {"use": "shop"}]}
    [problem] = validate_record(form, record, language="sw")
    assert problem.path == ("room",)
    assert problem.code == "repeat_count"
    assert problem.message == "Panapaswa kuwa na maingizo 3 hapa, si 2."
    assert validate_record(form, record | {"n_rooms": 2}) == []
    # No count given yet: nothing to compare with.
    assert validate_record(form, {"room": [{"use": "shop"}]}) == []


def test_validate_paths_gives_what_validate_record_gives_for_those_paths(
    household: FormSpec,
) -> None:
    record = complete() | {"years_here": 140, "tenure": "owner", "country": "ug"}
    record["members"].append({"age": 200})
    everything = validate_record(household, record, language="fr")
    paths = [("city",), ("members", 2, "age"), ("rent",), ("members", 2, "m_name"),
             ("hh_head",), ("nonsense",)]
    some = validate_paths(household, record, paths, language="fr")
    assert some == [p for p in everything if p.path in paths]
    assert [p.path for p in some] == [("rent",), ("members", 2, "m_name"),
                                      ("members", 2, "age"), ("city",)]
