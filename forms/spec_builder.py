"""Build a `FormSpec` from pyxform's parse output and the survey rows as written.

pyxform's parse (pinned to 4.5.0) gives the tree; the survey rows (with pyxform's own
column aliases applied) give each node's row number and its text exactly as written,
where pyxform rewrote it for the XForm (repeat_count, trigger, table-list labels).
See `forms.loader` for what is kept of the nodes pyxform generates.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from forms.errors import FormProblem
from forms.spec import DEFAULT_LANG, GROUP, QUESTION, REPEAT, SELECT_TYPES, Choice, FormSpec, Node
from forms.xlsform_types import (
    CANONICAL,
    CONSTRAINED_ALIASES,
    FILE_LIST_SUFFIXES,
    UNSUPPORTED,
    canonical_type,
)

# Names pyxform gives to helper rows it adds for table-list groups (pyxform internals).
_TABLE_LIST_HELPERS = ("generated_table_list_label_", "reserved_name_for_field_list_labels_")


# -- survey rows: where each node was written ---------------------------------------


@dataclass(frozen=True)
class SurveyRow:
    number: int
    cells: Mapping[str, Any]  # the row with pyxform's column aliases applied


def survey_rows(workbook: Any, parsed: Mapping[str, Any]) -> dict[tuple[str, ...], SurveyRow]:
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
    found: dict[tuple[str, ...], SurveyRow] = {}
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
            found[("meta", "audit")] = SurveyRow(number, cells)
            continue
        if name is None and kind == "note":
            name = f"generated_note_name_{number}"  # pyxform's name for a nameless note
        if name is None:
            continue
        path = (*stack, str(name))
        found.setdefault(path, SurveyRow(number, cells))
        if RE_BEGIN_CONTROL.search(kind):
            stack.append(str(name))
    return found


# -- building the FormSpec -----------------------------------------------------------


#: Settings column with the form title per language, `translated_title::Swahili (sw)`.
#: An XForm has one title, so stock pyxform (ODK Central, Kobo) cannot take translated
#: `form_title::<language>` columns; it passes this column through and ignores it.
TRANSLATED_TITLE = "translated_title"


def _titles(title: Any, default_language: str | None) -> tuple[str, dict[str, str]]:
    """The form title and its translations: pyxform gives a dict when the settings
    sheet has `form_title::<language>` columns (the untranslated one as "default")."""
    if not isinstance(title, Mapping):
        return str(title or ""), {}
    titles = {str(k): str(v) for k, v in title.items() if v and k != DEFAULT_LANG}
    own = title.get(DEFAULT_LANG) or (titles.get(default_language) if default_language
                                      else None) or next(iter(titles.values()), "")
    return str(own or ""), titles


@dataclass
class SpecBuilder:
    rows: dict[tuple[str, ...], SurveyRow]
    problems: list[FormProblem] = field(default_factory=list)

    def form(self, parsed: Mapping[str, Any], workbook: Any) -> FormSpec:
        default_language = parsed.get("default_language")
        languages = _languages(workbook)
        title, titles = _titles(parsed.get("title"), default_language)
        extra = parsed.get(TRANSLATED_TITLE)
        if isinstance(extra, Mapping):
            titles.update({str(k): str(v) for k, v in extra.items() if v and k != DEFAULT_LANG})
        return FormSpec(
            id=str(parsed.get("id_string") or "data"),
            version=str(parsed.get("version") or ""),
            title=title or str(parsed.get("id_string") or ""),
            titles=titles,
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
            self.problems.append(FormProblem(
                "the form declares ODK entities, which Hesabu does not support",
                code="form.unsupported_type", sheet="entities", row=2, column="list_name",
                hint=UNSUPPORTED["entity"],
            ))
            return None
        if pyxform_type in UNSUPPORTED:
            self.problems.append(FormProblem(
                f"question type '{written}' is not supported by Hesabu",
                code="form.unsupported_type", sheet="survey", row=row, column="type",
                hint=UNSUPPORTED[pyxform_type],
            ))
            return None
        list_name = str(item.get("list_name") or item.get("itemset") or "")
        if list_name.lower().endswith(FILE_LIST_SUFFIXES):
            self.problems.append(FormProblem(
                f"choices from a file ('{list_name}') are not supported by Hesabu",
                code="form.unsupported_type", sheet="survey", row=row, column="type",
                hint="put the choices on the choices sheet and use select_one/select_multiple",
            ))
            return None
        found = canonical_type(pyxform_type)
        if found is None:
            self.problems.append(FormProblem(
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
    item: Mapping[str, Any], path: tuple[str, ...], rows: Mapping[tuple[str, ...], SurveyRow]
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
    sheets = ((workbook.survey_header, workbook.survey),
              (workbook.choices_header, workbook.choices))
    for header, rows in sheets:
        names: list[str] = list(header[0]) if header else []
        if not header:  # a dict of sheets without headers: columns in order of use
            for row in rows or []:
                names.extend(k for k in row if k not in names)
        for name in names:
            parts = [p.strip() for p in str(name).split("::")]
            if len(parts) >= 2 and parts[0].lower() in translatable and parts[-1]:
                seen.setdefault(parts[-1], None)
    return tuple(seen)
