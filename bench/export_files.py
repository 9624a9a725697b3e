"""Kobo and Ona export files made from records, in the layouts people download from
KoboToolbox and Ona (written from their public documentation and export samples): the
import tests and the import benchmark read them with `hesabu import`.

- `kobo_xlsx`: KoboToolbox's XLS export. A sheet for the submissions (named after the
  form title, at most 31 characters) and one per repeat (named after it); headers are
  group paths (`household/head_name`) or, with `language`, labels ("Group/Label" with
  `hierarchy`); select_multiple as a summary column of space-separated values and a 1/0
  column per choice (`household/disasters/floods`); a geopoint with
  `_<name>_latitude/_longitude/_altitude/_precision`; a photo with `<name>_URL`; then
  `_id _uuid _submission_time _validation_status _notes _status _submitted_by __version__
  _tags _index`. A repeat sheet has its fields, `_index _parent_table_name _parent_index`
  and the submission's `_submission_*` columns.
- `ona_csv`: Ona's CSV export. One sheet; repeats flattened as `members[1]/member_name`;
  select_multiple split into a True/False column per choice; unanswered cells `n/a`;
  photos as attachment URLs; `meta/instanceID _id _uuid _submission_time _tags _notes
  _version _duration _submitted_by _total_media _media_count _media_all_received`.
- `ona_xlsx`: Ona's XLS export: repeats on their own sheets as Kobo's.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forms.answers import get as answer_at
from forms.spec import GEO_TYPES, MEDIA_TYPES, FormSpec, Node, text_in

_GEO_PARTS = ("latitude", "longitude", "altitude", "precision")
KOBO_META = ("_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
             "_submitted_by", "__version__", "_tags")
ONA_META = ("meta/instanceID", "_id", "_uuid", "_submission_time", "_tags", "_notes",
            "_version", "_duration", "_submitted_by", "_total_media", "_media_count",
            "_media_all_received")
_SKIPPED = frozenset({"note", "instanceID"})


@dataclass(frozen=True)
class Submission:
    uuid: str
    submitted: str  # ISO time the server received it
    answers: dict[str, Any]


def _fields(nodes: Sequence[Node]) -> Iterator[Node]:
    """The questions an export has columns for, in form order, not inside repeats."""
    for node in nodes:
        if node.is_repeat:
            continue
        if node.is_group:
            yield from _fields(node.children)
        elif node.type not in _SKIPPED:
            yield node


def _repeats(nodes: Sequence[Node]) -> Iterator[Node]:
    for node in nodes:
        if node.is_repeat:
            yield node
        if node.children:
            yield from _repeats(node.children)


class _Layout:
    """Column headers and cell values of one export flavour."""

    def __init__(self, spec: FormSpec, language: str | None, hierarchy: bool) -> None:
        self.spec = spec
        self.language = language
        self.hierarchy = hierarchy

    def label(self, node: Node) -> str:
        return text_in(node.label, self.language) or node.name

    def header(self, node: Node, within: Sequence[str] = ()) -> str:
        if self.language is None:
            return "/".join(node.path[len(within):])
        if not self.hierarchy:
            return self.label(node)
        parents = [self.label(self.spec.node(node.path[:i]))
                   for i in range(len(within) + 1, len(node.path))]
        return "/".join([*parents, self.label(node)])

    def choice(self, node: Node, name: str) -> str:
        if self.language is None:
            return name
        for choice in self.spec.choice_list(node.list_name or ""):
            if choice.name == name:
                return text_in(choice.label, self.language) or name
        return name


def _kobo_columns(layout: _Layout, node: Node, within: Sequence[str]) -> list[str]:
    head = layout.header(node, within)
    if node.type == "select_multiple":
        return [head, *(f"{head}/{layout.choice(node, c.name)}"
                        for c in layout.spec.choice_list(node.list_name or ""))]
    if node.type == "geopoint":
        return [head, *(f"_{node.name}_{part}" for part in _GEO_PARTS)]
    if node.type in MEDIA_TYPES:
        return [head, f"{head}_URL"]
    return [head]


def _text(value: Any) -> Any:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return value


def _kobo_cells(layout: _Layout, node: Node, value: Any, numbers: bool) -> list[Any]:
    if node.type == "select_multiple":
        chosen = value or []
        return ([" ".join(layout.choice(node, c) for c in chosen) if value else None]
                + [(1 if c.name in chosen else 0) if value else None
                   for c in layout.spec.choice_list(node.list_name or "")])
    if node.type == "geopoint":
        parts = str(value).split() if value else []
        return [value, *(parts[i] if i < len(parts) else None for i in range(4))]
    if node.type in MEDIA_TYPES:
        url = f"https://kc.kobotoolbox.org/media/original?media_file=x%2F{value}"
        return [value, url if value else None]
    if node.type == "select_one" and value is not None:
        return [layout.choice(node, value)]
    if not numbers and isinstance(value, int | float) and not isinstance(value, bool):
        return [str(value)]
    return [_text(value)]


def kobo_xlsx(path: Path, spec: FormSpec, submissions: Sequence[Submission], *,
              language: str | None = None, hierarchy: bool = False,
              numbers: bool = True) -> Path:
    """A KoboToolbox XLS export of `submissions` (see the module docstring)."""
    from openpyxl import Workbook

    layout = _Layout(spec, language, hierarchy)
    workbook = Workbook(write_only=True)
    main = workbook.create_sheet((spec.title or spec.id)[:31])
    fields = list(_fields(spec.children))
    main.append([c for n in fields for c in _kobo_columns(layout, n, ())]
                + [*KOBO_META, "_index"])
    sheets: dict[tuple[str, ...], Any] = {}
    for repeat in _repeats(spec.children):
        sheet = workbook.create_sheet(repeat.name[:31])
        inner = list(_fields(repeat.children))
        sheet.append([c for n in inner for c in _kobo_columns(layout, n, ())]
                     + ["_index", "_parent_table_name", "_parent_index",
                        *(f"_submission_{m}" for m in KOBO_META)])
        sheets[repeat.path] = (sheet, inner, [0])
    for index, sub in enumerate(submissions, start=1):
        meta = [index, sub.uuid, sub.submitted, None, None, "submitted_via_web", "amina",
                "vGf8x2qQ", None]
        main.append([c for n in fields
                     for c in _kobo_cells(layout, n, answer_at(sub.answers, n.path), numbers)]
                    + [*meta, index])
        _kobo_repeat_rows(layout, spec.children, sub.answers, (), spec.title[:31], index,
                          sheets, meta, numbers)
    workbook.save(path)
    return path


def _kobo_repeat_rows(layout: _Layout, nodes: Sequence[Node], answers: dict[str, Any],
                      prefix: tuple[str, ...], parent_table: str, parent_index: int,
                      sheets: dict[tuple[str, ...], Any], meta: list[Any],
                      numbers: bool) -> None:
    for node in nodes:
        if node.is_group:
            _kobo_repeat_rows(layout, node.children, answers.get(node.name) or {}, prefix,
                              parent_table, parent_index, sheets, meta, numbers)
        elif node.is_repeat:
            sheet, inner, counter = sheets[node.path]
            for item in answers.get(node.name) or []:
                counter[0] += 1
                sheet.append([c for n in inner for c in _kobo_cells(
                    layout, n, answer_at(item, n.path[len(node.path):]), numbers)]
                    + [counter[0], parent_table, parent_index, *meta])
                _kobo_repeat_rows(layout, node.children, item, node.path, node.name[:31],
                                  counter[0], sheets, meta, numbers)


def _ona_flat(spec: FormSpec, nodes: Sequence[Node], answers: dict[str, Any], prefix: str,
              out: dict[str, Any]) -> None:
    """One submission as Ona's flat columns (repeats with [n])."""
    for node in nodes:
        name = f"{prefix}{node.name}"
        value = answers.get(node.name)
        if node.is_repeat:
            for i, item in enumerate(value or [], start=1):
                _ona_flat(spec, node.children, item, f"{name}[{i}]/", out)
        elif node.is_group:
            _ona_flat(spec, node.children, value or {}, f"{name}/", out)
        elif node.type in _SKIPPED:
            continue
        elif node.type == "select_multiple":
            for choice in spec.choice_list(node.list_name or ""):
                out[f"{name}/{choice.name}"] = ("True" if choice.name in value else "False") \
                    if value else None
        else:
            out[name] = _text(value)
            if node.type in MEDIA_TYPES and value:
                out[name] = f"https://api.ona.io/api/v1/files/1234?filename=amina/{value}"
            if node.type in GEO_TYPES and node.type == "geopoint":
                parts = str(value).split() if value else []
                base = name.rpartition("/")
                for i, part in enumerate(_GEO_PARTS):
                    key = f"{base[0]}{base[1]}_{base[2]}_{part}"
                    out[key] = parts[i] if i < len(parts) else None


def ona_csv(path: Path, spec: FormSpec, submissions: Sequence[Submission]) -> Path:
    """An Ona CSV export of `submissions` (see the module docstring)."""
    rows = []
    for index, sub in enumerate(submissions, start=1):
        flat: dict[str, Any] = {}
        _ona_flat(spec, spec.children, sub.answers, "", flat)
        flat.update({"meta/instanceID": f"uuid:{sub.uuid}", "_id": index, "_uuid": sub.uuid,
                     "_submission_time": sub.submitted, "_tags": "", "_notes": "",
                     "_version": spec.version, "_duration": 612, "_submitted_by": "amina",
                     "_total_media": 0, "_media_count": 0, "_media_all_received": "True"})
        rows.append(flat)
    columns: list[str] = []
    for row in rows:  # Ona lists every column any submission has (repeats up to the most)
        columns += [c for c in row if c not in columns]
    columns = [c for c in columns if c not in ONA_META] + list(ONA_META)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["n/a" if row.get(c) is None else row[c] for c in columns])
    return path


def ona_xlsx(path: Path, spec: FormSpec, submissions: Sequence[Submission]) -> Path:
    """An Ona XLS export: like Kobo's (repeats on their own sheets), with Ona's main
    sheet name (the form id) and metadata columns."""
    kobo_xlsx(path, spec, submissions)
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    workbook.worksheets[0].title = spec.id[:31]
    workbook.save(path)
    return path
