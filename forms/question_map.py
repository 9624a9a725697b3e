"""Which question of a form holds each input of a computation, declared as data.

Code that reads the answers of a known form (the settlement profile indicators) names its
inputs ("population"); a mapping file kept with the form definitions says which question
holds each one, by its path in the form ("section_C/C12_Total_Population"). A federation
whose variant of the form names or places a question differently then changes the
mapping, not the code. `check_questions` checks a mapping against a form; a record's
answer at a mapped path is `forms.answers.get(answers, path)`.

    >>> from forms.loader import load_form
    >>> form = load_form({"survey": [
    ...     {"type": "begin_group", "name": "people", "label": "People"},
    ...     {"type": "integer", "name": "households", "label": "Households"},
    ...     {"type": "end_group"}], "settings": [{"form_id": "counts"}]})
    >>> households = question_path("people/households")
    >>> check_questions(form, [("households", households, NUMBER)])
    >>> from forms import answers
    >>> answers.get({"people": {"households": 120}}, households)
    120
    >>> check_questions(form, [("size", question_path("people/size"), NUMBER)])
    Traceback (most recent call last):
    ...
    forms.question_map.QuestionMapError: size: the form counts has no question people/size
"""

from __future__ import annotations

from collections.abc import Iterable

from forms.spec import FormSpec

#: An input read as a number, as text (a name, a date, a choice's name), as a point
#: (longitude, latitude) or as a shape (a closed ring of points).
NUMBER = "number"
TEXT = "text"
POINT = "point"
SHAPE = "shape"
#: The question types whose answers each kind of input can read.
KIND_TYPES: dict[str, frozenset[str]] = {
    NUMBER: frozenset({"integer", "decimal", "range", "calculate"}),
    TEXT: frozenset({"text", "select_one", "date", "datetime", "time", "barcode",
                     "calculate"}),
    POINT: frozenset({"geopoint"}),
    SHAPE: frozenset({"geoshape"}),
}

#: A question's path in the form: the names of its groups, then its own name.
QuestionPath = tuple[str, ...]


class QuestionMapError(ValueError):
    """A mapping names a question the form lacks, or one whose answer does not fit."""


def question_path(written: str) -> QuestionPath:
    """"section_C/C12_Total_Population" as a path; QuestionMapError when empty."""
    path = tuple(step for step in written.strip().strip("/").split("/") if step)
    if not path:
        raise QuestionMapError(f"{written!r} is not a question path (group/name)")
    return path


def check_questions(form: FormSpec, inputs: Iterable[tuple[str, QuestionPath, str]]) -> None:
    """Check that each (input, question path, kind) names a question of `form`, outside
    any repeat, whose type the kind can read. Raises QuestionMapError naming every input
    that does not, one per line."""
    problems = []
    for name, path, kind in inputs:
        written = "/".join(path)
        try:
            node = form.node(path)
        except KeyError:
            problems.append(f"{name}: the form {form.id} has no question {written}")
            continue
        if not node.is_question:
            problems.append(f"{name}: {written} is a {node.kind}, not a question")
        elif node.type not in KIND_TYPES[kind]:
            problems.append(f"{name}: {written} is a {node.type} question, which does not "
                            f"answer with a {kind}")
        elif any(form.node(path[:depth]).is_repeat for depth in range(1, len(path))):
            problems.append(f"{name}: {written} is inside a repeat (one answer per "
                            f"instance), not one answer per record")
    if problems:
        raise QuestionMapError("\n".join(problems))
