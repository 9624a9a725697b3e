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
import difflib
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import Any

from forms.errors import WARNING, FormError, Problem
from forms.pyxform_messages import translate, translate_warnings
from forms.spec import DEFAULT_LANG, GROUP, QUESTION, REPEAT, SELECT_TYPES, Choice, FormSpec, Node
from forms.xlsform_types import (
    CANONICAL,
    CONSTRAINED_ALIASES,
    FILE_LIST_SUFFIXES,
    UNSUPPORTED,
    canonical_type,
)

Source = str | PathLike[str] | Mapping[str, Any]

#: Suffixes pyxform can read, and what to call them in messages.
FILE_TYPES = {".xlsx": "Excel", ".xlsm": "Excel", ".xls": "Excel 97", ".csv": "CSV",
              ".md": "markdown"}

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

# Names pyxform gives to helper rows it adds for table-list groups (pyxform internals).
_TABLE_LIST_HELPERS = ("generated_table_list_label_", "reserved_name_for_field_list_labels_")


def load_form(source: Source, *, warnings: list[Problem] | None = None) -> FormSpec:
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


def check_form(source: Source) -> list[Problem]:
    """Every error and warning in a form, in form order, without raising."""
    _, problems = _load_cached(source)
    return sorted(problems, key=lambda p: not p.is_error)


#: Recently loaded files by (path, SHA-256 of their bytes). Loading the 200-question KYC
#: profile takes about a second (openpyxl and pyxform's XForm check); servers, tests and
#: the CLI load the same few files again and again. A FormSpec is immutable, so sharing
#: one is safe; a changed file has a new digest and is loaded afresh.
_CACHE: dict[tuple[str, str], tuple[FormSpec | None, tuple[Problem, ...]]] = {}
_CACHE_SIZE = 32


def _load_cached(source: Source) -> tuple[FormSpec | None, list[Problem]]:
    if isinstance(source, Mapping):
        return _load(source)
    path = Path(source)
    try:
        key = (str(path.resolve()), hashlib.sha256(path.read_bytes()).hexdigest())
    except OSError:
        return _load(source)  # missing or unreadable: _load says so
    if key not in _CACHE:
        spec, problems = _load(source)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = (spec, tuple(problems))
    spec, problems = _CACHE[key]
    return spec, list(problems)


# -- reading ----------------------------------------------------------------------


class _Stop(Exception):
    """Internal: loading cannot go on; carries the problems found so far."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__()
        self.problems = problems


def _load(source: Source) -> tuple[FormSpec | None, list[Problem]]:
    pyxform_warnings: list[str] = []
    try:
        workbook = _read(source)
        parsed = _parse(workbook, pyxform_warnings)
        rows = _survey_rows(workbook, parsed)
        builder = _Builder(rows)
        spec = builder.form(parsed, workbook)
    except _Stop as stop:
        return None, stop.problems + translate_warnings(pyxform_warnings)
    problems = list(builder.problems)
    if not any(p.is_error for p in problems):
        problems += _check_expressions(spec)
    if not any(p.is_error for p in problems):
        problems += _check_cycles(spec)
    if not any(p.is_error for p in problems):
        problems += _check_with_pyxform_builder(parsed, pyxform_warnings, spec)
    problems += translate_warnings(pyxform_warnings)
    if not any(n.row is not None for n in spec.walk()):
        problems.append(Problem(
            "the form has no questions", code="form.empty", sheet="survey", severity=WARNING,
            hint="add rows with a type, name and label to the survey sheet",
        ))
    if not spec.version:
        problems.append(Problem(
            "the form has no version", code="form.no_version", sheet="settings",
            column="version", severity=WARNING,
            hint="add a version (e.g. 2024061501) so devices can tell versions apart",
        ))
    return spec, problems


def _read(source: Source) -> Any:
    """pyxform's sheet data for `source` (a `DefinitionData`)."""
    # pyxform internals: get_xlsform/DefinitionData are what its own convert() uses.
    from pyxform.errors import PyXFormError
    from pyxform.xls2json_backends import DefinitionData, get_xlsform

    if isinstance(source, Mapping):
        known = set(DefinitionData.__slots__)
        sheets = {k.lower(): copy.deepcopy(v) for k, v in source.items() if k.lower() in known}
        sheets.setdefault("sheet_names", [k for k in source if not k.endswith("_header")])
        return DefinitionData(**sheets)

    path = Path(source)
    if not path.is_file():
        raise _Stop([Problem(
            f"no form file at {path}", code="form.file_not_found",
            hint="check the path" if not path.exists() else "give a file, not a folder",
        )])
    if path.suffix.lower() not in FILE_TYPES:
        raise _Stop([Problem(
            f"{path.name} is not a form file Hesabu can read", code="form.unsupported_file",
            hint="save the form as .xlsx (or .xls, .csv, .md)",
        )])
    try:
        # pyxform picks the reader from the suffix and, if it fails, tries the others;
        # a file that none can read ends up as a PyXFormError.
        return get_xlsform(xlsform=str(path))
    except (PyXFormError, OSError, ValueError, KeyError, TypeError, IndexError) as err:
        kind = FILE_TYPES[path.suffix.lower()]
        # pyxform's "not recognized as a supported type" only repeats what we say.
        detail = "" if "was not recognized" in str(err) else f" ({err})"
        raise _Stop([Problem(
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
        raise _Stop([Problem(f"the form could not be read: {err!r}", code="form.invalid",
                             hint="compare the sheets with the XLSForm template")]) from err


def _at_first_select(problem: Problem, workbook: Any) -> Problem:
    """pyxform names no row for a missing choices sheet: point at the first select."""
    for number, cells in enumerate(workbook.survey or [], start=2):
        kind = str(cells.get("type", "")).strip()
        if kind.startswith(("select", "rank")):
            return replace(problem, sheet="survey", row=number, column="type")
    return problem


# -- survey rows: where each node was written ---------------------------------------


@dataclass(frozen=True)
class _Row:
    number: int
    cells: Mapping[str, Any]  # the row with pyxform's column aliases applied


def _survey_rows(workbook: Any, parsed: Mapping[str, Any]) -> dict[tuple[str, ...], _Row]:
    """Map each node path to its survey row, walking the rows the way pyxform does."""
    # pyxform internals: the same header dealiasing, type aliases and begin/end regexes
    # that workbook_to_json applies, so paths and row numbers line up with its output.
    from pyxform import aliases
    from pyxform.parsing.sheet_headers import dealias_and_group_headers
    from pyxform.question import MultipleChoiceQuestion
    from pyxform.xls2json import RE_BEGIN_CONTROL, RE_END_CONTROL, dealias_types

    sheet = dealias_and_group_headers(
        sheet_name="survey",
        sheet_data=copy.deepcopy(workbook.survey or []),
        sheet_header=copy.deepcopy(workbook.survey_header),
        header_aliases=aliases.survey_header,
        header_columns=set(MultipleChoiceQuestion.get_slot_names()),
        default_language=parsed.get("default_language", DEFAULT_LANG),
        strip_whitespace=aliases.yes_no.get(str(parsed.get("clean_text_values", "yes")), True),
    )
    rows = dealias_types(sheet.data)
    found: dict[tuple[str, ...], _Row] = {}
    stack: list[str] = []
    for number, cells in enumerate(rows, start=2):  # row 1 holds the column names
        if aliases.yes_no.get(cells.get("disabled", "no"), False) or not cells.get("type"):
            continue
        kind = cells["type"]
        if RE_END_CONTROL.search(kind):
            if stack:
                stack.pop()
            continue
        if kind in aliases.settings_header:
            continue
        name = cells.get("name")
        if kind == "audit":
            found[("meta", "audit")] = _Row(number, cells)
            continue
        if name is None and kind == "note":
            name = f"generated_note_name_{number}"  # pyxform's name for a nameless note
        if name is None:
            continue
        path = (*stack, str(name))
        found.setdefault(path, _Row(number, cells))
        if RE_BEGIN_CONTROL.search(kind):
            stack.append(str(name))
    return found


# -- building the FormSpec -----------------------------------------------------------


@dataclass
class _Builder:
    rows: dict[tuple[str, ...], _Row]
    problems: list[Problem] = field(default_factory=list)

    def form(self, parsed: Mapping[str, Any], workbook: Any) -> FormSpec:
        default_language = parsed.get("default_language")
        languages = _languages(workbook)
        return FormSpec(
            id=str(parsed.get("id_string") or "data"),
            version=str(parsed.get("version") or ""),
            title=str(parsed.get("title") or parsed.get("id_string") or ""),
            default_language=None if default_language in (None, DEFAULT_LANG)
            else str(default_language),
            languages=languages,
            instance_name=parsed.get("instance_name"),
            children=self.nodes(parsed.get("children", []), ()),
            choices=_choices(parsed.get("choices", {}), languages),
        )

    def nodes(self, items: list[Mapping[str, Any]], parent: tuple[str, ...]) -> tuple[Node, ...]:
        generated = set()
        for item in items:
            if item.get("type") == "repeat":
                count = (item.get("control") or {}).get("jr:count")
                row = self.rows.get((*parent, item["name"]))
                written = (row.cells.get("control") or {}).get("jr:count") if row else None
                if count and row and count != written:
                    generated.add(count.strip()[2:-1])  # "${x_count}" -> "x_count"
        out = []
        for item in items:
            name = str(item["name"])
            path = (*parent, name)
            if path not in self.rows and (
                name in generated or name.startswith(_TABLE_LIST_HELPERS)
            ):
                continue
            node = self.node(item, path)
            if node is not None:
                out.append(node)
        return tuple(out)

    def node(self, item: Mapping[str, Any], path: tuple[str, ...]) -> Node | None:
        row = self.rows.get(path)
        cells: Mapping[str, Any] = row.cells if row else item
        number = row.number if row else None
        pyxform_type = str(item.get("type", ""))
        bind = cells.get("bind") or {}
        control = cells.get("control") or {}
        common: dict[str, Any] = {
            "name": path[-1],
            "path": path,
            "label": _texts(cells.get("label")),
            "hint": _texts(cells.get("hint")),
            "relevant": _text_or_none(bind.get("relevant")),
            "appearance": _text_or_none(control.get("appearance")),
            "row": number,
        }
        if pyxform_type in (GROUP, REPEAT):
            return Node(
                kind=pyxform_type, type=pyxform_type,
                read_only=_flag(bind.get("readonly")),
                repeat_count=_text_or_none(control.get("jr:count"))
                if pyxform_type == REPEAT else None,
                children=self.nodes(item.get("children", []), path),
                **common,
            )

        hesabu_type = self.question_type(item, path, number, cells)
        if hesabu_type is None:
            return None
        list_name = item.get("list_name") or item.get("itemset")
        constraint = _text_or_none(bind.get("constraint"))
        if constraint is None and pyxform_type in CONSTRAINED_ALIASES:
            constraint = CONSTRAINED_ALIASES[pyxform_type][1]
        other_of = _or_other_source(item, path, self.rows)
        if other_of is not None:
            # The question pyxform adds after an or_other select (see module docstring).
            common["relevant"] = f"selected(${{{other_of}}}, 'other')"
            common["row"] = self.rows[(*path[:-1], other_of)].number
        return Node(
            kind=QUESTION,
            type=hesabu_type,
            required=_flag(bind.get("required")),
            required_message=_texts(bind.get("jr:requiredMsg")),
            constraint=constraint,
            constraint_message=_texts(bind.get("jr:constraintMsg")),
            calculation=_text_or_none(bind.get("calculate")),
            default=_text_or_none(cells.get("default")),
            read_only=_flag(bind.get("readonly")),
            trigger=_trigger(cells.get("trigger")),
            parameters=_parameters(item, cells, number),
            list_name=str(list_name) if list_name and hesabu_type in SELECT_TYPES else None,
            choice_filter=_text_or_none(cells.get("choice_filter")),
            or_other=_is_or_other(cells) if row else False,
            **common,
        )

    def question_type(
        self, item: Mapping[str, Any], path: tuple[str, ...], row: int | None,
        cells: Mapping[str, Any],
    ) -> str | None:
        """The canonical type, or None after recording why the type cannot be used."""
        pyxform_type = str(item.get("type", ""))
        written = str(cells.get("type", pyxform_type))
        if path == ("meta", "instanceID") and (item.get("bind") or {}).get("jr:preload") == "uid":
            return "instanceID"
        if pyxform_type == "entity":  # pyxform adds this node for an entities sheet
            self.problems.append(Problem(
                "the form declares ODK entities, which Hesabu does not support",
                code="form.unsupported_type", sheet="entities", row=2, column="list_name",
                hint=UNSUPPORTED["entity"],
            ))
            return None
        if pyxform_type in UNSUPPORTED:
            self.problems.append(Problem(
                f"question type '{written}' is not supported by Hesabu",
                code="form.unsupported_type", sheet="survey", row=row, column="type",
                hint=UNSUPPORTED[pyxform_type],
            ))
            return None
        list_name = str(item.get("list_name") or item.get("itemset") or "")
        if list_name.lower().endswith(FILE_LIST_SUFFIXES):
            self.problems.append(Problem(
                f"choices from a file ('{list_name}') are not supported by Hesabu",
                code="form.unsupported_type", sheet="survey", row=row, column="type",
                hint="put the choices on the choices sheet and use select_one/select_multiple",
            ))
            return None
        found = canonical_type(pyxform_type)
        if found is None:
            self.problems.append(Problem(
                f"unknown question type '{written}'", code="form.unknown_type",
                sheet="survey", row=row, column="type", hint=_type_hint(written),
            ))
        return found


def _type_hint(written: str) -> str:
    words = written.split()
    first = words[0] if words else written
    candidates = sorted(
        {s for s in CANONICAL if " " not in s}
        | {"select_one", "select_multiple", "begin_group", "begin_repeat", "end_group"}
    )
    close = difflib.get_close_matches(first, candidates, n=1, cutoff=0.6)
    prefix = f"did you mean '{close[0]}'? " if close else ""
    return prefix + "See docs/forms.md for the supported types"


def _or_other_source(
    item: Mapping[str, Any], path: tuple[str, ...], rows: Mapping[tuple[str, ...], _Row]
) -> str | None:
    """For pyxform's generated `<select>_other` question, the select's name."""
    if path in rows or not path[-1].endswith("_other"):
        return None
    select = path[-1][: -len("_other")]
    row = rows.get((*path[:-1], select))
    relevant = (item.get("bind") or {}).get("relevant", "")
    if row and _is_or_other(row.cells) and relevant.startswith("selected(../"):
        return select
    return None


def _is_or_other(cells: Mapping[str, Any]) -> bool:
    from pyxform.xls2json import RE_SELECT  # pyxform internals: its select type regex

    match = RE_SELECT.search(str(cells.get("type", "")))
    return bool(match and match.group("specify_other"))


def _texts(value: Any) -> dict[str, str]:
    """A text column as {language: text}; untranslated text under DEFAULT_LANG."""
    if value is None or value == "":
        return {}
    if isinstance(value, Mapping):
        return {str(lang): str(text) for lang, text in value.items() if text not in (None, "")}
    return {DEFAULT_LANG: str(value)}


def _text_or_none(value: Any) -> str | None:
    if value is None or isinstance(value, Mapping):
        return None
    text = str(value).strip()
    return text or None


def _flag(value: Any) -> str | None:
    """required/read_only: "yes" -> "true()", "no" -> None, else the expression."""
    from pyxform import aliases

    text = _text_or_none(value)
    if text is None:
        return None
    meaning = aliases.yes_no.get(text)
    if meaning is None:
        return text
    return "true()" if meaning else None


def _trigger(value: Any) -> str | None:
    if isinstance(value, list | tuple):  # pyxform's own parsed form, for generated nodes
        return " ".join(f"${{{name}}}" for name in value) or None
    return _text_or_none(value)


def _parameters(item: Mapping[str, Any], cells: Mapping[str, Any], row: int | None) -> dict:
    parsed = item.get("parameters")
    if isinstance(parsed, Mapping):  # pyxform parsed them (selects, range)
        return {str(k): str(v) for k, v in parsed.items()}
    raw = cells.get("parameters")
    if not raw:
        return {}
    from pyxform.parsing.parameters import parse  # pyxform internals: its own parser

    return {str(k): str(v) for k, v in parse(raw_parameters=str(raw), row_number=row).items()}


def _choices(
    lists: Mapping[str, list[Mapping[str, Any]]], languages: tuple[str, ...]
) -> dict[str, tuple[Choice, ...]]:
    # pyxform builds the label of its generated "other" choice from a set: put the
    # languages back in form order so the JSON is the same on every run.
    order = {lang: i for i, lang in enumerate((DEFAULT_LANG, *languages))}

    def ordered(texts: dict[str, str]) -> dict[str, str]:
        return dict(sorted(texts.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))

    out = {}
    for list_name, options in lists.items():
        out[str(list_name)] = tuple(
            Choice(
                name=str(option["name"]),
                label=ordered(_texts(option.get("label"))),
                extra={
                    str(k): str(v)
                    for k, v in option.items()
                    if k not in ("name", "label", "media") and not k.startswith("_")
                    and isinstance(v, str | int | float)
                },
            )
            for option in options
        )
    return out


def _languages(workbook: Any) -> tuple[str, ...]:
    """Languages in the order their columns first appear (survey, then choices)."""
    from pyxform import aliases

    translatable = {k.lower() for k in aliases.TRANSLATABLE_SURVEY_COLUMNS} | {
        v.lower() for v in aliases.TRANSLATABLE_SURVEY_COLUMNS.values() if isinstance(v, str)
    } | {"media", "constraint_msg", "required_msg"}
    seen: dict[str, None] = {}
    for header in (workbook.survey_header, workbook.choices_header):
        names: list[str] = list(header[0]) if header else []
        if not header:
            sheet = workbook.survey if header is workbook.survey_header else workbook.choices
            for row in sheet or []:
                names.extend(k for k in row if k not in names)
        for name in names:
            parts = [p.strip() for p in str(name).split("::")]
            if len(parts) >= 2 and parts[0].lower() in translatable and parts[-1]:
                seen.setdefault(parts[-1], None)
    return tuple(seen)


# -- checks beyond pyxform's ---------------------------------------------------------


def _duplicate_names(spec: FormSpec) -> list[Problem]:
    """Names must be unique in the whole form so ${name} always means one question."""
    first: dict[str, Node] = {}
    problems = []
    for node in spec.walk():
        if node.name in first:
            other = first[node.name]
            where = f"row {other.row}" if other.row else "/".join(other.path)
            problems.append(Problem(
                f"the name '{node.name}' is already used at {where}",
                code="form.duplicate_name", sheet="survey", row=node.row, column="name",
                hint="give each question, group and repeat its own name, even in "
                     "different groups",
            ))
        else:
            first[node.name] = node
    return problems


def _check_expressions(spec: FormSpec) -> list[Problem]:
    """Syntax of every expression, and ${name} references to questions that exist."""
    from forms import expressions

    problems = _duplicate_names(spec)
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
    import re

    return re.fullmatch(r"\s*(\$\{[^}]+\}\s*,?\s*)+", text) is not None


def _default_is_dynamic(node: Node) -> bool:
    from pyxform.utils import default_is_dynamic  # pyxform internals: same rule it uses

    return bool(default_is_dynamic(node.default, node.type))


def _check_one(
    expressions: Any, text: str, names: set[str], sheet: str, row: int | None, column: str
) -> list[Problem]:
    try:
        expressions.parse(text)
        references = expressions.compile_expression(text).references
    except expressions.ExpressionError as err:
        position = getattr(err, "position", None)
        where = f" at character {position + 1}" if isinstance(position, int) else ""
        reason = getattr(err, "reason", None) or getattr(err, "message", None) or str(err)
        return [Problem(
            f"cannot read the expression{where}: {reason}", code="form.expression_syntax",
            sheet=sheet, row=row, column=column,
            hint=f"check brackets, quotes and operators in: {text}",
        )]
    return [
        Problem(f"unknown field ${{{name}}}", code="form.unknown_reference", sheet=sheet,
                row=row, column=column, hint="check the name or add the question")
        for name in sorted(set(references) - names)
    ]


def _check_cycles(spec: FormSpec) -> list[Problem]:
    from forms.dependencies import check_cycles

    try:
        check_cycles(spec)
    except FormError as err:
        return list(err.problems)
    return []


def _check_with_pyxform_builder(
    parsed: Mapping[str, Any], warnings: list[str], spec: FormSpec
) -> list[Problem]:
    """Run pyxform's XForm step too: it catches a few things its parse step does not."""
    import re

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
