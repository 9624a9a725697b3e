"""Evaluate XLSForm expressions (relevant, constraint, calculation, ...) over a record.

    >>> evaluate("${age} >= 18", {"age": 20})
    True
    >>> c = compile_expression("sum(${age})")     # cached; compile once, evaluate often
    >>> c.evaluate({"members": [{"age": 30}, {"age": 4}]})
    34

The language is XPath 1.0 with ODK's functions and JavaRosa's conversions: an
unanswered question is the empty string, which is NaN in arithmetic and numeric
comparisons (`${x} > 5` is false, `${x} != 5` true, `${x} = ''` true). See
docs/expressions.md for the full list and the few differences from ODK Collect.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from forms.xpath import functions
from forms.xpath.compiler import compile_expr
from forms.xpath.env import Env
from forms.xpath.errors import ExpressionError
from forms.xpath.nodes import Call, Expr, Filter, LocationPath, Ref
from forms.xpath.parser import parse as _parse
from forms.xpath.tree import parse_context
from forms.xpath.values import XNode, to_boolean, to_result

if TYPE_CHECKING:
    from forms.spec import Choice, FormSpec

__all__ = [
    "Compiled",
    "ExpressionError",
    "compile_expression",
    "evaluate",
    "parse",
    "visible_choices",
]

Context = str | Sequence[str | int] | None


def parse(expression: str) -> Expr:
    """The syntax tree of `expression`; ExpressionError (with the column) if invalid."""
    return _parse(expression, functions.check_call)


class Compiled:
    """A parsed and compiled expression, plus what it depends on."""

    __slots__ = ("_fn", "paths", "references", "source", "tree", "uses_now")

    def __init__(self, source: str) -> None:
        self.source = source
        self.tree: Expr = parse(source)
        refs: set[str] = set()
        paths: set[str] = set()
        calls: set[str] = set()
        _collect(self.tree, refs, paths, calls)
        self.references: frozenset[str] = frozenset(refs)
        self.paths: frozenset[str] = frozenset(paths)
        self.uses_now: bool = bool(calls & functions.VOLATILE)
        try:
            self._fn = compile_expr(self.tree)
        except RecursionError:
            raise ExpressionError("expression is nested too deeply") from None

    def __repr__(self) -> str:
        return f"Compiled({self.source!r})"

    def evaluate(
        self,
        answers: Mapping[str, Any] | None = None,
        *,
        context: Context = None,
        form: FormSpec | None = None,
        now: datetime | None = None,
        language: str | None = None,
    ) -> Any:
        """The value of the expression for `answers` (a record's answers dict).

        `context` is the question the expression belongs to: ("members", 1, "age") with
        0-based repeat positions, or "members[2]/age" (1-based). `form` gives exact
        `${name}` resolution and choice labels; `now` fixes the clock.
        """
        return to_result(self._run(answers, context, form, now, language))

    def evaluate_boolean(
        self,
        answers: Mapping[str, Any] | None = None,
        *,
        context: Context = None,
        form: FormSpec | None = None,
        now: datetime | None = None,
        language: str | None = None,
    ) -> bool:
        """The expression as relevant/constraint/required read it (JavaRosa's boolean())."""
        return to_boolean(self._run(answers, context, form, now, language))

    def _run(self, answers: Mapping[str, Any] | None, context: Context,
             form: FormSpec | None, now: datetime | None, language: str | None) -> Any:
        env = Env(_plain(answers), parse_context(context), form, now, language)
        try:
            return self._fn(env)
        except RecursionError:
            raise ExpressionError("expression is nested too deeply") from None


def _plain(answers: Mapping[str, Any] | None) -> dict[str, Any]:
    """The answers as a dict (the evaluator walks dicts and lists only, for speed)."""
    if answers is None:
        return {}
    if type(answers) is dict:
        return answers
    return dict(answers)


def _collect(
    expr: Expr, refs: set[str], paths: set[str], calls: set[str], in_predicate: bool = False
) -> None:
    if isinstance(expr, Ref):
        refs.add(expr.name)
    elif isinstance(expr, LocationPath):
        # A relative path inside a predicate reads the filtered nodes, not the question.
        if expr.absolute or not in_predicate:
            paths.add(expr.source)
    elif isinstance(expr, Call):
        calls.add(expr.name)
    for child, is_predicate in _children(expr):
        _collect(child, refs, paths, calls, in_predicate or is_predicate)


def _children(expr: Expr) -> list[tuple[Expr, bool]]:
    """Sub-expressions, each with whether it is a predicate."""
    out: list[tuple[Expr, bool]] = []
    if isinstance(expr, LocationPath | Filter):
        if isinstance(expr, Filter):
            out.append((expr.primary, False))
            out.extend((p, True) for p in expr.predicates)
        for step in expr.steps:
            out.extend((p, True) for p in step.predicates)
        return out
    for name in ("left", "right", "operand"):
        child = getattr(expr, name, None)
        if child is not None:
            out.append((child, False))
    out.extend((a, False) for a in getattr(expr, "args", ()))
    return out


@functools.lru_cache(maxsize=4096)
def compile_expression(expression: str) -> Compiled:
    """Parse and compile `expression` once (cached); ExpressionError if it is invalid."""
    return Compiled(expression)


def evaluate(
    expression: str,
    answers: Mapping[str, Any] | None = None,
    *,
    context: Context = None,
    form: FormSpec | None = None,
    now: datetime | None = None,
    language: str | None = None,
) -> Any:
    """Evaluate `expression` over `answers`: str, int, float, bool, date, datetime or list."""
    return compile_expression(expression).evaluate(
        answers, context=context, form=form, now=now, language=language
    )


def visible_choices(
    choice_filter: str,
    choices: Iterable[Choice],
    answers: Mapping[str, Any] | None = None,
    *,
    context: Context = None,
    form: FormSpec | None = None,
    now: datetime | None = None,
    language: str | None = None,
) -> list[Choice]:
    """The choices a select's `choice_filter` lets through, in their order.

    As in XForms, the filter is a predicate on each choice: `name`, `label` and the
    choices sheet's extra columns are read from the choice, `${q}` from the record.
    """
    from forms.spec import text_in

    compiled = compile_expression(choice_filter)
    options = list(choices)
    env = Env(_plain(answers), parse_context(context), form, now, language)
    fallback = form.default_language if form is not None else None
    items = [
        {**dict(c.extra), "name": c.name, "label": text_in(c.label, language, fallback)}
        for c in options
    ]
    tree = {"root": {"item": items}}
    size = len(items)
    kept = []
    for i, (choice, item) in enumerate(zip(options, items, strict=True)):
        node = XNode(("root", "item", i), item, tree)
        if to_boolean(compiled._fn(env.at(node, i + 1, size))):
            kept.append(choice)
    return kept
