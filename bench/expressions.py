"""Benchmark the expression engine: typical XLSForm expressions over a 200-question record.

    .venv/bin/python bench/expressions.py [--rounds 20000]

Prints one JSON object on stdout (microseconds per evaluation, best of 5) and a table on
stderr. The target is well under 50 us for a simple comparison with a FormSpec.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forms.expressions import compile_expression
from forms.spec import FormSpec, Node

QUESTIONS = 200
FORM = FormSpec(
    id="bench",
    version="1",
    title="Bench",
    children=(
        *(Node("question", "integer", f"q{i}", (f"q{i}",)) for i in range(QUESTIONS)),
        Node("question", "select_multiple", "water", ("water",), list_name="w"),
        Node("repeat", "begin_repeat", "members", ("members",), children=(
            Node("question", "text", "name", ("members", "name")),
            Node("question", "integer", "age", ("members", "age")),
            Node("question", "date", "dob", ("members", "dob")),
        )),
    ),
)
ANSWERS = {
    **{f"q{i}": i for i in range(QUESTIONS)},
    "water": ["tap", "well"],
    "members": [{"name": f"n{i}", "age": 3 * i, "dob": f"19{50 + i}-01-01"} for i in range(8)],
}
MEMBER = ("members", 5, "age")
CASES = [
    ("simple comparison", "${q150} > 5", None),
    ("and of two", "${q3} = 3 and ${q4} != ''", None),
    ("selected()", "selected(${water}, 'tap')", None),
    ("constraint on .", ". >= 0 and . <= 120", MEMBER),
    ("sibling in a repeat", "${age} >= 15", MEMBER),
    ("if/concat calculation", "if(${q1} > 0, concat('a', ${q2}), 'none')", None),
    ("sum over a repeat", "sum(${age})", None),
    ("count with a predicate", "count(${members}[age > 18])", None),
    ("date arithmetic", "int((today() - ${dob}) div 365.25)", MEMBER),
    ("position(..)", "position(..)", MEMBER),
]


def measure(source: str, context: object, rounds: int, form: FormSpec | None) -> float:
    compiled = compile_expression(source)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(rounds):
            compiled.evaluate(ANSWERS, context=context, form=form)
        best = min(best, time.perf_counter() - start)
    return best / rounds * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20000)
    args = parser.parse_args()
    results = {}
    print(f"{'case':28} {'with form':>10} {'no form':>10}  (us per evaluation)",
          file=sys.stderr)
    for label, source, context in CASES:
        with_form = measure(source, context, args.rounds, FORM)
        without = measure(source, context, args.rounds, None)
        results[label] = {"expression": source, "us_with_form": round(with_form, 2),
                          "us_without_form": round(without, 2)}
        print(f"{label:28} {with_form:10.1f} {without:10.1f}", file=sys.stderr)
    print(json.dumps({"benchmark": "expressions", "rounds": args.rounds,
                      "questions": QUESTIONS, "results": results}))


if __name__ == "__main__":
    main()
