"""An answer written as text (an XForm submission's element, an export's cell) read
into the shape Hesabu stores for its question's type (see `forms.spec`).

    read_answer(node, "3")             -> 3            (integer)
    read_answer(node, "fires floods")  -> ["fires", "floods"]   (select_multiple)
    read_answer(node, "-1.3 36.8 0 5") -> "-1.3 36.8 0 5"       (geopoint, tidied)

Blank text is no answer (None). Text that does not fit the type raises `AnswerTextError`
with a message a person can act on; choice names are checked against the form's list.
"""

from __future__ import annotations

import math
import re
from typing import Any

from forms.answer_types import type_problem
from forms.spec import GEO_TYPES, MEDIA_TYPES, MULTI_TYPES, NO_ANSWER_TYPES, FormSpec, Node

#: A calculation's text that is a plain number (no leading zeros, so "0712" stays text).
_NUMBER = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$")
#: What the messages call each kind of value.
_WANTED = {
    "integer": "a whole number",
    "decimal": "a number",
    "range": "a number in the question's range",
    "date": "a date like 2024-05-31",
    "time": "a time like 14:30:00",
    "dateTime": "a date and time like 2024-05-31T14:30:00",
    "geopoint": "a point: latitude longitude [altitude accuracy]",
    "geotrace": "a line of at least two points separated by ';'",
    "geoshape": "a closed shape of at least four points separated by ';'",
    "select_one": "one of the question's choices",
    "select_multiple": "choices of the question, separated by spaces",
    "rank": "choices of the question, separated by spaces",
    "acknowledge": "OK",
}


class AnswerTextError(ValueError):
    """Text that is not an answer of its question's type; the message says why."""


def _number(text: str, whole: bool) -> int | float:
    value = int(text) if whole else float(text)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(text)
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
    return value


def _points(text: str) -> str:
    """Points with single spaces between numbers and ';' between points (Enketo writes
    "; " where Collect writes ";")."""
    return ";".join(" ".join(point.split()) for point in text.split(";") if point.strip())


def _calculated(text: str) -> Any:
    """A calculation's value: a number when the text is one (as a tablet computes it),
    else the text as it is."""
    stripped = text.strip()
    if _NUMBER.match(stripped):
        return _number(stripped, whole="." not in stripped)
    return text


def read_answer(node: Node, text: str | None, spec: FormSpec | None = None) -> Any:
    """The answer `text` gives for `node` (None: no answer); AnswerTextError if it does
    not fit. With `spec`, select answers must be choices of the question's list."""
    if text is None or node.type in NO_ANSWER_TYPES:
        return None
    kind = node.type
    stripped = text.strip()
    if not stripped:
        return None
    try:
        if kind == "integer":
            value: Any = _number(stripped, whole=True)
        elif kind in ("decimal", "range"):
            value = _number(stripped, whole=False)
        elif kind in MULTI_TYPES:
            value = stripped.split()
        elif kind in GEO_TYPES:
            value = _points(stripped)
        elif kind in ("calculate", "hidden"):
            value = _calculated(text)
        elif kind in ("text", "barcode"):
            value = text  # as typed: spaces inside an answer are the person's
        else:
            value = stripped  # selects, dates, media file names, metadata
    except ValueError:
        raise AnswerTextError(_wrong(node, stripped)) from None
    choices = None
    if spec is not None and node.list_name and node.list_name in spec.choices:
        choices = {c.name for c in spec.choice_list(node.list_name)}
    problem = type_problem(node, value, choices)
    if problem is not None:
        if problem.code == "unknown_choice":
            raise AnswerTextError(
                f"{problem.values['value']!r} is not a choice of {node.name} "
                f"(list {node.list_name}: {', '.join(sorted(choices or ()))})")
        raise AnswerTextError(_wrong(node, stripped))
    return value


def _wrong(node: Node, text: str) -> str:
    wanted = _WANTED.get(node.type, f"a {node.type} answer")
    shown = text if len(text) <= 60 else text[:57] + "..."
    article = "an" if node.type[:1] in "aeiou" else "a"
    return f"{shown!r} is not {wanted} ({node.name} is {article} {node.type} question)"


def is_media(node: Node) -> bool:
    return node.type in MEDIA_TYPES
