"""Labels, hints and messages with `${name}` in them, as people read them.

An XLSForm text may name a question: a hint "There are ${C12} people in the
settlement", a repeat label "Member ${member_name}", a constraint message "No more
than ${C9} households". ODK Collect shows that question's current answer in its place;
`render_text` does the same:

    >>> from forms.loader import load_form
    >>> form = load_form({"survey": [
    ...     {"type": "begin_repeat", "name": "members", "label": "Members"},
    ...     {"type": "text", "name": "m_name", "label": "Name"},
    ...     {"type": "integer", "name": "age", "label": "Age of ${m_name}"},
    ...     {"type": "end_repeat"}]})
    >>> answers = {"members": [{"m_name": "Amina", "age": 40}, {"m_name": "Baraka", "age": 9}]}
    >>> render_text("Age of ${m_name}", form, answers, ("members", 1, "age"))
    'Age of Baraka'
    >>> render_text("First member: ${m_name}", form, answers)
    'First member: Amina'

A reference resolves as in expressions, relative to the path of what is shown: inside
a repeat instance a sibling means the one in the same instance (ODK's rule), from
outside a repeat the first instance. Values are shown for people: unanswered is
empty, 12.0 is "12", a select shows its choices' labels in the language asked for.
A name the form does not have (the form checker refuses those) is empty, never an
error: a label must always show.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from forms.answers import Path
from forms.recompute import FormEngine
from forms.record_messages import pick_text
from forms.spec import MULTI_TYPES, SELECT_TYPES, FormSpec, Node
from forms.xpath.errors import ExpressionError
from forms.xpath.tree import form_index

__all__ = ["choice_labels", "display_value", "has_references", "render_text"]

#: `${name}` as pyxform reads it in labels (spaces inside the braces tolerated).
REFERENCE = re.compile(r"\$\{\s*([^{}\s]*)\s*\}")


def has_references(text: str | None) -> bool:
    """Whether `text` names a question (so it changes with the answers)."""
    return bool(text) and "${" in text  # type: ignore[operator]


def render_text(text: str | None, form: FormSpec, answers: Mapping[str, Any] | None,
                path: Path = (), *, language: str | None = None) -> str:
    """`text` with each `${name}` replaced by that question's answer, for people.

    `path` is the concrete path of the question (or group, or repeat instance) the
    text belongs to: ("members", 1, "age") with 0-based positions. `language` is a
    form language ("Swahili (sw)") or a code ("sw"), for choice labels.
    """
    if not text:
        return ""
    if "${" not in text:
        return text
    engine = FormEngine.for_form(form)
    record = answers or {}

    def value_of(match: re.Match[str]) -> str:
        return _reference(engine, record, tuple(path), match.group(1), language)

    return REFERENCE.sub(value_of, text)


def _reference(engine: FormEngine, answers: Mapping[str, Any], path: Path, name: str,
               language: str | None) -> str:
    form = engine.form
    steps = form_index(form).steps_by_name.get(name)
    if not steps:
        return ""  # not a question of this form (last-saved#..., a typo the checker missed)
    node = engine.node(tuple(step for step, _ in steps))
    if not node.is_question:
        return ""
    try:
        # [1]: from outside a repeat, the first instance's answer (XPath's string()).
        value = engine.evaluate(f"${{{name}}}[1]", answers, path)
    except ExpressionError:
        return ""
    return display_value(node, value, form, language)


def display_value(node: Node, value: Any, form: FormSpec, language: str | None = None) -> str:
    """A question's answer as a person reads it: "" when unanswered, numbers without a
    trailing ".0", choices by their label (several joined with ", ")."""
    if value is None or value == "" or value == []:
        return ""
    if node.type in SELECT_TYPES:
        names = value.split() if isinstance(value, str) and node.type in MULTI_TYPES else value
        if not isinstance(names, list):
            names = [names]
        labels = choice_labels(node, form, language)
        return ", ".join(labels.get(str(n), str(n)) for n in names)
    if isinstance(value, list):  # several answers (should not happen for a question)
        return ", ".join(display_value(node, v, form, language) for v in value)
    return _plain(value)


def choice_labels(node: Node, form: FormSpec, language: str | None = None) -> dict[str, str]:
    """A select's choices: name -> label in `language` (else the form's default language,
    else any), the name when a choice has no label."""
    out: dict[str, str] = {}
    for choice in form.choice_list(node.list_name or ""):
        out[choice.name] = pick_text(choice.label, language, form.default_language) or choice.name
    return out


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"  # XPath's string() of a boolean
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""  # NaN: a calculation over unanswered questions
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        text = f"{value:.10f}".rstrip("0").rstrip(".")  # 0.1 + 0.2 reads as 0.3
        return "0" if text in ("-0", "") else text
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)
