"""Turn pyxform's error and warning texts into located, coded `FormProblem`s.

pyxform 4.5 reports most problems as text that starts with "[row : N]" and often says
"On the 'SHEET' sheet, the 'COLUMN' value is invalid." We pull the location out of
that text (and out of `PyXFormError.context` when pyxform fills it), then pick a stable
Hesabu code and a hint by matching the rest. The patterns are pinned to pyxform 4.5.0
(see pyproject.toml); `tests/forms/test_loader_errors.py` fails if a new pyxform
changes the wording of the cases we rely on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from forms.errors import ERROR, WARNING, FormProblem

_ROW = re.compile(r"^\s*\[row\s*:\s*(\d+)\]\s*")
_SHEET_COLUMN = re.compile(
    r"On the '(?P<sheet>[^']+)' sheet, the '(?P<column>[^']*)' value(?: '[^']*')? is "
    r"(?:invalid|problematic)\.\s*"
)
_SHEET_ONLY = re.compile(r"On the '(?P<sheet>[^']+)' sheet, [^.]*\.\s*")
_SIMILAR_SHEETS = re.compile(r"sheets with similar names were found: (.+?)\.(?:\s|$)")
_LEARN_MORE = re.compile(r"\s*Learn more: \S+\s*$")


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    code: str
    column: str | None = None
    hint: str | None = None
    # A replacement message; `{0}`, `{1}` ... are the pattern's groups.
    message: str | None = None


_RULES: tuple[_Rule, ...] = (
    _Rule(re.compile(r"You must have a sheet named 'survey'"), "form.missing_survey_sheet",
          hint="add a sheet named 'survey' with at least the columns type, name and label",
          message="the form has no 'survey' sheet"),
    _Rule(re.compile(r"There should be a choices sheet"), "form.missing_choices_sheet",
          hint="add a sheet named 'choices' with the columns list_name, name and label",
          message="the form uses a select question but has no 'choices' sheet"),
    _Rule(re.compile(r"List name not in choices sheet: (\S+)"), "form.missing_choice_list",
          column="type",
          hint="add rows with this list_name to the choices sheet, or fix the list name in "
               "the type",
          message="choice list '{0}' is not on the choices sheet"),
    _Rule(re.compile(r"Unmatched 'begin_(\w+)'\. No matching 'end_\w+' was found for the "
                     r"name '([^']*)'"), "form.unmatched_group", column="type",
          hint="add an 'end {0}' row after the last question of the {0}",
          message="'begin {0}' for '{1}' has no matching 'end {0}'"),
    _Rule(re.compile(r"Unmatched 'end_(\w+)'"), "form.unmatched_group", column="type",
          hint="remove this row or add the matching 'begin {0}' row above it",
          message="'end {0}' has no matching 'begin {0}'"),
    _Rule(re.compile(r"the 'name' value '([^']*)' is invalid\. Questions, groups, and repeats "
                     r"must be unique"), "form.duplicate_name", column="name",
          hint="give each question, group and repeat its own name",
          message="the name '{0}' is used more than once in the same group"),
    _Rule(re.compile(r"Repeat names must unique"), "form.duplicate_name", column="name",
          hint="give each repeat its own name"),
    _Rule(re.compile(r"The name '([^']*)' appears more than once"), "form.duplicate_name",
          hint="give each question its own name so ${{{0}}} means one question",
          message="${{{0}}} is ambiguous: more than one question is named '{0}'"),
    _Rule(re.compile(r"Choice names must be unique"), "form.duplicate_choice", column="name",
          hint="give each choice in a list its own name (or set allow_choice_duplicates)",
          message="this choice name is already used in the same list"),
    _Rule(re.compile(r"Could not find the name '([^']*)'"), "form.unknown_reference",
          hint="check the name or add the question", message="unknown field ${{{0}}}"),
    _Rule(re.compile(r"Reference variables must start with|Reference variable lists must"),
          "form.expression_syntax",
          hint="write references as ${{name}}, with the closing brace",
          message="a ${{...}} reference is not closed or not well formed"),
    _Rule(re.compile(r"Question or group with no name"), "form.missing_name", column="name",
          hint="fill in the name column (letters, digits and _ only)",
          message="this question or group has no name"),
    _Rule(re.compile(r"Question with no type"), "form.missing_type", column="type",
          hint="fill in the type column, or clear the row",
          message="this row has a name or label but no type"),
    _Rule(re.compile(r"Missing calculation"), "form.missing_calculation", column="calculation",
          hint="write the expression to compute in the calculation column",
          message="a calculate question needs a calculation"),
    _Rule(re.compile(r"Unknown question type '([^']*)'"), "form.unknown_type", column="type",
          hint="use one of the XLSForm types (see docs/forms.md)",
          message="unknown question type '{0}'"),
    _Rule(re.compile(r"survey element named '([^']*)' has no label or hint"),
          "form.missing_label", column="label",
          hint="write the question text in the label column (or a hint)",
          message="question '{0}' has no label"),
    _Rule(re.compile(r"Names must begin with a letter"), "form.invalid_name",
          hint="start with a letter or _, then use letters, digits, _, - or ."),
    _Rule(re.compile(r"[Pp]arameter"), "form.invalid_parameters", column="parameters"),
    _Rule(re.compile(r"sheet: '([^']+)'\. One or more required column headers were not "
                     r"found: (.+?)\.(?:\s|$)"), "form.missing_column",
          hint="add the column; row 1 of each sheet holds the column names, check their "
               "spelling",
          message="the {0} sheet has no column {1}"),
    _Rule(re.compile(r"Invalid headers provided for sheet"), "form.invalid",
          hint="the first row of each sheet must hold the column names"),
)


def translate(text: str, *, severity: str = ERROR, context: dict | None = None) -> FormProblem:
    """A `FormProblem` from one pyxform message (error or warning)."""
    context = context or {}
    message = text.strip()
    row: int | None = None
    sheet: str | None = context.get("sheet")
    column: str | None = context.get("column")

    match = _ROW.match(message)
    if match:
        row = int(match.group(1))
        message = message[match.end():]
    if isinstance(context.get("row"), int):
        row = context["row"]
    match = _SHEET_COLUMN.search(message)
    if match:
        sheet = sheet or match.group("sheet")
        column = column or match.group("column")
    else:
        match = _SHEET_ONLY.search(message)
        if match:
            sheet = sheet or match.group("sheet")

    code = "form.invalid" if severity == ERROR else "form.warning"
    hint = None
    for rule in _RULES:
        found = rule.pattern.search(message)
        if not found:
            continue
        code = rule.code
        column = column or rule.column
        if rule.hint:
            hint = rule.hint.format(*found.groups())
        if rule.message:
            message = rule.message.format(*found.groups())
        if code == "form.missing_column":
            sheet, row = found.group(1), 1  # the header row
        break
    similar = _SIMILAR_SHEETS.search(text)
    if similar and code != "form.warning":
        found = f"there is a sheet named {similar.group(1)}: check its spelling"
        hint = f"{found}, or {hint}" if hint else found
    # Where pyxform's own words are kept, drop the location we already show.
    message = _SHEET_COLUMN.sub("", message, count=1)
    if sheet == "settings" and code in ("form.invalid", "form.invalid_name"):
        code = "form.invalid_settings"
    message = _LEARN_MORE.sub("", message).strip()
    column = column or None  # pyxform names an empty header as ''
    if row is not None and sheet is None:
        sheet = "survey"  # pyxform numbers survey rows unless it names another sheet
    return FormProblem(
        message=message, code=code, sheet=sheet, row=row, column=column, hint=hint,
        severity=severity,
    )


def translate_warnings(texts: list[str]) -> list[FormProblem]:
    """One warning `FormProblem` per line: pyxform joins several warnings with newlines."""
    return [
        translate(line, severity=WARNING)
        for text in texts
        for line in str(text).splitlines()
        if line.strip()
    ]
