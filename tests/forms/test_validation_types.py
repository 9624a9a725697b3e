"""Answers of the wrong shape for their question's type are reported, good ones are not."""

from __future__ import annotations

from typing import Any

import pytest

from forms.spec import Choice, FormSpec, Node
from forms.validation import validate_record

COLOURS = (Choice("red"), Choice("blue"), Choice("green"))


def one(type_: str, **extra: Any) -> FormSpec:
    node = Node("question", type_, "q", ("q",), list_name=extra.pop("list_name", None), **extra)
    return FormSpec(id=f"types-{type_}", version="1", title="types", children=(node,),
                    choices={"colours": COLOURS})


def code_of(form: FormSpec, value: Any) -> str | None:
    problems = validate_record(form, {"q": value})
    assert len(problems) <= 1
    return problems[0].code if problems else None


GOOD = [
    ("integer", 7), ("integer", -3), ("integer", 0),
    ("decimal", 2.5), ("decimal", 3),
    ("date", "2024-02-29"), ("time", "14:05"), ("time", "14:05:09.000+03:00"),
    ("dateTime", "2024-02-29T14:05:09+03:00"), ("dateTime", "2024-02-29T14:05:09.123Z"),
    ("geopoint", "-1.2921 36.8219"), ("geopoint", "-1.2921 36.8219 1650 4.5"),
    ("geotrace", "-1.29 36.82 0 0;-1.30 36.83 0 0"),
    ("geoshape", "-1.29 36.82 0 0;-1.30 36.83 0 0;-1.31 36.82 0 0;-1.29 36.82 0 0"),
    ("acknowledge", "OK"), ("text", "Kibera"), ("barcode", "KB-045"),
    ("image", "1712345678901.jpg"), ("calculate", 4), ("hidden", "x"),
]


@pytest.mark.parametrize(("type_", "value"), GOOD)
def test_answers_of_the_right_shape_pass(type_: str, value: Any) -> None:
    assert code_of(one(type_), value) is None


BAD = [
    ("integer", True, "bool is not a number of people"),
    ("integer", 3.5, "not whole"),
    ("integer", "7", "a string, not a number"),
    ("decimal", "2.5", "a string"),
    ("decimal", float("inf"), "not finite"),
    ("date", "2023-02-29", "no such day"),
    ("date", "29/02/2024", "not ISO"),
    ("time", "25:00", "no such hour"),
    ("dateTime", "yesterday", "not a date"),
    ("geopoint", "91 36.8", "latitude beyond the pole"),
    ("geopoint", "-1.29 181", "longitude beyond 180"),
    ("geopoint", "-1.29", "one number"),
    ("geopoint", "-1.29 36.82;-1.30 36.83", "two points"),
    ("geotrace", "-1.29 36.82 0 0", "a line needs two points"),
    ("geoshape", "-1.29 36.82;-1.30 36.83;-1.31 36.82;-1.32 36.81", "not closed"),
    ("geoshape", "-1.29 36.82;-1.30 36.83;-1.29 36.82", "fewer than 4 points"),
    ("acknowledge", "yes", "only OK"),
    ("text", 12, "a number is not text"),
    ("image", 5, "not a file name"),
]


@pytest.mark.parametrize(("type_", "value", "why"), BAD)
def test_answers_of_the_wrong_shape_are_type_problems(type_: str, value: Any, why: str) -> None:
    assert code_of(one(type_), value) == "type", why


def test_type_messages_say_what_to_enter_in_the_language() -> None:
    [en] = validate_record(one("integer"), {"q": 2.5})
    [fr] = validate_record(one("integer"), {"q": 2.5}, language="fr")
    assert en.message == "Enter a whole number."
    assert fr.message == "Saisissez un nombre entier."


@pytest.mark.parametrize(
    ("value", "expected"),
    [(5, None), (1, None), (10, None), (0, "type"), (11, "type"), (5.5, "type")],
)
def test_range_checks_bounds_and_step(value: Any, expected: str | None) -> None:
    form = one("range")  # ODK's defaults: start 1, end 10, step 1
    assert code_of(form, value) == expected


def test_range_with_its_own_parameters_and_message() -> None:
    form = one("range", parameters={"start": "0", "end": "100", "step": "5"})
    assert code_of(form, 35) is None
    [problem] = validate_record(form, {"q": 37})
    assert problem.message == "Enter a number from 0 to 100 in steps of 5."


def test_select_one_must_be_a_known_choice() -> None:
    form = one("select_one", list_name="colours")
    assert code_of(form, "red") is None
    assert code_of(form, "purple") == "unknown_choice"
    assert code_of(form, ["red"]) == "type"
    assert code_of(form, "other") == "unknown_choice"


def test_or_other_allows_other() -> None:
    form = one("select_one", list_name="colours", or_other=True)
    assert code_of(form, "other") is None


def test_select_multiple_needs_known_names_once_each() -> None:
    form = one("select_multiple", list_name="colours")
    assert code_of(form, ["red", "green"]) is None
    assert code_of(form, "red green") == "type"
    assert code_of(form, ["red", "pink"]) == "unknown_choice"
    [dup] = validate_record(form, {"q": ["red", "red"]})
    assert dup.message == "'red' is chosen more than once."


def test_rank_lists_each_choice_once() -> None:
    form = one("rank", list_name="colours")
    assert code_of(form, ["blue", "red", "green"]) is None
    assert code_of(form, ["blue", "blue", "green"]) == "type"


@pytest.mark.parametrize("language", [None, "fr", "pt", "sw"])
def test_a_text_answer_has_a_length_limit_said_in_the_language(language: str | None) -> None:
    from forms.answer_types import MAX_TEXT_LENGTH

    assert code_of(one("text"), "x" * MAX_TEXT_LENGTH) is None
    problems = validate_record(one("text"), {"q": "x" * 200_000}, language=language)
    assert [p.code for p in problems] == ["too_long"]
    assert "10,000" in problems[0].message and "200,000" in problems[0].message
