"""Checks on a built `FormSpec` that pyxform's parse step does not make.

Unique names across the whole form, expression syntax and ${name} references
(`forms.expressions`), circular calculations (`forms.dependencies`), and pyxform's own
XForm step as a last net for anything else it rejects.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from forms.errors import WARNING, FormError, FormProblem
from forms.pyxform_messages import translate
from forms.spec import FormSpec, Node

#: Node fields that hold an expression, with the XLSForm column they come from.
EXPRESSION_COLUMNS = (
    ("relevant", "relevant"),
    ("constraint", "constraint"),
    ("calculation", "calculation"),
    ("required", "required"),
    ("read_only", "read_only"),
    ("choice_filter", "choice_filter"),
    ("repeat_count", "repeat_count"),
    ("trigger", "trigger"),
)


def duplicate_names(spec: FormSpec) -> list[FormProblem]:
    """Names must be unique in the whole form so ${name} always means one question."""
    first: dict[str, Node] = {}
    problems = []
    for node in spec.walk():
        if node.name in first:
            other = first[node.name]
            where = f"row {other.row}" if other.row else "/".join(other.path)
            problems.append(FormProblem(
                f"the name '{node.name}' is already used at {where}",
                code="form.duplicate_name", sheet="survey", row=node.row, column="name",
                hint="give each question, group and repeat its own name, even in "
                     "different groups",
            ))
        else:
            first[node.name] = node
    return problems


def check_expressions(spec: FormSpec) -> list[FormProblem]:
    """Syntax of every expression, and ${name} references to questions that exist."""
    from forms import expressions

    problems = duplicate_names(spec)
    names = {n.name for n in spec.walk()}
    for node in spec.walk():
        if node.path == ("meta", "instanceName"):
            continue  # the settings' instance_name, checked below where it is written
        for attr, column in EXPRESSION_COLUMNS:
            text = getattr(node, attr)
            if text and not (attr == "trigger" and "${" in text and _only_refs(text)):
                problems += _check_one(expressions, text, names, "survey", node.row, column)
        if node.default and _default_is_dynamic(node):
            problems += _check_one(expressions, node.default, names, "survey", node.row,
                                   "default")
    if spec.instance_name:
        problems += _check_one(expressions, spec.instance_name, names, "settings", 2,
                               "instance_name")
    return problems


def _only_refs(text: str) -> bool:
    return re.fullmatch(r"\s*(\$\{[^}]+\}\s*,?\s*)+", text) is not None


def _default_is_dynamic(node: Node) -> bool:
    from pyxform.utils import default_is_dynamic  # pyxform internals: same rule it uses

    return bool(default_is_dynamic(node.default, node.type))


def _check_one(
    expressions: Any, text: str, names: set[str], sheet: str, row: int | None, column: str
) -> list[FormProblem]:
    try:
        expressions.parse(text)
        references = expressions.compile_expression(text).references
    except expressions.ExpressionError as err:
        position = getattr(err, "position", None)
        where = f" at character {position + 1}" if isinstance(position, int) else ""
        reason = getattr(err, "reason", None) or getattr(err, "message", None) or str(err)
        return [FormProblem(
            f"cannot read the expression{where}: {reason}", code="form.expression_syntax",
            sheet=sheet, row=row, column=column,
            hint=f"check brackets, quotes and operators in: {text}",
        )]
    return [
        FormProblem(f"unknown field ${{{name}}}", code="form.unknown_reference", sheet=sheet,
                    row=row, column=column, hint="check the name or add the question")
        for name in sorted(set(references) - names)
    ]


def check_cycles(spec: FormSpec) -> list[FormProblem]:
    from forms.dependencies import check_cycles as find_cycles

    try:
        find_cycles(spec)
    except FormError as err:
        return list(err.problems)
    return []


def check_with_pyxform_builder(
    parsed: Mapping[str, Any], warnings: list[str], spec: FormSpec
) -> list[FormProblem]:
    """Run pyxform's XForm step too: it catches a few things its parse step does not."""
    from pyxform.builder import create_survey_element_from_dict
    from pyxform.errors import PyXFormError

    try:
        survey = create_survey_element_from_dict(copy.deepcopy(dict(parsed)))
        survey.to_xml(validate=False, pretty_print=False, warnings=warnings)
    except PyXFormError as err:
        problem = translate(str(err), context=getattr(err, "context", None))
        # This step's messages name the element but not its row: find the row.
        named = re.search(r"named '([^']+)'|question '([^']+)'", problem.message)
        if problem.row is None and named:
            try:
                node = spec.find(named.group(1) or named.group(2))
            except KeyError:
                node = None
            if node is not None and node.row is not None:
                problem = replace(problem, sheet="survey", row=node.row)
        return [problem]
    return []


#: Survey columns an author may write (besides pyxform's aliases), for spelling hints.
_SURVEY_COLUMNS = {
    "type", "name", "label", "hint", "guidance_hint", "required", "required_message",
    "relevant", "constraint", "constraint_message", "calculation", "default", "read_only",
    "appearance", "parameters", "choice_filter", "repeat_count", "trigger", "image", "audio",
    "video", "big-image", "media", "disabled", "save_to",
}
_CHOICES_COLUMNS = {"list_name", "name", "label", "image", "audio", "video", "big-image",
                    "media"}


def misspelt_columns(workbook: Any) -> list[FormProblem]:
    """Warn about a column that looks like a misspelt XLSForm column ('lable', 'relevent').

    pyxform silently ignores columns it does not know, so a misspelt `relevant` column
    would make a question always shown. Columns with no close match (a team's own
    'notes' column) are left alone.
    """
    import difflib

    from pyxform import aliases

    problems = []
    for sheet, header, known in (
        ("survey", workbook.survey_header, _SURVEY_COLUMNS | set(aliases.survey_header)),
        ("choices", workbook.choices_header, _CHOICES_COLUMNS | set(aliases.list_header)),
    ):
        for column in (header[0] if header else {}):
            base = str(column).split("::")[0].strip()
            if not base or base.lower() in {k.lower() for k in known} or ":" in base:
                continue
            close = difflib.get_close_matches(base.lower(), sorted(known), n=1, cutoff=0.75)
            if close:
                problems.append(FormProblem(
                    f"column '{column}' is not an XLSForm column, so it is ignored",
                    code="form.unknown_column", sheet=sheet, row=1, column=str(column),
                    hint=f"did you mean '{close[0]}'?", severity=WARNING,
                ))
    return problems
