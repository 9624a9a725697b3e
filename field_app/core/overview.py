"""The whole record at a glance: every group, member and question with its state.

ODK Collect calls this the form hierarchy. The form screen shows it as a list; a tap on
a row goes to that question's page (or a member's first page), and "go to the first
problem" goes to the first question that blocks finalizing.

    rows = overview(nav)
    first_problem(rows)        # the first MISSING or ERROR question row, or None

Rows come in form order. A question that does not apply now is listed (greyed, with
no page): the enumerator sees that it exists and why it is not asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from field_app.core import inputs
from field_app.core.navigation import Navigator, answerable, label, shown
from forms.answers import Path, get, is_empty
from forms.spec import NO_ANSWER_TYPES, SELECT_TYPES, Node
from forms.validation import Problem, validate_record

GROUP, REPEAT, INSTANCE, QUESTION = "group", "repeat", "instance", "question"
#: Question states. MISSING: required and unanswered; ERROR: an answer breaks a rule.
ANSWERED, MISSING, ERROR, EMPTY, NOT_RELEVANT, INFO = (
    "answered", "missing", "error", "empty", "not_relevant", "info")
PROBLEM_STATES = frozenset({MISSING, ERROR})

#: Answers and labels longer than these are cut in the list (the page shows them whole).
SHORT = 48
LONG = 90


@dataclass(frozen=True)
class Row:
    """One line of the overview."""

    kind: str  # GROUP, REPEAT, INSTANCE or QUESTION
    path: Path
    depth: int
    label: str
    #: A question's state; for a group, repeat or instance: MISSING / ERROR when some
    #: question inside has that state, else ANSWERED, or NOT_RELEVANT.
    state: str
    #: The answer as text, the problem's message, or "3/10" answered for a group.
    detail: str = ""
    #: The page showing it (None: it does not apply now, so there is nowhere to go).
    page: int | None = None


def overview(nav: Navigator) -> list[Row]:
    """Every row of the record as it stands, in form order."""
    answers = nav.session.answers
    problems = {p.path: p for p in validate_record(nav.form, answers, language=nav.language)}
    builder = _Builder(nav, answers, problems)
    builder.nodes(nav.form.children, (), 0, True)
    return builder.rows


def first_problem(rows: list[Row]) -> Row | None:
    """The first question that blocks finalizing (and has a page to go to)."""
    return next((r for r in rows if r.kind == QUESTION and r.state in PROBLEM_STATES
                 and r.page is not None), None)


def problem_count(rows: list[Row]) -> int:
    return sum(1 for r in rows if r.kind == QUESTION and r.state in PROBLEM_STATES)


class _Builder:
    def __init__(self, nav: Navigator, answers: Mapping[str, Any],
                 problems: Mapping[Path, Problem]) -> None:
        self.nav = nav
        self.answers = answers
        self.problems = problems
        self.memo: dict[Path, bool] = {}
        self.rows: list[Row] = []

    def relevant(self, path: Path) -> bool:
        return self.nav.engine.is_relevant(self.answers, path, memo=self.memo)

    def text(self, node: Node, path: Path) -> str:
        text = " ".join(self.nav.render(
            label(node, self.nav.language, self.nav.form.default_language), path).split())
        return text if len(text) <= LONG else text[: LONG - 1] + "…"

    def nodes(self, nodes: tuple[Node, ...], prefix: Path, depth: int,
              relevant: bool) -> tuple[int, int, set[str]]:
        """Adds rows for `nodes`; returns (answered, to answer, states seen) inside."""
        answered = total = 0
        states: set[str] = set()
        for node in nodes:
            path = (*prefix, node.name)
            here = relevant and self.relevant(path)
            if node.is_question:
                if not shown(node):
                    continue
                state = self.question(node, path, depth, here)
                states.add(state)
                if here and answerable(node):
                    total += 1
                    answered += state in (ANSWERED, ERROR)
            elif node.is_group:
                a, t, s = self.container(GROUP, node, path, depth, here,
                                         lambda p=path, n=node, h=here: self.nodes(
                                             n.children, p, depth + 1, h))
                answered, total, states = answered + a, total + t, states | s
            elif node.is_repeat:
                a, t, s = self.repeat(node, path, depth, here)
                answered, total, states = answered + a, total + t, states | s
        return answered, total, states

    def container(self, kind: str, node: Node, path: Path, depth: int, here: bool,
                  fill: Any, title: str | None = None) -> tuple[int, int, set[str]]:
        """A group or instance row, then its content; the row's state sums the content."""
        at = len(self.rows)
        self.rows.append(Row(kind, path, depth, title or self.text(node, path), NOT_RELEVANT))
        answered, total, states = fill()
        if kind == GROUP and len(self.rows) == at + 1:  # nothing shown inside (meta)
            self.rows.pop()
            return answered, total, states
        state = (NOT_RELEVANT if not here else ERROR if ERROR in states
                 else MISSING if MISSING in states else ANSWERED)
        self.rows[at] = Row(kind, path, depth, self.rows[at].label, state,
                            f"{answered}/{total}" if here and total else "",
                            self.nav.page_of_node(path) if here else None)
        return answered, total, states

    def repeat(self, node: Node, path: Path, depth: int,
               here: bool) -> tuple[int, int, set[str]]:
        instances = get(self.answers, path) or [] if here else []
        at = len(self.rows)
        self.rows.append(Row(REPEAT, path, depth, self.text(node, path), NOT_RELEVANT))
        answered = total = 0
        states: set[str] = set()
        name = self.text(node, path)
        for i in range(len(instances)):
            instance = (*path, i)
            who = self.nav.instance_summary(path, i)
            title = f"{name} {i + 1}" + (f": {who}" if who else "")
            a, t, s = self.container(INSTANCE, node, instance, depth + 1, True,
                                     lambda p=instance: self.nodes(node.children, p,
                                                                   depth + 2, True),
                                     title=title)
            answered, total, states = answered + a, total + t, states | s
        problem = self.problems.get(path)  # too few members for the count given
        if problem is not None:
            states.add(ERROR)
        state = (NOT_RELEVANT if not here else ERROR if ERROR in states
                 else MISSING if MISSING in states else ANSWERED)
        self.rows[at] = Row(REPEAT, path, depth, name, state,
                            problem.message if problem else str(len(instances)),
                            self.nav.page_of_node(path) if here else None)
        return answered, total, states

    def question(self, node: Node, path: Path, depth: int, here: bool) -> str:
        value = get(self.answers, path)
        problem = self.problems.get(path)
        if not here:
            state, detail = NOT_RELEVANT, ""
        elif problem is not None:
            state = MISSING if problem.code == "required" else ERROR
            detail = problem.message
        elif node.type in NO_ANSWER_TYPES:
            state, detail = INFO, ""
        elif is_empty(value):
            state, detail = EMPTY, ""
        else:
            state, detail = ANSWERED, self.answer_text(node, value)
        self.rows.append(Row(QUESTION, path, depth, self.text(node, path), state, detail,
                             self.nav.page_of(path) if here else None))
        return state

    def answer_text(self, node: Node, value: Any) -> str:
        if node.type in SELECT_TYPES:
            names = value if isinstance(value, list) else [value]
            choices = {c.name: c for c in self.nav.form.choice_list(node.list_name or "")}
            text = ", ".join(self.nav.question_choice_label(choices[n]) if n in choices
                             else str(n) for n in names)
        else:
            text = inputs.as_text(value)
        return text if len(text) <= SHORT else text[: SHORT - 1] + "…"
