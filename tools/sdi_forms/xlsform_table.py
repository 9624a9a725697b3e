"""Readable Python tables for multilingual XLSForms, and the writer that makes the .xlsx.

A form module builds a `Form` from small helpers:

    q("integer", "C9_Households", T("Households", "Ménages", "Agregados", "Kaya"),
      constraint=". >= 0", msg=NOT_NEGATIVE)

`T` holds one text in the four languages every SDI form carries. `write_xlsx` lays the
rows out as the sheets survey / choices / settings with `label::English (en)` style
columns, and saves a byte-for-byte reproducible file (fixed zip and document dates), so
regenerating an unchanged form leaves git clean.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

#: (code, column suffix) of each language, in column order. English is the default.
LANGUAGES: tuple[tuple[str, str], ...] = (
    ("en", "English (en)"),
    ("fr", "French (fr)"),
    ("pt", "Portuguese (pt)"),
    ("sw", "Swahili (sw)"),
)
DEFAULT_LANGUAGE = LANGUAGES[0][1]

#: Columns holding translated text, in the order they appear on the survey sheet.
TRANSLATED_COLUMNS = ("label", "hint", "constraint_message", "required_message")
#: Plain (untranslated) survey columns, in sheet order.
PLAIN_COLUMNS = (
    "required", "relevant", "constraint", "calculation", "default", "read_only",
    "appearance", "parameters", "choice_filter", "repeat_count",
)

# A fixed timestamp for the zip entries and document properties (the zip epoch).
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_FIXED_W3C_TIME = "1980-01-01T00:00:00Z"


@dataclass(frozen=True)
class T:
    """One text in English, French, Portuguese and Swahili."""

    en: str
    fr: str
    pt: str
    sw: str

    def by_code(self, code: str) -> str:
        return str(getattr(self, code))

    def fmt(self, **values: T | str) -> T:
        """Fill `{name}` placeholders; a `T` value fills each language with its own text."""

        def one(code: str) -> str:
            filled = {k: (v.by_code(code) if isinstance(v, T) else v) for k, v in values.items()}
            return self.by_code(code).format(**filled)

        return T(*(one(code) for code, _ in LANGUAGES))


@dataclass(frozen=True)
class Row:
    """One survey-sheet row: a question, a group/repeat boundary, a note or a calculation."""

    type: str
    name: str = ""
    text: dict[str, T] = field(default_factory=dict)  # translated columns
    plain: dict[str, str] = field(default_factory=dict)  # untranslated columns


@dataclass(frozen=True)
class Form:
    """Everything one XLSForm file holds."""

    form_id: str
    #: The title in every language (settings `form_title` in English, and Hesabu's
    #: `translated_title::<language>` columns, which other XLSForm tools ignore).
    title: T
    version: str
    instance_name: str
    survey: tuple[Row, ...]
    choices: tuple[tuple[str, str, T], ...]  # (list_name, name, label)
    filename: str = ""

    @property
    def file_name(self) -> str:
        return self.filename or f"{self.form_id}.xlsx"


# Messages shared by many questions.
REQUIRED = T(
    "An answer is needed here.",
    "Une réponse est nécessaire ici.",
    "É necessária uma resposta aqui.",
    "Jibu linahitajika hapa.",
)
NOT_NEGATIVE = T(
    "Cannot be negative.",
    "Ne peut pas être négatif.",
    "Não pode ser negativo.",
    "Haiwezi kuwa hasi.",
)
PERCENT = T(
    "A percentage from 0 to 100.",
    "Un pourcentage de 0 à 100.",
    "Uma percentagem de 0 a 100.",
    "Asilimia kati ya 0 na 100.",
)
MINUTES = T(
    "Minutes, from 0 to 600.",
    "Minutes, de 0 à 600.",
    "Minutos, de 0 a 600.",
    "Dakika, kati ya 0 na 600.",
)


def q(
    type_: str,
    name: str,
    label: T,
    *,
    hint: T | None = None,
    required: bool | str = True,
    relevant: str | None = None,
    constraint: str | None = None,
    msg: T | None = None,
    calculation: str | None = None,
    appearance: str | None = None,
    default: str | None = None,
    parameters: str | None = None,
    choice_filter: str | None = None,
) -> Row:
    """A question. Required by default: a profile is only useful when it is complete."""
    if constraint and msg is None:
        raise ValueError(f"{name}: a constraint needs a message people can act on")
    text: dict[str, T] = {"label": label}
    plain: dict[str, str] = {}
    if hint:
        text["hint"] = hint
    if required:
        plain["required"] = "yes" if required is True else str(required)
        text["required_message"] = REQUIRED
    for key, value in (
        ("relevant", relevant), ("constraint", constraint), ("calculation", calculation),
        ("appearance", appearance), ("default", default), ("parameters", parameters),
        ("choice_filter", choice_filter),
    ):
        if value:
            plain[key] = value
    if msg:
        text["constraint_message"] = msg
    return Row(type_, name, text, plain)


def count(name: str, label: T, *, hint: T | None = None, maximum: int | None = None,
          relevant: str | None = None, required: bool | str = True) -> Row:
    """A whole number that cannot be negative (and, given `maximum`, not above it)."""
    if maximum is None:
        return q("integer", name, label, hint=hint, relevant=relevant, required=required,
                 constraint=". >= 0", msg=NOT_NEGATIVE)
    msg = T(
        f"From 0 to {maximum}.",
        f"De 0 à {maximum}.",
        f"De 0 a {maximum}.",
        f"Kati ya 0 na {maximum}.",
    )
    return q("integer", name, label, hint=hint, relevant=relevant, required=required,
             constraint=f". >= 0 and . <= {maximum}", msg=msg)


def percent(name: str, label: T, *, hint: T | None = None, relevant: str | None = None) -> Row:
    return q("integer", name, label, hint=hint, relevant=relevant,
             constraint=". >= 0 and . <= 100", msg=PERCENT)


def minutes(name: str, label: T, *, hint: T | None = None, relevant: str | None = None,
            required: bool | str = True) -> Row:
    return q("integer", name, label, hint=hint, relevant=relevant, required=required,
             constraint=". >= 0 and . <= 600", msg=MINUTES)


def sum_of(names: Sequence[str]) -> str:
    """`${a} + ${b} + ...` for a calculation or constraint."""
    return " + ".join(f"${{{n}}}" for n in names)


def calculate(name: str, calculation: str) -> Row:
    return Row("calculate", name, {}, {"calculation": calculation})


def note(name: str, label: T, *, relevant: str | None = None) -> Row:
    return Row("note", name, {"label": label}, {"relevant": relevant} if relevant else {})


def group(name: str, label: T, rows: Iterable[Row], *, relevant: str | None = None,
          appearance: str | None = None) -> list[Row]:
    plain = {k: v for k, v in (("relevant", relevant), ("appearance", appearance)) if v}
    return [Row("begin_group", name, {"label": label}, plain), *rows, Row("end_group", name)]


def repeat(name: str, label: T, rows: Iterable[Row], *, relevant: str | None = None,
           repeat_count: str | None = None) -> list[Row]:
    plain = {k: v for k, v in (("relevant", relevant), ("repeat_count", repeat_count)) if v}
    return [Row("begin_repeat", name, {"label": label}, plain), *rows, Row("end_repeat", name)]


def choice_list(list_name: str, options: Sequence[tuple[str, T]]) -> list[tuple[str, str, T]]:
    return [(list_name, name, label) for name, label in options]


# -- writing -----------------------------------------------------------------------------
def _columns(rows: Sequence[Row]) -> list[str]:
    """Only the columns some row uses, in a stable, conventional order."""
    used_text = {k for r in rows for k in r.text}
    used_plain = {k for r in rows for k in r.plain}
    cols = ["type", "name"]
    for key in TRANSLATED_COLUMNS:
        if key in used_text:
            cols += [f"{key}::{suffix}" for _, suffix in LANGUAGES]
    cols += [k for k in PLAIN_COLUMNS if k in used_plain]
    return cols


def _cell(row: Row, column: str) -> str | None:
    if column == "type":
        return row.type.replace("_", " ", 1) if row.type.startswith(("begin_", "end_")) \
            else row.type
    if column == "name":
        return row.name or None
    if "::" in column:
        key, suffix = column.split("::", 1)
        text = row.text.get(key)
        if text is None:
            return None
        code = next(c for c, s in LANGUAGES if s == suffix)
        return text.by_code(code)
    return row.plain.get(column)


def sheet_rows(form: Form) -> dict[str, list[list[str | None]]]:
    """The three sheets as lists of rows (header first): what `write_xlsx` writes."""
    cols = _columns(form.survey)
    survey = [list(cols)] + [[_cell(r, c) for c in cols] for r in form.survey]
    choice_cols = ["list_name", "name"] + [f"label::{s}" for _, s in LANGUAGES]
    choices = [choice_cols] + [
        [ln, name, *(label.by_code(c) for c, _ in LANGUAGES)] for ln, name, label in form.choices
    ]
    settings = [
        ["form_id", "form_title", "version", "default_language", "instance_name",
         *(f"translated_title::{s}" for _, s in LANGUAGES)],
        [form.form_id, form.title.en, form.version, DEFAULT_LANGUAGE, form.instance_name,
         *(form.title.by_code(c) for c, _ in LANGUAGES)],
    ]
    return {"survey": survey, "choices": choices, "settings": settings}


def to_xlsx_bytes(form: Form) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    for title, rows in sheet_rows(form).items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
        for cell in ws[1]:
            cell.font = bold
        ws.freeze_panes = "C2" if title == "survey" else "A2"
        for col_cells in ws.columns:
            longest = max(len(str(c.value or "")) for c in col_cells)
            ws.column_dimensions[col_cells[0].column_letter].width = min(max(10, longest + 2), 60)
    raw = io.BytesIO()
    wb.save(raw)
    return _reproducible(raw.getvalue())


def _reproducible(xlsx: bytes) -> bytes:
    """Same content, same bytes: pin zip entry dates and the document's created/modified."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                    rb"\g<1>" + _FIXED_W3C_TIME.encode() + rb"\g<2>",
                    data,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, data)
    return out.getvalue()


def write_xlsx(form: Form, directory: Path) -> Path:
    path = directory / form.file_name
    path.write_bytes(to_xlsx_bytes(form))
    return path
