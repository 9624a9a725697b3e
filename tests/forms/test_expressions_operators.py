"""Operators and the conversions between strings, numbers, booleans, dates and node-sets."""

from __future__ import annotations

import math
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forms.expressions import evaluate


def is_nan(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)


# -- arithmetic ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("2 + 3", 5),
        ("2 - 3", -1),
        ("2 * 3", 6),
        ("7 div 2", 3.5),
        ("6 div 3", 2),
        ("7 mod 3", 1),
        ("-7 mod 3", -1),  # sign of the dividend, like Java's %
        ("7 mod -3", 1),
        ("7.5 mod 2", 1.5),
        ("-(2 + 3)", -5),
        ("0.1 + 0.2", 0.30000000000000004),
        ("'3' + '4'", 7),
        ("' 3 ' * 2", 6),
        ("true() + true()", 2),
    ],
)
def test_arithmetic(source: str, expected: float) -> None:
    result = evaluate(source)
    assert result == expected
    assert type(result) is type(expected)


def test_division_by_zero_follows_ieee() -> None:
    assert evaluate("1 div 0") == math.inf
    assert evaluate("-1 div 0") == -math.inf
    assert is_nan(evaluate("0 div 0"))
    assert is_nan(evaluate("5 mod 0"))


@pytest.mark.parametrize("text", ["abc", "1e3", "+5", "1,5", "0x10", "Infinity"])
def test_non_numbers_are_nan_in_arithmetic(text: str) -> None:
    assert is_nan(evaluate("${x} + 1", {"x": text}))


def test_arithmetic_with_an_empty_answer_is_nan() -> None:
    assert is_nan(evaluate("${x} + 1", {"x": ""}))
    assert is_nan(evaluate("${x} * 2", {}))
    assert is_nan(evaluate("-${x}", {"x": None}))


def test_typed_and_text_numbers_mix() -> None:
    assert evaluate("${a} + ${b}", {"a": 2, "b": "3.5"}) == 5.5
    assert evaluate("${a} * ${b}", {"a": 2.5, "b": 4}) == 10


def test_integer_valued_results_come_back_as_int() -> None:
    assert evaluate("1.5 * 2") == 3
    assert type(evaluate("1.5 * 2")) is int
    assert type(evaluate("1.5 * 3")) is float


@settings(max_examples=300, deadline=None)
@given(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9),
    st.sampled_from(["+", "-", "*", "div"]),
)
def test_arithmetic_agrees_with_python(a: float, b: float, op: str) -> None:
    result = evaluate(f"${{a}} {op} ${{b}}", {"a": a, "b": b})
    if op == "div" and b == 0:
        assert math.isinf(result) or math.isnan(result)
        return
    python = {"+": a + b, "-": a - b, "*": a * b, "div": a / b if b else 0}[op]
    assert result == pytest.approx(python, rel=1e-12, abs=1e-300)


@settings(max_examples=200, deadline=None)
@given(st.integers(-10**6, 10**6), st.integers(-10**6, 10**6))
def test_comparisons_agree_with_python(a: int, b: int) -> None:
    answers = {"a": str(a), "b": b}
    assert evaluate("${a} < ${b}", answers) is (a < b)
    assert evaluate("${a} >= ${b}", answers) is (a >= b)
    assert evaluate("${a} = ${b}", answers) is (a == b)
    assert evaluate("${a} != ${b}", answers) is (a != b)


# -- comparisons and the empty answer -----------------------------------------------------
def test_empty_answer_semantics() -> None:
    for answers in ({}, {"x": ""}, {"x": None}):
        assert evaluate("${x} > 5", answers) is False
        assert evaluate("${x} < 5", answers) is False
        assert evaluate("${x} = 5", answers) is False
        assert evaluate("${x} != 5", answers) is True  # NaN != 5
        assert evaluate("${x} = ''", answers) is True
        assert evaluate("${x} != ''", answers) is False
        assert evaluate("string-length(${x}) = 0", answers) is True


def test_zero_is_an_answer() -> None:
    assert evaluate("${x} = ''", {"x": 0}) is False
    assert evaluate("${x} = 0", {"x": 0}) is True
    assert evaluate("${x} < 1", {"x": 0}) is True


def test_equality_picks_boolean_then_number_then_string() -> None:
    assert evaluate("'abc' = true()") is True  # non-empty string is true
    assert evaluate("'' = false()") is True
    assert evaluate("'1.0' = 1") is True  # number comparison
    assert evaluate("'1.0' = '1'") is False  # string comparison
    assert evaluate("${x} = '5'", {"x": 5}) is True
    assert evaluate("2 > '10'") is False  # relational: always numbers
    assert evaluate("'abc' < 'abd'") is False  # NaN < NaN


def test_node_set_comparisons_are_existential() -> None:
    answers = {"members": [{"age": 3}, {"age": 40}, {"age": 12}]}
    assert evaluate("${age} > 30", answers) is True
    assert evaluate("${age} < 2", answers) is False
    assert evaluate("${age} = 12", answers) is True
    assert evaluate("${age} != 12", answers) is True  # 3 != 12
    assert evaluate("${age} = ${age}", answers) is True
    other = {"members": [{"age": 3}], "kids": [{"k": 5}, {"k": 3}]}
    assert evaluate("${age} = ${k}", other) is True
    assert evaluate("${age} > ${k}", other) is False


def test_empty_node_set_compares_false() -> None:
    answers = {"members": []}
    assert evaluate("count(${members}) = 0", answers) is True
    assert evaluate("${members} = ''", answers) is False
    assert evaluate("${members} != ''", answers) is False


def test_logical_operators_short_circuit() -> None:
    # The right side would raise (count of a number) if it were evaluated.
    assert evaluate("1 = 1 or count(3) > 0") is True
    assert evaluate("1 = 2 and count(3) > 0") is False


def test_boolean_of_values() -> None:
    assert evaluate("boolean(${x})", {"x": ""}) is False  # JavaRosa: through the value
    assert evaluate("boolean(${x})", {"x": "no"}) is True
    assert evaluate("boolean(${x})", {"x": 0}) is False
    assert evaluate("boolean('0')") is True
    assert evaluate("boolean(0 div 0)") is False
    assert evaluate("boolean(${m})", {"m": [{"a": 1}, {"a": 2}]}) is True
    assert evaluate("boolean(${m})", {"m": []}) is False


# -- union ----------------------------------------------------------------------------------
def test_union_joins_node_sets_without_duplicates() -> None:
    answers = {"a": 1, "b": 2}
    assert evaluate("count(${a} | ${b})", answers) == 2
    assert evaluate("count(${a} | ${a})", answers) == 1
    assert evaluate("sum(/data/a | /data/b)", answers) == 3


# -- dates ------------------------------------------------------------------------------------
def test_dates_compare_and_subtract_as_days() -> None:
    answers = {"dob": "2000-03-01", "visit": "2000-03-11"}
    assert evaluate("${visit} - ${dob}", answers) == 10
    assert evaluate("${visit} > ${dob}", answers) is True
    assert evaluate("${dob} < date('2000-03-02')", answers) is True
    assert evaluate("${dob} = date('2000-03-01')", answers) is True
    # 1970..1999 is 30 years with 7 leap days (10957), then 31 + 29 days to 1 March.
    assert evaluate("date(${dob}) + 1", answers) == 10957 + 60 + 1
    assert evaluate("date(date(${dob}) + 1)", answers) == date(2000, 3, 2)


def test_age_in_years_from_a_date_of_birth() -> None:
    now = date(2024, 6, 1)
    from datetime import datetime

    answers = {"dob": "1990-06-02"}
    years = evaluate("int((today() - ${dob}) div 365.25)", answers, now=datetime(2024, 6, 1))
    assert years == 33  # one day short of 34
    assert now.year - 1990 - 1 == years


def test_times_compare_as_fractions_of_a_day() -> None:
    answers = {"start": "09:30", "end": "17:15:00.000+03:00"}
    assert evaluate("${start} < ${end}", answers) is True
    assert evaluate("${end} < ${start}", answers) is False
    assert evaluate("(${end} - ${start}) * 24", answers) == 7.75
    assert evaluate("${start} > '08:00'", answers) is True
