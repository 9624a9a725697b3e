"""Load an XLSForm (.xlsx, .xls, .csv, .md or a dict of sheets) into a `FormSpec`.

pyxform 4.5.0 (pinned in pyproject.toml) does the XLSForm work: reading the file, header
aliases, type aliases, group/repeat nesting and most checks. We then build our own
typed `FormSpec` from its parse output, keeping every expression exactly as the
author wrote it, and add the checks pyxform leaves to its XForm step or to the phone
(unknown types, expression syntax, circular calculations).

Places that rely on pyxform internals (private or undocumented) say so in a comment;
`tests/forms/test_real_world_forms.py` compares our result with pyxform's own parse of
several realistic forms, so a pyxform upgrade that changes them fails loudly.

Two things pyxform generates are worth knowing:
- `or_other` selects get a text question `<name>_other`; we keep it (enumerators type
  the "other" answer there) with relevant `selected(${<name>}, 'other')`.
- every form gets a `meta` group with `instanceID` (type `instanceID`; a device stores
  `uuid:<record_id>` there) and, with an instance_name setting, `instanceName` (a
  calculate). We keep both so ${instanceID} works in expressions as it does in ODK.
Other generated helpers (`<repeat>_count` calculates, table-list label rows, names like
`generated_table_list_label_7`) are XForm encoding details and are dropped; the
repeat's `repeat_count` holds the expression as written instead.
"""

from __future__ import annotations

import copy
import hashlib
import threading
from collections.abc import Mapping
from dataclasses import replace
from os import PathLike
from pathlib import Path
from typing import Any

from forms.errors import WARNING, FormError, FormProblem
from forms.form_checks import (
    check_cycles,
    check_expressions,
    check_with_pyxform_builder,
    misspelt_columns,
)
from forms.pyxform_messages import translate, translate_warnings
from forms.spec import FormSpec
from forms.spec_builder import SpecBuilder, survey_rows

Source = str | PathLike[str] | Mapping[str, Any]

#: Suffixes pyxform can read, and what to call them in messages.
FILE_TYPES = {".xlsx": "Excel", ".xlsm": "Excel", ".xls": "Excel 97", ".csv": "CSV",
              ".md": "markdown"}


def load_form(source: Source, *, warnings: list[FormProblem] | None = None) -> FormSpec:
    """Read an XLSForm and return its `FormSpec`; raise `FormError` listing every error.

    `source` is a path to a .xlsx/.xls/.csv/.md file or a dict of sheets (as pyxform
    accepts: {"survey": [{"type": ..., "name": ...}, ...], "choices": [...], ...}).
    Warnings (the form works but something looks off) are appended to `warnings`.
    """
    spec, problems = _load_cached(source)
    if spec is None or any(p.is_error for p in problems):
        raise FormError(problems)
    if warnings is not None:
        warnings.extend(problems)
    return spec


def check_form(source: Source) -> list[FormProblem]:
    """Every error and warning in a form, in form order, without raising."""
    _, problems = _load_cached(source)
    return sorted(problems, key=lambda p: not p.is_error)


#: Recently loaded files by (path, SHA-256 of their bytes). Loading the 200-question KYC
#: profile takes about a second (openpyxl and pyxform's XForm check); servers, tests and
#: the CLI load the same few files again and again. A FormSpec is immutable, so sharing
#: one is safe; a changed file has a new digest and is loaded afresh.
_CACHE: dict[tuple[str, str], tuple[FormSpec | None, tuple[FormProblem, ...]]] = {}
_CACHE_SIZE = 32
_CACHE_LOCK = threading.Lock()


def _load_cached(source: Source) -> tuple[FormSpec | None, list[FormProblem]]:
    if isinstance(source, Mapping):
        return _load(source)
    path = Path(source)
    try:
        content = path.read_bytes()
    except OSError:
        return _load(source)  # missing or unreadable: _load says so
    key = (str(path.resolve()), hashlib.sha256(content).hexdigest())
    cached = _CACHE.get(key)
    if cached is None:
        # Parse the bytes we hashed, not the file again: it may change in between.
        spec, problems = _load(source, content)
        cached = (spec, tuple(problems))
        with _CACHE_LOCK:  # a server may load forms from several threads
            while len(_CACHE) >= _CACHE_SIZE:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[key] = cached
    return cached[0], list(cached[1])


# -- reading ----------------------------------------------------------------------


class _Stop(Exception):
    """Internal: loading cannot go on; carries the problems found so far."""

    def __init__(self, problems: list[FormProblem]) -> None:
        super().__init__()
        self.problems = problems


def _load(source: Source, content: bytes | None = None
          ) -> tuple[FormSpec | None, list[FormProblem]]:
    pyxform_warnings: list[str] = []
    try:
        workbook = _read(source, content)
        parsed = _parse(workbook, pyxform_warnings)
        rows = survey_rows(workbook, parsed)
        builder = SpecBuilder(rows)
        spec = builder.form(parsed, workbook)
    except _Stop as stop:
        return None, stop.problems + translate_warnings(pyxform_warnings)
    problems = misspelt_columns(workbook) + builder.problems
    if not any(p.is_error for p in problems):
        problems += check_expressions(spec)
    if not any(p.is_error for p in problems):
        problems += check_cycles(spec)
    if not any(p.is_error for p in problems):
        # An XForm has one title: translated titles (form_title::<language>) stay ours.
        untranslated = {**parsed, "title": spec.title} if spec.titles else parsed
        problems += check_with_pyxform_builder(untranslated, pyxform_warnings, spec)
    problems += translate_warnings(pyxform_warnings)
    if not any(n.row is not None for n in spec.walk()):
        problems.append(FormProblem(
            "the form has no questions", code="form.empty", sheet="survey", severity=WARNING,
            hint="add rows with a type, name and label to the survey sheet",
        ))
    if not spec.version:
        problems.append(FormProblem(
            "the form has no version", code="form.no_version", sheet="settings",
            column="version", severity=WARNING,
            hint="add a version (e.g. 2024061501) so devices can tell versions apart",
        ))
    return spec, problems


def _read(source: Source, content: bytes | None = None) -> Any:
    """pyxform's sheet data for `source` (a `DefinitionData`); `content`: the file's bytes."""
    # pyxform internals: get_xlsform/DefinitionData/Definition are what its own convert()
    # uses between reading a path and parsing the sheets.
    from io import BytesIO

    from pyxform.errors import PyXFormError
    from pyxform.xls2json_backends import (
        Definition,
        DefinitionData,
        SupportedFileTypes,
        get_xlsform,
    )

    if isinstance(source, Mapping):
        known = set(DefinitionData.__slots__)
        sheets = {k.lower(): copy.deepcopy(v) for k, v in source.items() if k.lower() in known}
        sheets.setdefault("sheet_names", [k for k in source if not k.endswith("_header")])
        return DefinitionData(**sheets)

    path = Path(source)
    if not path.is_file():
        raise _Stop([FormProblem(
            f"no form file at {path}", code="form.file_not_found",
            hint="check the path" if not path.exists() else "give a file, not a folder",
        )])
    if path.suffix.lower() not in FILE_TYPES:
        raise _Stop([FormProblem(
            f"{path.name} is not a form file Hesabu can read", code="form.unsupported_file",
            hint="save the form as .xlsx (or .xls, .csv, .md)",
        )])
    try:
        # pyxform picks the reader from the suffix and, if it fails, tries the others;
        # a file that none can read ends up as a PyXFormError.
        if content is None:
            content = path.read_bytes()
        kind = next((t for t in SupportedFileTypes if t.value == path.suffix.lower()), None)
        return get_xlsform(xlsform=Definition(BytesIO(content), kind, path.stem))
    except (PyXFormError, OSError, ValueError, KeyError, TypeError, IndexError) as err:
        kind = FILE_TYPES[path.suffix.lower()]
        # pyxform's "not recognized as a supported type" only repeats what we say.
        detail = "" if "was not recognized" in str(err) else f" ({err})"
        raise _Stop([FormProblem(
            f"{path.name} could not be read as a {kind} file{detail}",
            code="form.unreadable",
            hint="open it in a spreadsheet program and save it again as .xlsx; "
                 "a renamed or damaged file cannot be read",
        )]) from err


def _parse(workbook: Any, warnings: list[str]) -> dict[str, Any]:
    """pyxform's nested parse output (the dict its XForm builder consumes)."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2json import workbook_to_json

    try:
        # workbook_to_json mutates its input (it edits rows in place): give it a copy.
        return workbook_to_json(
            workbook_dict=copy.deepcopy(workbook),
            fallback_form_name=workbook.fallback_form_name,
            warnings=warnings,
        )
    except PyXFormError as err:
        problem = translate(str(err), context=getattr(err, "context", None))
        if problem.code == "form.missing_choices_sheet":
            problem = _at_first_select(problem, workbook)
        raise _Stop([problem]) from err
    except (KeyError, TypeError, AttributeError, ValueError) as err:
        # pyxform fails this way on some malformed sheets (e.g. a header-less dict).
        raise _Stop([FormProblem(f"the form could not be read: {err!r}", code="form.invalid",
                                 hint="compare the sheets with the XLSForm template")]) from err


def _at_first_select(problem: FormProblem, workbook: Any) -> FormProblem:
    """pyxform names no row for a missing choices sheet: point at the first select."""
    for number, cells in enumerate(workbook.survey or [], start=2):
        kind = str(cells.get("type", "")).strip()
        if kind.startswith(("select", "rank")):
            return replace(problem, sheet="survey", row=number, column="type")
    return problem
