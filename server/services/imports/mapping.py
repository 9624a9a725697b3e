"""A Kobo or Ona export's sheets read back into XForm instances of a form (no I/O).

What it understands (the layouts people download; bench/export_files.py makes them):

- headers as group paths (`household/head_name`), bare names (names are unique in a
  Hesabu form), or labels in any of the form's languages, with or without the group
  labels before them ("Household/Name of the head"); two questions with the same label
  are told apart by the order of the columns, which follows the form;
- Ona's repeat columns `household/members[2]/member_name`, and repeat sheets (Kobo, Ona
  XLSX) joined to their parent rows by `_parent_index` = the parent's `_index`, nested
  as deep as the form's repeats;
- values or labels: a choice's name or its label in any language; select_multiple as a
  space-separated summary (labels with spaces are matched whole) or as a column per
  choice (1/0, True/False, or the choice itself); a geopoint from its own column or
  its `_<name>_latitude/...` columns; a photo's file name from an attachment URL; Ona's
  `n/a`; numbers and dates stored as Excel numbers and dates;
- each submission's id: `meta/rootUuid` (kept through edits), else `meta/instanceID`,
  else `_uuid`.

Every cell that cannot become an answer is a `Problem` with its sheet, spreadsheet row
and column; so is a column the form does not have (once per row that has a value in
it). Columns of the exports' own bookkeeping (`_id`, `_validation_status`, `_tags`,
`formhub/uuid`, the `*_URL` and geopoint part columns...) are not answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from forms.answer_text import AnswerTextError, read_answer
from forms.spec import MEDIA_TYPES, FormSpec, Node

#: Columns the export services add about a submission (or a repeat row).
BOOKKEEPING = frozenset({
    "_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
    "_submitted_by", "__version__", "_version", "_version_", "_tags", "_index",
    "_parent_index", "_parent_table_name", "_date_modified", "_duration", "_total_media",
    "_media_count", "_media_all_received", "_xform_id_string", "_xform_id", "_geolocation",
    "_attachments", "_edited", "_last_edited", "_bamboo_dataset_id", "_review_status",
    "_review_comment", "_review_date", "_deleted_at", "formhub/uuid", "meta/instanceID",
    "meta/deprecatedID", "meta/rootUuid", "meta/audit", "instanceID"})
NA = frozenset({"n/a", "N/A"})
_TRUE = frozenset({"1", "true", "yes", "1.0"})
_GEO_PART = re.compile(r"^(?:(?P<prefix>.*)/)?_(?P<name>.+)_(?P<part>latitude|longitude|"
                       r"altitude|precision)$")
_INDEX = re.compile(r"\[(\d+)\]")
_GEO_ORDER = ("latitude", "longitude", "altitude", "precision")


@dataclass(frozen=True)
class Problem:
    """A cell (or sheet) that cannot be imported."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.sheet}:{self.row or '-'}:{self.column or '-'}: {self.message}"


@dataclass
class Sheet:
    """One sheet: its name, header row and data rows (spreadsheet row 2 on)."""

    name: str
    headers: list[str]
    rows: list[Sequence[Any]]


@dataclass(frozen=True)
class ExportRow:
    """One submission of the export, as an XForm instance."""

    instance_id: str
    answers: dict[str, Any]
    names: tuple[str, ...]
    where: str
    submitted: str | None


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    kind: str  # "value", "choice", "geo", "meta", "skip"
    node: Node | None = None
    positions: tuple[int, ...] = ()  # Ona's [n] repeat positions
    choice: str = ""  # kind "choice": the choice name; kind "geo": the part


def _fold(text: str) -> str:
    return " ".join(str(text).split()).casefold()


class FormIndex:
    """How a form's questions and choices can be named in an export."""

    def __init__(self, spec: FormSpec) -> None:
        self.spec = spec
        self.nodes = [n for n in spec.walk() if n.is_question]
        self.order = {n.path: i for i, n in enumerate(spec.walk())}
        self.by_name = {n.name: n for n in spec.walk()}
        self.by_path = {"/".join(n.path): n for n in spec.walk()}
        self.by_label: dict[str, list[Node]] = {}
        for node in self.nodes:
            for text in self._labels(node):
                self.by_label.setdefault(text, []).append(node)
        self.choices: dict[str, dict[str, str]] = {}
        for list_name, options in spec.choices.items():
            known: dict[str, str] = {}
            for choice in options:
                known[choice.name] = choice.name
                for label in choice.label.values():
                    known.setdefault(_fold(label), choice.name)
            self.choices[list_name] = known

    def _labels(self, node: Node) -> Iterator[str]:
        """A question's labels in every language, alone and after its groups' labels."""
        for language, text in node.label.items():
            yield _fold(text)
            groups = [self.spec.node(node.path[:i]) for i in range(1, len(node.path))]
            names = [g.label.get(language) or g.name for g in groups]
            for start in range(len(names)):
                yield _fold("/".join([*names[start:], text]))

    def choice(self, node: Node, text: str) -> str | None:
        known = self.choices.get(node.list_name or "", {})
        return known.get(text) or known.get(_fold(text))

    def choices_of(self, node: Node, text: str) -> list[str] | None:
        """A select_multiple's summary as choice names: space-separated names, or labels
        (which may hold spaces) matched whole, left to right."""
        words = text.split()
        names = [self.choice(node, w) for w in words]
        if all(names):
            return names  # type: ignore[return-value]
        found: list[str] = []
        start = 0
        while start < len(words):
            for end in range(len(words), start, -1):
                name = self.choice(node, " ".join(words[start:end]))
                if name:
                    found.append(name)
                    start = end
                    break
            else:
                return None
        return found


class _Columns:
    """Classifies one sheet's headers against the form."""

    def __init__(self, index: FormIndex) -> None:
        self.index = index
        self.last = -1  # form position of the last column matched by label

    def _node(self, text: str) -> Node | None:
        plain = _INDEX.sub("", text).strip().strip("/")
        for key in (plain, plain.replace(".", "/")):
            if key in self.index.by_path:
                return self.index.by_path[key]
        name = plain.rsplit("/", 1)[-1]
        if name in self.index.by_name:
            return self.index.by_name[name]
        candidates = self.index.by_label.get(_fold(plain), [])
        if not candidates:
            return None
        later = [n for n in candidates if self.index.order[n.path] > self.last]
        node = (later or candidates)[0]
        self.last = self.index.order[node.path]
        return node

    def classify(self, position: int, header: str) -> Column:
        text = str(header or "").strip()
        positions = tuple(int(i) for i in _INDEX.findall(text))
        if not text or text in BOOKKEEPING or text.startswith("_submission_"):
            return Column(position, text, "meta")
        node = self._node(text)
        if node is not None and node.is_question:
            return Column(position, text, "value", node, positions)
        if text.endswith("_URL"):
            media = self._node(text[:-4])
            if media is not None and media.type in MEDIA_TYPES:
                return Column(position, text, "skip")
        geo = _GEO_PART.match(_INDEX.sub("", text))
        if geo:
            point = self.index.by_name.get(geo["name"]) or self._node(geo["name"])
            if point is not None and point.type == "geopoint":
                return Column(position, text, "geo", point, positions, geo["part"])
        parent, _, option = text.rpartition("/")
        select = self._node(parent) if parent else None
        if select is not None and select.type == "select_multiple":
            name = self.index.choice(select, option)
            if name is not None:
                return Column(position, text, "choice", select, positions, name)
        return Column(position, text, "unknown")


def _cell_text(value: Any, node: Node) -> str | None:
    """A cell as the text of an answer (None: empty)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if node.type == "date" or (node.type != "dateTime" and value.time() == time()):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return None if text.strip() in NA or not text.strip() else text


def _file_name(text: str) -> str:
    """A photo's file name, also from an attachment URL (Ona: ...?filename=user/x.jpg)."""
    if "://" not in text:
        return text
    url = urlsplit(text)
    named = parse_qs(url.query).get("filename") or parse_qs(url.query).get("media_file")
    return unquote((named[0] if named else url.path).rsplit("/", 1)[-1])


def _set(target: dict[str, Any], path: Sequence[str], positions: Sequence[int],
         index: FormIndex, base: tuple[str, ...], value: Any) -> None:
    """Put `value` at `path` (names below `base`), entering the repeats on the way at
    `positions` (1-based)."""
    here = target
    taken = 0
    for depth, name in enumerate(path[:-1]):
        node = index.by_path.get("/".join((*base, *path[:depth + 1])))
        if node is not None and node.is_repeat:
            items = here.setdefault(name, [])
            at = positions[taken] if taken < len(positions) else 1
            taken += 1
            while len(items) < at:
                items.append({})
            here = items[at - 1]
        else:
            here = here.setdefault(name, {})
    here[path[-1]] = value


def prune(answers: Any) -> Any:
    """Drop groups and repeat instances left empty (Ona lists every repeat column up to
    the largest count in the export: the other submissions' extra cells are n/a)."""
    if isinstance(answers, dict):
        pruned = {key: prune(value) for key, value in answers.items()}
        return {key: value for key, value in pruned.items() if value not in ({}, [], None)}
    if isinstance(answers, list) and answers and isinstance(answers[0], dict):
        return [item for item in (prune(i) for i in answers) if item]
    return answers


@dataclass
class _Row:
    """A submission or repeat row being read."""

    answers: dict[str, Any] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)


class ExportReader:
    """Reads an export's sheets as instances of `spec`; `problems` says what it could not."""

    def __init__(self, spec: FormSpec, sheets: Sequence[Sheet]) -> None:
        self.spec = spec
        self.index = FormIndex(spec)
        self.sheets = sheets
        self.problems: list[Problem] = []

    def read(self) -> list[ExportRow]:
        if not self.sheets:
            self.problems.append(Problem("-", None, None, "the file has no sheet"))
            return []
        main = self.sheets[0]
        columns = self._columns(main, None)
        meta = {c.header: c.index for c in columns if c.kind == "meta"}
        found: list[tuple[str, str, str | None, _Row]] = []
        by_index: dict[int, _Row] = {}
        for number, cells in enumerate(main.rows, start=2):
            if "_uuid" in meta and _cell(cells, meta["_uuid"]) == "_uuid":
                continue  # Ona's second header row, of labels
            row = _Row()
            self._fill(main, number, cells, columns, row, ())
            key = _cell(cells, meta.get("_index"))
            by_index[int(float(key)) if key else number - 1] = row
            instance = (_cell(cells, meta.get("meta/rootUuid"))
                        or _cell(cells, meta.get("meta/instanceID"))
                        or _cell(cells, meta.get("_uuid")))
            if not instance:
                self.problems.append(Problem(main.name, number, "_uuid",
                                             "no _uuid: a row needs its submission's id, "
                                             "or a second import would add it again"))
                continue
            instance_id = instance if instance.startswith("uuid:") else f"uuid:{instance}"
            found.append((instance_id, f"{main.name}:{number}: ",
                          _cell(cells, meta.get("_submission_time")), row))
        self._repeat_sheets(by_index)
        return [ExportRow(instance_id, prune(row.answers), tuple(row.names), where, submitted)
                for instance_id, where, submitted, row in found]

    def _columns(self, sheet: Sheet, repeat: Node | None) -> list[Column]:
        classifier = _Columns(self.index)
        columns = [classifier.classify(i, h) for i, h in enumerate(sheet.headers)]
        for column in columns:
            if column.kind == "unknown":
                self._unknown_column(sheet, column)
            elif column.node is not None and column.kind != "meta":
                inside = _repeat_of(self.spec, column.node)
                expected = repeat.path if repeat is not None else None
                if inside != expected and not (repeat is None and column.positions):
                    where = f"repeat {'/'.join(inside)}" if inside else "the submission"
                    self.problems.append(Problem(
                        sheet.name, 1, column.header,
                        f"{column.node.name} belongs to {where}, not to this sheet"))
        return columns

    def _unknown_column(self, sheet: Sheet, column: Column) -> None:
        for number, cells in enumerate(sheet.rows, start=2):
            value = _cell(cells, column.index)
            if value is not None and value.strip() not in NA:
                self.problems.append(Problem(
                    sheet.name, number, column.header,
                    f"form {self.spec.id!r} version {self.spec.version!r} has no question "
                    f"for this column (value {value[:40]!r})"))

    def _fill(self, sheet: Sheet, number: int, cells: Sequence[Any], columns: list[Column],
              row: _Row, base: tuple[str, ...]) -> None:
        multi: dict[tuple[str, tuple[int, ...]], list[str] | None] = {}
        points: dict[tuple[str, tuple[int, ...]], dict[str, str]] = {}
        placed: set[tuple[str, tuple[int, ...]]] = set()
        for column in columns:
            node = column.node
            if column.kind not in ("value", "choice", "geo") or node is None:
                continue
            raw = cells[column.index] if column.index < len(cells) else None
            text = _cell_text(raw, node)
            key = ("/".join(node.path), column.positions)
            if column.kind == "choice":
                chosen = multi.setdefault(key, None)
                if text is not None and (text.casefold() in _TRUE
                                         or self.index.choice(node, text) == column.choice):
                    multi[key] = [*(chosen or []), column.choice]
                elif text is not None and chosen is None:
                    multi[key] = []
                continue
            if column.kind == "geo":
                if text is not None:
                    points.setdefault(key, {})[column.choice] = text
                continue
            value = self._value(sheet, number, column, node, text)
            if value is None:
                continue
            placed.add(key)
            self._put(row, node, column.positions, base, value)
        for (path, positions), chosen in multi.items():
            if (path, positions) not in placed and chosen:
                self._put(row, self.index.by_path[path], positions, base, chosen)
        for (path, positions), parts in points.items():
            if (path, positions) not in placed and {"latitude", "longitude"} <= set(parts):
                text = " ".join(parts[p] for p in _GEO_ORDER if p in parts)
                node = self.index.by_path[path]
                column = Column(-1, f"_{node.name}_latitude", "geo", node, positions)
                value = self._value(sheet, number, column, node, text)
                if value is not None:
                    self._put(row, node, positions, base, value)

    def _value(self, sheet: Sheet, number: int, column: Column, node: Node,
               text: str | None) -> Any:
        if text is None:
            return None
        if node.type == "select_one":
            text = self.index.choice(node, text) or text
        elif node.type in ("select_multiple", "rank"):
            names = self.index.choices_of(node, text)
            text = " ".join(names) if names is not None else text
        elif node.type in MEDIA_TYPES:
            text = _file_name(text.strip())
        try:
            return read_answer(node, text, self.spec)
        except AnswerTextError as exc:
            self.problems.append(Problem(sheet.name, number, column.header, str(exc)))
            return None

    def _put(self, row: _Row, node: Node, positions: tuple[int, ...], base: tuple[str, ...],
             value: Any) -> None:
        _set(row.answers, node.path[len(base):], positions, self.index, base, value)
        if node.type in MEDIA_TYPES:
            row.names.append(value)

    # -- repeat sheets ---------------------------------------------------------------------
    def _repeat_sheets(self, mains: dict[int, _Row]) -> None:
        """Each repeat sheet's rows joined to their parents, outer repeats first."""
        found: list[tuple[Node, Sheet]] = []
        for sheet in self.sheets[1:]:
            repeat = self._repeat_for(sheet)
            if repeat is None:
                if any(h for h in sheet.headers):
                    self.problems.append(Problem(
                        sheet.name, None, None, f"this sheet matches no repeat of form "
                                                f"{self.spec.id!r}"))
                continue
            found.append((repeat, sheet))
        tables: dict[tuple[str, ...], dict[int, _Row]] = {(): mains}
        for repeat, sheet in sorted(found, key=lambda f: len(f[0].path)):
            parent = _repeat_of(self.spec, repeat) or ()
            tables[repeat.path] = self._join(sheet, repeat, tables.get(parent, {}))

    def _repeat_for(self, sheet: Sheet) -> Node | None:
        classifier = _Columns(self.index)
        repeats = {_repeat_of(self.spec, c.node) for i, h in enumerate(sheet.headers)
                   if (c := classifier.classify(i, h)).node is not None and c.kind == "value"}
        repeats.discard(None)
        if len(repeats) == 1:
            return self.spec.node(repeats.pop())  # type: ignore[arg-type]
        named = [n for n in self.spec.repeats if n.name[:31] == sheet.name]
        return named[0] if len(named) == 1 else None

    def _join(self, sheet: Sheet, repeat: Node, parents: dict[int, _Row]) -> dict[int, _Row]:
        columns = self._columns(sheet, repeat)
        where = {c.header: c.index for c in columns}
        parent_base = _repeat_of(self.spec, repeat) or ()
        table: dict[int, _Row] = {}
        for number, cells in enumerate(sheet.rows, start=2):
            parent_key = _cell(cells, where.get("_parent_index"))
            parent = parents.get(int(float(parent_key))) if parent_key else None
            if parent is None:
                self.problems.append(Problem(
                    sheet.name, number, "_parent_index",
                    f"no row {parent_key!r} in the parent sheet: this repeat row belongs to "
                    "no submission" if parent_key else "no _parent_index"))
                continue
            item = _Row()
            self._fill(sheet, number, cells, columns, item, repeat.path)
            own = _cell(cells, where.get("_index"))
            table[int(float(own)) if own else number - 1] = item
            _append(parent.answers, repeat.path[len(parent_base):], item.answers)
            parent.names.extend(item.names)
        return table


def _append(target: dict[str, Any], path: Sequence[str], item: dict[str, Any]) -> None:
    """Add a repeat instance at `path` (groups, then the repeat: no repeat between)."""
    here = target
    for name in path[:-1]:
        here = here.setdefault(name, {})
    here.setdefault(path[-1], []).append(item)


def _repeat_of(spec: FormSpec, node: Node | None) -> tuple[str, ...] | None:
    """The path of the innermost repeat holding `node` (None: not in a repeat)."""
    if node is None:
        return None
    for depth in range(len(node.path) - 1, 0, -1):
        if spec.node(node.path[:depth]).is_repeat:
            return node.path[:depth]
    return None


def _cell(cells: Sequence[Any], index: int | None) -> str | None:
    if index is None or index >= len(cells) or cells[index] is None:
        return None
    value = cells[index]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None
