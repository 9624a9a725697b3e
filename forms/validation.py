"""Check a record's answers against its form: every problem, in form order.

What is checked, per question (each repeat instance on its own):
- an answer to a question that is not relevant (relevance is inherited from groups);
- the answer's shape for the question's type (`forms.answer_types`), and for selects
  that each choice exists among those the choice_filter shows;
- required (only when relevant, and when the required expression is true);
- the constraint, with `.` being the answer (only when answered and well-typed);
- a repeat's number of instances against its repeat_count.

Messages come from the form (constraint_message / required_message in the language
asked for, with `${name}` references replaced by the answers: `forms.text`) or else
from `forms.record_messages`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from forms.answer_types import type_problem
from forms.answers import Path, get, is_empty
from forms.recompute import FormEngine, recompute
from forms.record_messages import builtin, pick_text
from forms.spec import NO_ANSWER_TYPES, SELECT_TYPES, FormSpec, Node
from forms.text import render_text

__all__ = ["FormEngine", "Problem", "recompute", "validate_paths", "validate_record"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a record's answers, at `path` (a problem in the form definition
    itself is a `forms.errors.FormProblem`)."""

    path: tuple[str | int, ...]
    code: str  # required, constraint, type, too_long, unknown_choice, not_relevant, repeat_count
    message: str

    def to_dict(self) -> dict[str, object]:
        return {"path": list(self.path), "code": self.code, "message": self.message}


class _Checker:
    def __init__(self, form: FormSpec, answers: Mapping[str, Any], language: str | None,
                 now: datetime | None) -> None:
        self.form = form
        self.engine = FormEngine.for_form(form)
        self.answers = answers
        self.language = language
        self.fallback = form.default_language
        self.now = now
        self.problems: list[Problem] = []

    def _say(self, key: str, **values: object) -> str:
        return builtin(key, self.language, self.fallback, **values)

    def _add(self, path: Path, code: str, message: str) -> None:
        self.problems.append(Problem(tuple(path), code, message))

    def _form_message(self, texts: Mapping[str, str], path: Path) -> str:
        """The form's own message for the question at `path`, references filled in."""
        message = pick_text(texts, self.language, self.fallback)
        return render_text(message, self.form, self.answers, path, language=self.language)

    def _eval(self, expression: str, path: Path) -> Any:
        return self.engine.evaluate(expression, self.answers, path, self.now)

    # -- walking ----------------------------------------------------------------------
    def nodes(self, nodes: Iterable[Node], prefix: Path, relevant: bool) -> None:
        for node in nodes:
            path = (*prefix, node.name)
            here = relevant and self.engine.own_relevant(node, self.answers, path, self.now)
            if node.is_question:
                self.question(node, path, here)
            elif node.is_repeat:
                self.repeat(node, path, here)
            else:
                value = get(self.answers, path)
                if value is not None and not isinstance(value, dict):
                    self._add(path, "type", self._say("type.group"))
                    continue
                self.nodes(node.children, path, here)

    def repeat(self, node: Node, path: Path, relevant: bool, descend: bool = True) -> None:
        instances = get(self.answers, path)
        if instances is not None and (
            not isinstance(instances, list) or not all(isinstance(i, dict) for i in instances)
        ):
            self._add(path, "type", self._say("type.group"))
            return
        instances = instances or []
        if relevant and node.repeat_count:
            expected = self._eval(node.repeat_count, path)
            try:
                wanted = float(expected)
            except (TypeError, ValueError):
                wanted = math.nan
            if math.isfinite(wanted) and int(wanted) != len(instances):
                self._add(path, "repeat_count", self._say(
                    "repeat_count", expected=int(wanted), found=len(instances)))
        if descend:
            for i in range(len(instances)):
                self.nodes(node.children, (*path, i), relevant)

    def question(self, node: Node, path: Path, relevant: bool) -> None:
        if node.type in NO_ANSWER_TYPES and not node.calculation:
            return
        value = get(self.answers, path)
        answered = not is_empty(value)
        if not relevant:
            if answered:
                self._add(path, "not_relevant", self._say("not_relevant"))
            return
        if answered:
            choices = None
            if node.type in SELECT_TYPES and node.list_name in self.form.choices:
                choices = {c.name for c in self.engine.visible_choices(
                    self.answers, path, now=self.now)}
            mismatch = type_problem(node, value, choices)
            if mismatch is not None:
                self._add(path, mismatch.code, self._say(mismatch.key, **mismatch.values))
                return
            if node.constraint and not self.engine.evaluate_boolean(
                    node.constraint, self.answers, path, self.now):
                message = self._form_message(node.constraint_message, path)
                self._add(path, "constraint", message or self._say("constraint"))
        elif node.required and self.engine.is_required(self.answers, path, now=self.now):
            message = self._form_message(node.required_message, path)
            self._add(path, "required", message or self._say("required"))


def validate_record(form: FormSpec, answers: Mapping[str, Any] | None, *,
                    language: str | None = None, now: datetime | None = None
                    ) -> list[Problem]:
    """Every problem of `answers` against `form`, in form order (empty: the record is fine).

    `language` picks the messages ("fr", "Français (fr)", ...); the form's default
    language, then English, stand in for missing translations.
    """
    checker = _Checker(form, answers or {}, language, now)
    checker.nodes(form.children, (), True)
    return checker.problems


def validate_paths(form: FormSpec, answers: Mapping[str, Any] | None, paths: Iterable[Path],
                   *, language: str | None = None, now: datetime | None = None
                   ) -> list[Problem]:
    """The problems of just the questions (and repeats) at `paths`, in form order.

    For re-validating as the user types: pass what `FormEngine.set_answer` changed plus
    `FormEngine.affected_checks`. Gives the same problems as `validate_record` for those
    paths, without walking the rest of the record. Unknown paths are ignored.
    """
    checker = _Checker(form, answers or {}, language, now)
    engine = checker.engine
    rank = engine.form_order
    memo: dict[Path, bool] = {}
    wanted = []
    for path in {tuple(p) for p in paths}:
        names = tuple(s for s in path if isinstance(s, str))
        if names in rank and not isinstance(path[-1], int):
            wanted.append((rank[names], [s for s in path if isinstance(s, int)], path))
    for _, _, path in sorted(wanted):
        node = engine.node(path)
        relevant = engine.is_relevant(checker.answers, path, now=now, memo=memo)
        if node.is_question:
            checker.question(node, path, relevant)
        elif node.is_repeat:
            checker.repeat(node, path, relevant, descend=False)
    return checker.problems
