"""Problems found in an XLSForm, and the exception that carries them.

A `FormProblem` says where (sheet, row, column), what is wrong and what to do, in words a
form author understands. Codes are stable (`form.unknown_type`, ...) so people and
tools can look them up; `CODES` lists every one with a one-line meaning.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"

#: Every problem code the loader emits, with what it means (docs/forms.md repeats it).
CODES: dict[str, str] = {
    "form.file_not_found": "the form file does not exist",
    "form.unsupported_file": "the file is not .xlsx, .xls, .csv or .md",
    "form.unreadable": "the file could not be read as a spreadsheet (corrupt or renamed)",
    "form.missing_survey_sheet": "there is no 'survey' sheet",
    "form.missing_choices_sheet": "a select question needs a 'choices' sheet and there is none",
    "form.missing_choice_list": "a select question names a choice list that does not exist",
    "form.unknown_type": "the 'type' is not an XLSForm question type",
    "form.unsupported_type": "an XLSForm type Hesabu cannot collect (external files, OSM, ...)",
    "form.missing_type": "a row has a name or label but no type",
    "form.missing_column": "a sheet lacks a column XLSForm requires (type, name, list_name)",
    "form.missing_name": "a question or group has no name",
    "form.missing_label": "a question has neither a label nor a hint",
    "form.invalid_name": "a name is not a valid XML name",
    "form.duplicate_name": "two questions, groups or repeats share a name",
    "form.duplicate_choice": "two choices in one list share a name",
    "form.unmatched_group": "a begin group/repeat has no matching end, or the other way round",
    "form.missing_calculation": "a calculate question has no calculation",
    "form.unknown_reference": "an expression refers to ${name} and no question has that name",
    "form.expression_syntax": "an expression cannot be parsed",
    "form.calculation_cycle": "calculations depend on each other in a circle",
    "form.invalid_parameters": "the 'parameters' column is not valid for this type",
    "form.invalid_settings": "a value on the settings sheet is not valid",
    "form.invalid": "another problem reported by the XLSForm converter (pyxform)",
    "form.no_version": "the settings sheet has no version",
    "form.empty": "the survey sheet has no questions",
    "form.unknown_column": "a column looks like a misspelt XLSForm column and is ignored",
    "form.warning": "a warning from the XLSForm converter (pyxform)",
}


@dataclass(frozen=True)
class FormProblem:
    """One thing wrong (or worth a look) in a form, located as precisely as known."""

    message: str
    code: str = "form.invalid"
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    hint: str | None = None
    severity: str = ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def location(self) -> str:
        """E.g. "survey sheet, row 12, column 'relevant'" (empty when unknown)."""
        parts = []
        if self.sheet:
            parts.append(f"{self.sheet} sheet")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        text = self.message if not self.location else f"{self.location}: {self.message}"
        return f"{text}; {self.hint}" if self.hint else text

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
            "hint": self.hint,
        }


class FormError(Exception):
    """The form cannot be used; `problems` says every reason found (errors first)."""

    def __init__(self, problems: Iterable[FormProblem] | FormProblem) -> None:
        if isinstance(problems, FormProblem):
            problems = [problems]
        ordered = sorted(problems, key=lambda p: not p.is_error)  # stable: keeps form order
        if not ordered:
            raise ValueError("FormError needs at least one problem")
        self.problems: list[FormProblem] = ordered
        super().__init__(str(self))

    @property
    def errors(self) -> list[FormProblem]:
        return [p for p in self.problems if p.is_error]

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.problems]

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)
