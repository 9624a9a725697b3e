"""The settlement profile indicators read their questions from a declared mapping
(forms/definitions/sdi_settlement_profile.indicators.toml), checked against the form."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from kyc_data import form_specs, read

from forms.question_map import QuestionMapError
from forms.spec import FormSpec, Node
from server.services.indicators.formulas import settlement_profile
from server.services.indicators.profile_questions import (
    SDI_MAPPING,
    profile_questions,
    read_profile_questions,
)

SDI_TEXT = SDI_MAPPING.read_text(encoding="utf-8")


def _renamed(nodes: tuple[Node, ...], old: str, new: str | None) -> tuple[Node, ...]:
    """The nodes with the question `old` renamed to `new` (left out when None)."""
    out = []
    for node in nodes:
        if node.name == old:
            if new is not None:
                out.append(dataclasses.replace(node, name=new, path=(*node.path[:-1], new)))
            continue
        out.append(dataclasses.replace(node, children=_renamed(node.children, old, new)))
    return tuple(out)


def variant(old: str, new: str | None) -> FormSpec:
    """A federation's variant of the SDI settlement profile, one question renamed."""
    form = form_specs()["sdi_settlement_profile"]
    return dataclasses.replace(form, children=_renamed(form.children, old, new))


def mapping_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "variant.indicators.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_mapped_question_is_in_the_sdi_form_with_a_fitting_type() -> None:
    questions = profile_questions()
    questions.check(form_specs()["sdi_settlement_profile"])
    assert len(list(questions.inputs())) == 92


def test_a_variant_without_a_mapped_question_is_named() -> None:
    with pytest.raises(QuestionMapError) as error:
        profile_questions().check(variant("C12_Total_Population", None))
    assert str(error.value) == ("population: the form sdi_settlement_profile has no "
                                "question section_C/C12_Total_Population")


@pytest.mark.parametrize(("written", "instead", "message"), [
    ('households = "section_C/C9_Households"', 'households = "section_C/C13_Renting"',
     r"^households: section_C/C13_Renting is a select_one question, which does not answer "
     r"with a number$"),
    ('point = "section_B/B1_GPS"', 'point = "section_B/B5_City"',
     r"^place.point: section_B/B5_City is a text question, which does not answer with a "
     r"point$"),
    ('"section_C/C9_Households"', '"section_C"', r"^households: section_C is a group"),
], ids=["wrong type", "not a point", "a group"])
def test_a_mapped_question_that_cannot_answer_is_named(tmp_path: Path, written: str,
                                                       instead: str, message: str) -> None:
    assert written in SDI_TEXT
    text = SDI_TEXT.replace(written, instead)
    with pytest.raises(QuestionMapError, match=message):
        read_profile_questions(mapping_file(tmp_path, text)).check(
            form_specs()["sdi_settlement_profile"])


def test_a_variant_is_a_change_to_the_mapping(tmp_path: Path) -> None:
    # The variant calls the total population C12_Population: its mapping says so, and
    # the indicators are those of the SDI form with the same answers.
    form = variant("C12_Total_Population", "C12_Population")
    text = SDI_TEXT.replace("section_C/C12_Total_Population", "section_C/C12_Population")
    questions = read_profile_questions(mapping_file(tmp_path, text))
    questions.check(form)
    answers = read("sdi_settlement_profile", "mashimoni_nairobi")
    renamed = {**answers, "section_C": {
        ("C12_Population" if k == "C12_Total_Population" else k): v
        for k, v in answers["section_C"].items()}}
    assert settlement_profile(renamed, questions) == settlement_profile(answers)
    assert settlement_profile(renamed)["population"] != settlement_profile(answers)["population"]


def test_a_mapping_without_an_input_or_with_an_unknown_one_is_refused(tmp_path: Path) -> None:
    lacking = SDI_TEXT.replace('garbage_cost = "section_H/H4_Garbage_Cost"\n', "")
    with pytest.raises(QuestionMapError, match=r"^variant.indicators.toml: \[number\] "
                       "lacks garbage_cost$"):
        read_profile_questions(mapping_file(tmp_path, lacking))
    extra = SDI_TEXT.replace("[text]\n", '[text]\nmayor = "section_B/B5_City"\n')
    with pytest.raises(QuestionMapError, match=r"\[text\] has mayor, which the indicators "
                       "do not read"):
        read_profile_questions(mapping_file(tmp_path, extra))


def test_a_mapping_for_another_form_is_refused() -> None:
    with pytest.raises(QuestionMapError, match="for the form sdi_settlement_profile, "
                       "not sdi_city_profile"):
        profile_questions().check(form_specs()["sdi_city_profile"])
