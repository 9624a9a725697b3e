"""Parsing: operators, precedence, paths, what a compiled expression depends on, errors."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forms.expressions import ExpressionError, compile_expression, evaluate, parse
from forms.xpath.nodes import Binary, Call, Filter, Literal, LocationPath, Negate, Ref


def test_precedence_multiplication_binds_tighter_than_addition() -> None:
    tree = parse("1 + 2 * 3")
    assert tree == Binary("+", Literal(1), Binary("*", Literal(2), Literal(3)))
    assert evaluate("1 + 2 * 3") == 7
    assert evaluate("(1 + 2) * 3") == 9


def test_precedence_of_boolean_operators() -> None:
    # and binds tighter than or; comparisons tighter than both.
    assert evaluate("1 = 1 or 1 = 2 and 1 = 3") is True
    assert evaluate("(1 = 1 or 1 = 2) and 1 = 3") is False


def test_left_associative_minus_and_div() -> None:
    assert evaluate("10 - 4 - 3") == 3
    assert evaluate("16 div 4 div 2") == 2


def test_star_div_mod_and_or_are_names_where_an_operand_is_expected() -> None:
    tree = parse("/data/div * mod")
    assert isinstance(tree, Binary) and tree.op == "*"
    assert isinstance(tree.left, LocationPath) and tree.left.source == "/data/div"
    assert tree.right == LocationPath(False, tree.right.steps, "mod")
    assert evaluate("div + and", {"div": 2, "and": 3}) == 5


def test_names_may_contain_dots_and_hyphens() -> None:
    assert evaluate("my-field.x", {"my-field.x": "v"}) == "v"


def test_unary_minus_and_refs() -> None:
    assert parse("-${a}") == Negate(Ref("a"))
    assert evaluate("- - 3") == 3
    assert evaluate("-${a} + 1", {"a": 4}) == -3


def test_number_and_string_literals() -> None:
    assert parse("12") == Literal(12)
    assert parse(".5") == Literal(0.5)
    with pytest.raises(ExpressionError):  # XPath has no quote escaping
        parse("'it''s'")
    assert parse('"it\'s"') == Literal("it's")
    assert evaluate("123456789012345") == 123456789012345  # exact while a double is
    assert evaluate("1" + "0" * 400 + " div 3") == float("inf")  # no OverflowError


def test_filter_expression_with_predicate_and_steps() -> None:
    tree = parse("${rep}[age > 18]/name")
    assert isinstance(tree, Filter)
    assert tree.primary == Ref("rep")
    assert len(tree.predicates) == 1 and len(tree.steps) == 1


def test_function_names_with_prefix() -> None:
    assert parse("jr:choice-name(${a}, '${a}')") == Call(
        "jr:choice-name", (Ref("a"), Literal("${a}"))
    )


def test_references_paths_and_volatility_are_reported() -> None:
    c = compile_expression("${a} + /data/grp/b + ../c + count(${rep}[age > 1]) + string-length(.)")
    assert c.references == frozenset({"a", "rep"})
    assert {"/data/grp/b", "../c", "."} <= c.paths
    assert "age" not in c.paths  # relative to the filtered nodes, not to the question
    assert c.uses_now is False
    assert c.source.startswith("${a}")
    for volatile in ("today()", "now()", "uuid()", "random()", "1 + uuid(4)"):
        assert compile_expression(volatile).uses_now, volatile


def test_compile_is_cached() -> None:
    assert compile_expression("${x} + 1") is compile_expression("${x} + 1")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("1 +", "unexpected end of expression at column 4"),
        ("(1 + 2))", "unexpected ')' at column 8"),
        ("${a} > > 1", "unexpected '>' at column 8"),
        ("concat('a', ", "unexpected end of expression at column 13"),
        ("'abc", "unterminated string at column 1"),
        ("${a", "unterminated ${...} reference at column 1"),
        ("1 # 2", "unexpected character '#' at column 3"),
        ("1 2", "unexpected '2' at column 3"),
        ("", "empty expression at column 1"),
        ("${a b}", "invalid reference ${a b} at column 1"),
        ("${}", "invalid reference ${} at column 1"),
        ("@id", "attributes are not supported"),
        ("child::a", "axes are not supported"),
    ],
)
def test_syntax_errors_say_what_and_where(source: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    assert message in str(caught.value)


def test_syntax_error_has_reason_and_position_attributes() -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression("if(${a} = 1, 'x' 'y')")
    assert caught.value.position == 17
    assert caught.value.reason.startswith("unexpected string 'y'")
    assert isinstance(caught.value, ValueError)


def test_unknown_function_is_an_error_at_compile_time() -> None:
    with pytest.raises(ExpressionError, match=r"unknown function 'pulldata\(\)' at column 5"):
        compile_expression("1 + pulldata('f', 'a', 'b', 'c')")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("if(1, 2)", "if() takes 3 arguments, got 2"),
        ("today(1)", "today() takes 0 arguments, got 1"),
        ("round()", "round() takes 1 to 2 arguments, got 0"),
        ("concat()", None),
        ("max()", "max() takes at least 1 argument, got 0"),
    ],
)
def test_argument_counts_are_checked(source: str, message: str | None) -> None:
    if message is None:
        assert evaluate(source) == ""
        return
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    assert message in str(caught.value)


_ALPHABET = st.sampled_from(
    [*"abcxyz019 .,/()[]'\"$@{}|+-*=!<>:_", "div", "mod", "and", "or", "${a}", "${b}",
     "count(", "if(", "..", "//", "today()"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, max_size=20).map("".join))
def test_parse_only_ever_raises_expression_error(text: str) -> None:
    try:
        compiled = compile_expression(text)
    except ExpressionError:
        return
    # Whatever parses also evaluates without crashing (or with an ExpressionError).
    with contextlib.suppress(ExpressionError):
        compiled.evaluate({"a": "1", "b": [{"c": 2}]})


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_parse_never_crashes_on_arbitrary_text(text: str) -> None:
    with contextlib.suppress(ExpressionError):
        parse(text)


def test_long_if_chains_work_and_absurd_nesting_is_an_expression_error() -> None:
    depth = 120  # scoring forms nest if() a few dozen deep
    chain = "".join(f"if(${{x}} = {i}, {i * 10}, " for i in range(depth)) + "-1" + ")" * depth
    assert evaluate(chain, {"x": depth - 1}) == (depth - 1) * 10
    assert evaluate(chain, {"x": "none"}) == -1
    with pytest.raises(ExpressionError, match="nested too deeply"):
        compile_expression("(" * 3000 + "1" + ")" * 3000)
