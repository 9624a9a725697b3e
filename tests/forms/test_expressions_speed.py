"""Recomputing a form evaluates thousands of expressions: a simple one must stay cheap."""

from __future__ import annotations

import time

from forms.expressions import compile_expression
from forms.spec import FormSpec, Node

QUESTIONS = 200
FORM = FormSpec(
    id="big",
    version="1",
    title="Big",
    children=(
        *(Node("question", "integer", f"q{i}", (f"q{i}",)) for i in range(QUESTIONS)),
        Node("repeat", "begin_repeat", "members", ("members",), children=(
            Node("question", "text", "name", ("members", "name")),
            Node("question", "integer", "age", ("members", "age")),
        )),
    ),
)
ANSWERS = {
    **{f"q{i}": i for i in range(QUESTIONS)},
    "members": [{"name": f"n{i}", "age": 3 * i} for i in range(8)],
}


def per_call_microseconds(source: str, context: object = None, rounds: int = 2000) -> float:
    compiled = compile_expression(source)
    best = float("inf")
    for _ in range(3):
        # CPU time of this process, best of three: other work on a shared machine
        # must not make the test fail, a slower engine must.
        start = time.process_time()
        for _ in range(rounds):
            compiled.evaluate(ANSWERS, context=context, form=FORM)
        best = min(best, time.process_time() - start)
    return best / rounds * 1e6


def test_simple_comparison_is_well_under_50_microseconds() -> None:
    assert compile_expression("${q150} > 5").evaluate(ANSWERS, form=FORM) is True
    assert per_call_microseconds("${q150} > 5") < 50


def test_relevance_inside_a_repeat_is_well_under_50_microseconds() -> None:
    context = ("members", 5, "age")
    assert compile_expression("${age} >= 15 and ${name} != ''").evaluate(
        ANSWERS, context=context, form=FORM) is True
    assert per_call_microseconds("${age} >= 15 and ${name} != ''", context) < 50
    assert per_call_microseconds(". >= 0 and . < 120", context) < 50
