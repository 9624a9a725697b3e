# ruff: noqa: E501  (markdown form tables are easier to read unwrapped)
"""render_text: labels, hints and messages show the answers their ${name} references name."""

from __future__ import annotations

from pathlib import Path

import pytest

from forms import FormSpec, load_form, recompute, render_text
from forms.text import display_value, has_references
from forms.validation import validate_paths, validate_record

DEFINITIONS = Path(__file__).resolve().parents[2] / "forms" / "definitions"

FORM = """\
| survey |
| | type | name | label::English (en) | label::Kiswahili (sw) | hint::English (en) | constraint | constraint_message::English (en) | required | required_message::English (en) | calculation |
| | integer | people | People | Watu | | | | | | |
| | decimal | area | Area | Eneo | | | | | | |
| | select_one tenure | tenure | Tenure | Umiliki | | | | | | |
| | select_multiple source | water | Water | Maji | | | | | | |
| | calculate | density | | | | | | | | ${people} div ${area} |
| | begin_repeat | members | Member ${m_name} | Mwanachama ${m_name} | | | | | | |
| | text | m_name | Name | Jina | | | | | | |
| | integer | age | Age of ${m_name} | Umri wa ${m_name} | One of ${people} people | . < 120 | ${m_name} cannot be ${age} | | | |
| | end_repeat | | | | | | | | | |
| | integer | adults | Adults | Watu wazima | | . <= ${people} | At most ${people}, the people | true() | How many of the ${people}? | |
| | note | summary | ${people} people on ${area} ha, ${tenure}: ${water} | Watu ${people}, ${tenure}: ${water} | | | | | | |
| choices |
| | list_name | name | label::English (en) | label::Kiswahili (sw) |
| | tenure | own | Owner | Mmiliki |
| | tenure | rent | Tenant | Mpangaji |
| | source | tap | Tap | Bomba |
| | source | well | Well | Kisima |
"""


@pytest.fixture(scope="module")
def form(tmp_path_factory: pytest.TempPathFactory) -> FormSpec:
    path = tmp_path_factory.mktemp("text") / "settlement.md"
    path.write_text(FORM)
    return load_form(path)


ANSWERS = {
    "people": 40,
    "area": 2.0,
    "tenure": "rent",
    "water": ["tap", "well"],
    "members": [{"m_name": "Amina", "age": 34}, {"m_name": "Baraka"}],
}


def label(form: FormSpec, name: str, language: str = "English (en)") -> str:
    return form.find(name).label[language]


def test_a_top_level_reference_shows_the_answer(form: FormSpec) -> None:
    text = label(form, "summary")
    assert render_text(text, form, ANSWERS, ("summary",)) == (
        "40 people on 2 ha, Tenant: Tap, Well")


def test_numbers_read_without_a_trailing_zero(form: FormSpec) -> None:
    answers = recompute(form, {"people": 5, "area": 2.0})
    assert answers["density"] == 2.5
    assert render_text("${density} per ha, ${area} ha", form, answers) == "2.5 per ha, 2 ha"
    assert render_text("${area}", form, {"area": 0.1 + 0.2}) == "0.3"
    assert render_text("${area}", form, {"area": float("nan")}) == ""
    assert render_text("${area}", form, {"area": -3.0}) == "-3"


def test_unanswered_reads_as_nothing(form: FormSpec) -> None:
    assert render_text(label(form, "summary"), form, {}, ("summary",)) == (
        " people on  ha, : ")
    assert render_text("Member ${m_name}", form, {"members": [{}]}, ("members", 0)) == "Member "
    assert render_text("${people}", form, None) == ""


def test_choices_show_their_label_in_the_language_asked_for(form: FormSpec) -> None:
    sw = label(form, "summary", "Kiswahili (sw)")
    assert render_text(sw, form, ANSWERS, ("summary",), language="Kiswahili (sw)") == (
        "Watu 40, Mpangaji: Bomba, Kisima")
    assert render_text(sw, form, ANSWERS, ("summary",), language="sw") == (
        "Watu 40, Mpangaji: Bomba, Kisima")  # an app language code finds it too
    # No language asked: the form's first language stands in.
    assert render_text("${tenure}", form, {"tenure": "own"}) == "Owner"


def test_a_value_that_is_not_a_choice_shows_as_it_is(form: FormSpec) -> None:
    assert render_text("${tenure}; ${water}", form,
                       {"tenure": "squat", "water": ["tap", "river"]}) == "squat; Tap, river"
    assert render_text("${water}", form, {"water": "well tap"}) == "Well, Tap"  # ODK's form


def test_inside_a_repeat_a_sibling_is_the_one_in_the_same_instance(form: FormSpec) -> None:
    text = label(form, "age")
    assert render_text(text, form, ANSWERS, ("members", 0, "age")) == "Age of Amina"
    assert render_text(text, form, ANSWERS, ("members", 1, "age")) == "Age of Baraka"
    members = label(form, "members")
    assert render_text(members, form, ANSWERS, ("members", 1)) == "Member Baraka"


def test_inside_a_repeat_a_top_level_question_is_read_as_is(form: FormSpec) -> None:
    hint = form.find("age").hint["English (en)"]
    assert render_text(hint, form, ANSWERS, ("members", 1, "age")) == "One of 40 people"


def test_from_outside_a_repeat_a_question_in_it_is_the_first_instances(form: FormSpec) -> None:
    assert render_text("First: ${m_name}", form, ANSWERS, ("summary",)) == "First: Amina"
    assert render_text("First: ${m_name}", form, {"members": []}, ("summary",)) == "First: "


def test_a_name_that_is_no_question_reads_as_nothing_never_an_error(form: FormSpec) -> None:
    assert render_text("a${nobody}b", form, ANSWERS) == "ab"
    assert render_text("${last-saved#people}|${members}|${summary}", form, ANSWERS) == "||"
    assert render_text("${ people }", form, ANSWERS) == "40"
    # An unclosed reference is left as typed (the form checker refuses it anyway).
    assert render_text("${people", form, ANSWERS) == "${people"
    # Answers of the wrong shape (a damaged record) still give a text.
    assert render_text("${m_name}", form, {"members": "x"}, ("members", 0, "age")) == ""
    assert render_text("${m_name}", form, {"members": [{"m_name": "A"}]},
                       ("members", 7, "age")) == ""


def test_text_without_references_is_returned_as_it_is(form: FormSpec) -> None:
    assert render_text("Cost in $ {KSh}", form, ANSWERS) == "Cost in $ {KSh}"
    assert render_text("", form, ANSWERS) == ""
    assert render_text(None, form, ANSWERS) == ""
    assert has_references("Age of ${m_name}")
    assert not has_references("Age") and not has_references(None)


def test_display_value_of_each_kind(form: FormSpec) -> None:
    assert display_value(form.find("people"), None, form) == ""
    assert display_value(form.find("people"), 12, form) == "12"
    assert display_value(form.find("area"), 12.0, form) == "12"
    assert display_value(form.find("tenure"), "own", form, "sw") == "Mmiliki"
    assert display_value(form.find("water"), ["well"], form) == "Well"
    assert display_value(form.find("water"), [], form) == ""
    assert display_value(form.find("density"), True, form) == "true"


def test_constraint_and_required_messages_show_the_answers(form: FormSpec) -> None:
    answers = {**ANSWERS, "adults": 50}
    answers["members"] = [{"m_name": "Amina", "age": 34}, {"m_name": "Baraka", "age": 130}]
    problems = {(p.path, p.code): p.message for p in validate_record(form, answers)}
    assert problems[(("adults",), "constraint")] == "At most 40, the people"
    assert problems[(("members", 1, "age"), "constraint")] == "Baraka cannot be 130"
    required = validate_record(form, {"people": 7})
    assert {p.path: p.message for p in required}[("adults",)] == "How many of the 7?"
    # Re-checking while typing gives the same messages.
    [again] = validate_paths(form, answers, [("members", 1, "age")])
    assert again.message == "Baraka cannot be 130"


def test_the_settlement_profiles_hints_show_the_sums() -> None:
    """C12 and B13 hints of the SDI settlement profile name calculations."""
    form = load_form(DEFINITIONS / "sdi_settlement_profile.xlsx")
    c12 = form.find("C12_Total_Population")
    b13 = form.find("B13_Ownership_Unknown")
    shares = {n.name: 0 for n in form.find("section_B").children
              if n.name.startswith("B13_Ownership_") and n.type == "integer"
              and n.name != "B13_Ownership_Unknown"}
    assert len(shares) == 11
    shares.update(B13_Ownership_private_owner=60, B13_Ownership_municipality=25)
    answers = recompute(form, {"section_C": {"C9_Households": 250, "C10_Household_Size": 4.5},
                               "section_B": shares})
    for language, c12_text, b13_text in [
        ("English (en)", "Households × size gives 1125.", "So far the others add up to 85%."),
        ("Swahili (sw)", "Kaya × ukubwa ni 1125.", "Wengine wanafika 85%."),
        ("fr", "Ménages × taille donne 1125.", "Les autres font 85 %."),
    ]:
        assert render_text(pick(c12.hint, language), form, answers, c12.path,
                           language=language) == c12_text
        assert render_text(pick(b13.hint, language), form, answers, b13.path,
                           language=language) == b13_text
    # Before anything is answered the hints read without a number, not "${...}".
    empty = recompute(form, {})
    assert render_text(c12.hint["English (en)"], form, empty, c12.path) == (
        "Households × size gives .")
    assert render_text(b13.hint["English (en)"], form, empty, b13.path) == (
        "So far the others add up to %.")


def pick(texts: dict, language: str) -> str:
    from forms.record_messages import pick_text

    return pick_text(texts, language) or ""
