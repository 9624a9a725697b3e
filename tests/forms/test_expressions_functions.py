"""Every function of the ODK/XPath library, with expected values worked out by hand."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from forms.expressions import ExpressionError, evaluate, visible_choices
from forms.spec import Choice, FormSpec, Node
from forms.xpath.functions import FUNCTIONS

NOW = datetime(2024, 3, 5, 14, 7, 9, 123000)  # a Tuesday


def ev(source: str, answers: dict | None = None, **kwargs: object) -> object:
    return evaluate(source, answers, now=NOW, **kwargs)


CASES = [
    # selects
    ("selected('a b c', 'b')", True),
    ("selected('a b c', 'd')", False),
    ("selected('ab', 'a')", False),
    ("count-selected(' a  b ')", 2),
    ("count-selected('')", 0),
    ("selected-at('a b c', 1)", "b"),
    ("selected-at('a b', 5)", ""),
    # control
    ("if(1 < 2, 'yes', 'no')", "yes"),
    ("if('', 'yes', 'no')", "no"),
    ("coalesce('', 'b')", "b"),
    ("coalesce('a', 'b')", "a"),
    ("coalesce('', '')", ""),
    # strings
    ("concat('a', 1, true(), 2.5)", "a1true2.5"),
    ("concat()", ""),
    ("join('-', 'a', 'b')", "a-b"),
    ("substr('hello', 1, 3)", "el"),
    ("substr('hello', 2)", "llo"),
    ("substr('hello', 3, 99)", "lo"),
    ("substr('hello', 4, 2)", ""),
    ("substring('12345', 2, 3)", "234"),
    ("substring('12345', 2)", "2345"),
    ("substring('12345', 1.5, 2.6)", "234"),  # the XPath 1.0 spec's examples
    ("substring('12345', 0, 3)", "12"),
    ("substring('12345', 0 div 0, 3)", ""),
    ("substring('12345', 1, 0 div 0)", ""),
    ("substring('12345', -42, 1 div 0)", "12345"),
    ("substring('12345', -1 div 0, 1 div 0)", ""),
    ("substring-before('1999/04/01', '/')", "1999"),
    ("substring-after('1999/04/01', '/')", "04/01"),
    ("substring-after('abc', 'z')", ""),
    ("string(12.50)", "12.5"),
    ("string(1 div 0)", "Infinity"),
    ("string(0 div 0)", "NaN"),
    ("string(1 = 1)", "true"),
    ("string(0.0000001)", "0.0000001"),
    ("string-length('héllo')", 5),
    ("contains('settlement', 'tle')", True),
    ("contains('settlement', 'x')", False),
    ("starts-with('KB-045', 'KB-')", True),
    ("ends-with('KB-045', '45')", True),
    ("ends-with('KB-045', 'KB')", False),
    ("regex('KB-045', '^[A-Z]{2}-[0-9]{3}$')", True),
    ("regex('kb-45', '^[A-Z]{2}-[0-9]{3}$')", False),
    ("regex('a1', '[0-9]')", True),  # a search, not a full match
    ("normalize-space('  a \t  b  ')", "a b"),
    ("translate('bar', 'abc', 'ABC')", "BAr"),
    ("translate('--aaa--', 'abc-', 'ABC')", "AAA"),
    ("translate('aaa', 'aa', 'bc')", "bbb"),
    # numbers
    ("number('12')", 12),
    ("number(' -3.5 ')", -3.5),
    ("number(true())", 1),
    ("int(3.7)", 3),
    ("int(-3.7)", -3),
    ("int('12.9')", 12),
    ("round(2.5)", 3),
    ("round(-2.5)", -3),  # away from zero, as ODK
    ("round(2.4)", 2),
    ("round(3.14159, 2)", 3.14),
    ("round(1.005, 2)", 1.01),  # rounds the number as written, not its binary neighbour
    ("round(2.675, 2)", 2.68),
    ("round(-1.45, 1)", -1.5),
    ("round(1234.5678, -2)", 1200),
    ("floor(-1.5)", -2),
    ("floor(2.7)", 2),
    ("ceiling(-1.5)", -1),
    ("ceiling(2.1)", 3),
    ("abs(-3.5)", 3.5),
    ("pow(2, 10)", 1024),
    ("pow(2, -1)", 0.5),
    ("sqrt(16)", 4),
    ("exp(0)", 1),
    ("exp10(2)", 100),
    ("log(1)", 0),
    ("log10(1000)", 3),
    ("sin(0)", 0),
    ("cos(0)", 1),
    ("tan(0)", 0),
    ("asin(1)", math.pi / 2),
    ("acos(1)", 0),
    ("atan(1)", math.pi / 4),
    ("atan2(1, 1)", math.pi / 4),
    ("atan2(1, -1)", 3 * math.pi / 4),
    ("pi()", math.pi),
    ("min(3, 1, 2)", 1),
    ("max(3, '7', 2)", 7),
    # booleans
    ("boolean('')", False),
    ("boolean('false')", True),  # any non-empty string
    ("boolean-from-string('true')", True),
    ("boolean-from-string('1')", True),
    ("boolean-from-string('yes')", False),
    ("not(1 = 1)", False),
    ("true()", True),
    ("false()", False),
    ("checklist(-1, 2, 'yes', '', 'x')", True),
    ("checklist(3, -1, 'a', 'b', '')", False),
    ("checklist(2, 2, true(), false(), 1)", True),
    ("weighted-checklist(5, -1, true(), 3, false(), 4, 'y', 2)", True),
    ("weighted-checklist(6, -1, true(), 3, false(), 4, 'y', 2)", False),
    ("weighted-checklist(-1, 4, true(), 3, true(), 2)", False),
    # dates
    ("today()", date(2024, 3, 5)),
    ("now()", NOW),
    ("date('2024-02-29')", date(2024, 2, 29)),
    ("date(19782)", date(2024, 2, 29)),  # 54 years with 13 leap days (19723) + 59
    ("date('2024-02-29T23:10:00')", date(2024, 2, 29)),
    ("date('')", ""),
    ("date('not a date')", ""),
    ("date-time('2024-03-01T10:30:00')", datetime(2024, 3, 1, 10, 30)),
    ("date-time('2024-03-01')", datetime(2024, 3, 1)),
    ("decimal-date-time('1970-01-02T12:00:00Z')", 1.5),
    ("decimal-date-time('1970-01-11')", 10),
    ("decimal-date('1970-01-11')", 10),
    ("decimal-time('18:00')", 0.75),
    ("decimal-time('06:00:00.000+02:00')", 0.25),
    ("decimal-time('25:00')", math.nan),
    ("format-date('2024-03-05', '%Y/%m/%d')", "2024/03/05"),
    ("format-date('2024-03-05', '%e %b %y, %a, month %n')", "5 Mar 24, Tue, month 3"),
    ("format-date(today(), '%d.%m.%Y')", "05.03.2024"),
    ("format-date('', '%Y')", ""),
    ("format-date-time('2024-03-05T07:08:09.123', '%H:%M:%S.%3 (%h)')", "07:08:09.123 (7)"),
    ("format-date-time(now(), '%Y-%m-%d %H:%M')", "2024-03-05 14:07"),
    ("format-date(date(0), '%Y-%m-%d')", "1970-01-01"),
    # hashing
    ("digest('abc', 'SHA-256', 'hex')",
     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ("digest('abc', 'MD5')", "kAFQmDzST7DWlj99KOF/cg=="),
]


@pytest.mark.parametrize(("source", "expected"), CASES, ids=[c[0] for c in CASES])
def test_function(source: str, expected: object) -> None:
    result = ev(source)
    if isinstance(expected, float) and math.isnan(expected):
        assert isinstance(result, float) and math.isnan(result)
    elif isinstance(expected, float):
        assert result == pytest.approx(expected, abs=1e-12)
    else:
        assert result == expected
        assert type(result) is type(expected)


@pytest.mark.parametrize(
    "source",
    ["sqrt(-1)", "log(-1)", "asin(2)", "number('abc')", "int('')", "min(1, '')",
     "max(${none})", "decimal-date-time('')", "round('x', 1)", "pow(-8, 1 div 3)"],
)
def test_nan_results(source: str) -> None:
    result = ev(source, {"none": []})
    assert isinstance(result, float) and math.isnan(result), result


def test_log_of_zero_is_minus_infinity() -> None:
    assert ev("log(0)") == -math.inf
    assert ev("log10(0)") == -math.inf


def test_every_function_is_covered_by_these_tests() -> None:
    here = Path(__file__).parent
    source = "".join(p.read_text(encoding="utf-8") for p in here.glob("test_expressions*.py"))
    missing = [name for name in FUNCTIONS if f"{name}(" not in source]
    assert not missing, f"functions without a test: {missing}"


# -- functions over answers -----------------------------------------------------------------
HOUSEHOLD = {
    "head": "Amina",
    "water": ["tap", "borehole"],
    "toilet": "pit flush",  # ODK's own space-separated form
    "members": [
        {"name": "Amina", "age": 34, "works": "yes"},
        {"name": "Juma", "age": 36, "works": ""},
        {"name": "Neema", "age": 9, "works": ""},
    ],
}


def test_selected_on_lists_and_on_space_separated_strings() -> None:
    assert ev("selected(${water}, 'tap')", HOUSEHOLD) is True
    assert ev("selected(${water}, 'river')", HOUSEHOLD) is False
    assert ev("selected(${toilet}, 'flush')", HOUSEHOLD) is True
    assert ev("count-selected(${water})", HOUSEHOLD) == 2
    assert ev("selected-at(${water}, 0)", HOUSEHOLD) == "tap"
    assert ev("selected(${water}, 'tap')", {"water": []}) is False


def test_aggregates_over_a_repeat() -> None:
    assert ev("sum(${age})", HOUSEHOLD) == 79
    assert ev("count(${members})", HOUSEHOLD) == 3
    assert ev("count-non-empty(${works})", HOUSEHOLD) == 1
    assert ev("max(${age})", HOUSEHOLD) == 36
    assert ev("min(${age})", HOUSEHOLD) == 9
    assert ev("join(', ', ${name})", HOUSEHOLD) == "Amina, Juma, Neema"
    assert ev("concat(${name})", HOUSEHOLD) == "AminaJumaNeema"
    assert ev("sum(${age}) div count(${members})", HOUSEHOLD) == pytest.approx(26.333333333)


def test_sum_with_an_empty_value_is_nan_and_sum_of_nothing_is_zero() -> None:
    answers = {"members": [{"age": 3}, {"age": ""}]}
    assert math.isnan(ev("sum(${age})", answers))
    # With no member at all the form is needed to know that age lives in the repeat.
    form = FormSpec(id="f", version="1", title="F", children=(
        Node("repeat", "begin_repeat", "members", ("members",), children=(
            Node("question", "integer", "age", ("members", "age")),)),))
    assert ev("sum(${age})", {"members": []}, form=form) == 0
    assert ev("sum(${age})", {}, form=form) == 0


def test_count_needs_a_node_set() -> None:
    with pytest.raises(ExpressionError, match="count"):
        ev("count(3)")


def test_coalesce_keeps_the_typed_value_and_is_lazy() -> None:
    assert ev("coalesce(${a}, ${b})", {"a": "", "b": 7}) == 7
    assert ev("coalesce(${a}, count(1))", {"a": 4}) == 4  # second argument never evaluated


def test_if_evaluates_only_the_branch_taken() -> None:
    assert ev("if(${x} > 5, 'big', count(1))", {"x": 9}) == "big"


def test_string_functions_default_to_the_current_question() -> None:
    assert ev("string-length()", {"code": "KB-045"}, context=("code",)) == 6
    assert ev("string()", {"code": "KB-045"}, context="code") == "KB-045"
    assert ev("normalize-space()", {"code": " a  b "}, context="code") == "a b"
    assert ev("number()", {"n": "4"}, context="n") == 4


def test_once_keeps_an_existing_value() -> None:
    assert ev("once(concat('id-', ${head}))", {"head": "Amina", "id": ""}, context="id") == \
        "id-Amina"
    assert ev("once(concat('id-', ${head}))", {"head": "Juma", "id": "id-Amina"},
              context="id") == "id-Amina"


def test_uuid() -> None:
    first, second = ev("uuid()"), ev("uuid()")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                        first)
    assert first != second
    short = ev("uuid(12)")
    assert re.fullmatch(r"[A-Za-z0-9]{12}", short)
    with pytest.raises(ExpressionError, match="uuid"):
        ev("uuid(1000000000)")  # a typo must not eat the tablet's memory


def test_random_is_in_the_unit_interval() -> None:
    values = {ev("random()") for _ in range(20)}
    assert all(0 <= v < 1 for v in values)
    assert len(values) > 1


def test_now_defaults_to_the_real_clock() -> None:
    before = datetime.now().astimezone()
    value = evaluate("now()")
    assert isinstance(value, datetime) and value.tzinfo is not None
    assert before <= value <= datetime.now().astimezone()
    assert evaluate("today()") == datetime.now().astimezone().date()


def test_aware_now_and_date_strings_with_offsets() -> None:
    noon = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    assert evaluate("decimal-date-time(now())", now=noon) == 19723.5
    assert evaluate("decimal-date-time('2024-01-01T15:00:00+03:00')") == 19723.5
    assert evaluate("string(now())", now=noon) == "2024-01-01T12:00:00.000+00:00"


# -- geo ----------------------------------------------------------------------------------------
METRES_PER_DEGREE = 6378100 * math.pi / 180  # 111318.845 m on JavaRosa's sphere


def test_distance_along_the_equator() -> None:
    assert ev("distance('0 0 0 0;0 1 0 0')") == pytest.approx(METRES_PER_DEGREE, rel=1e-12)
    assert ev("distance('0 0;0 1;0 2')") == pytest.approx(2 * METRES_PER_DEGREE, rel=1e-12)
    # Between geopoint answers, and along a meridian (same length on a sphere).
    points = {"a": "1 30 1200 5", "b": "2 30 1200 5"}
    assert ev("distance(${a}, ${b})", points) == pytest.approx(METRES_PER_DEGREE, rel=1e-9)


def test_area_of_a_small_square_on_the_equator() -> None:
    side = 0.001 * METRES_PER_DEGREE  # 111.3 m
    shape = "0 0 0 0;0 0.001 0 0;0.001 0.001 0 0;0.001 0 0 0;0 0 0 0"
    assert ev("area(${s})", {"s": shape}) == pytest.approx(side * side, rel=1e-4)
    # Not closed, or drawn the other way round: same area.
    assert ev("area('0 0;0.001 0;0.001 0.001;0 0.001')") == pytest.approx(side * side, rel=1e-4)


def test_area_and_distance_of_degenerate_or_bad_shapes() -> None:
    assert ev("area('0 0;0 1')") == 0
    assert ev("distance('0 0')") == 0
    assert math.isnan(ev("area('not a shape')"))
    assert ev("area('')") == 0


# -- choices ------------------------------------------------------------------------------------
def _select_form() -> FormSpec:
    return FormSpec(
        id="hh",
        version="1",
        title="Household",
        default_language="English (en)",
        languages=("English (en)", "Kiswahili (sw)"),
        children=(
            Node("question", "select_one", "water", ("water",), list_name="sources"),
            Node("question", "select_one", "region", ("region",), list_name="regions"),
            Node("question", "select_one", "town", ("town",), list_name="towns",
                 choice_filter="region = ${region}"),
        ),
        choices={
            "sources": (
                Choice("tap", {"English (en)": "Tap", "Kiswahili (sw)": "Bomba"}),
                Choice("well", {"English (en)": "Well"}),
            ),
            "regions": (Choice("n", {"English (en)": "North"}),
                        Choice("s", {"English (en)": "South"})),
            "towns": (
                Choice("a", {"English (en)": "Arusha"}, {"region": "n"}),
                Choice("b", {"English (en)": "Bagamoyo"}, {"region": "s"}),
                Choice("c", {"English (en)": "Chalinze"}, {"region": "s"}),
            ),
        },
    )


def test_choice_name_gives_the_label_in_the_language() -> None:
    form = _select_form()
    answers = {"water": "tap"}
    assert ev("jr:choice-name(${water}, '${water}')", answers, form=form) == "Tap"
    assert ev("jr:choice-name(${water}, '${water}')", answers, form=form,
              language="Kiswahili (sw)") == "Bomba"
    # Missing translation: the default language.
    assert ev("jr:choice-name('well', '/data/water')", answers, form=form,
              language="Kiswahili (sw)") == "Well"
    assert ev("jr:choice-name('nope', '${water}')", answers, form=form) == ""
    # Without a form there are no labels: the choice name itself.
    assert ev("jr:choice-name(${water}, '${water}')", answers) == "tap"


def test_choice_name_of_a_question_that_is_not_a_select() -> None:
    with pytest.raises(ExpressionError, match="not a select"):
        ev("jr:choice-name('x', '${nothing}')", {}, form=_select_form())


def test_instance_reads_a_choice_list() -> None:
    form = _select_form()
    assert ev("instance('towns')/root/item[name = 'b']/label", {}, form=form) == "Bagamoyo"
    assert ev("count(instance('towns')/root/item[region = ${region}])", {"region": "s"},
              form=form) == 2
    with pytest.raises(ExpressionError, match="no such choice list"):
        ev("instance('nope')/root/item", {}, form=form)


def test_visible_choices_applies_a_choice_filter() -> None:
    form = _select_form()
    towns = form.choice_list("towns")
    shown = visible_choices("region = ${region}", towns, {"region": "s"}, context="town",
                            form=form)
    assert [c.name for c in shown] == ["b", "c"]
    assert visible_choices("region = ${region}", towns, {}, form=form) == []
    assert [c.name for c in visible_choices("position() = last()", towns, {})] == ["c"]
    assert [c.name for c in visible_choices("starts-with(label, 'A')", towns, {})] == ["a"]


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("1970-01-02", 1),
        ("1970-01-02T06:00:00", 1.25),
        ("1970-01-02 06:00", 1.25),  # a space instead of T
        ("1970-01-02T06:00:00.500Z", 1.25 + 0.5 / 86400),
        ("1970-01-02T09:00:00+0300", 1.25),  # ODK's offset without a colon
        ("1970-01-02T09:00:00+03", 1.25),
        ("1970-01-02T01:00:00-05:00", 1.25),
    ],
)
def test_date_and_date_time_text_forms(text: str, days: float) -> None:
    assert ev(f"decimal-date-time('{text}')") == pytest.approx(days, abs=1e-9)


@pytest.mark.parametrize("text", ["1970-13-01", "1970-02-30", "70-01-01", "1970/01/02"])
def test_invalid_dates_are_empty(text: str) -> None:
    assert ev(f"date('{text}')") == ""
    assert math.isnan(ev(f"decimal-date-time('{text}')"))
