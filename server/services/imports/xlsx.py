"""Reading an .xlsx export's sheets as rows of values, fast: the workbook's XML parts are
streamed through expat (a 10,000-submission Kobo export is ~100 MB of cell XML), with
none of a spreadsheet library's cell objects.

What a cell becomes: shared and inline strings -> str, booleans -> bool, numbers -> int
or float, numbers with a date or time format -> datetime (the workbook's 1900 or 1904
date system; a time of day alone -> time), errors (`#N/A`) -> None. Formulas give
their cached value (None if never computed).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from xml.parsers import expat

#: Built-in number formats that show dates or times (ECMA-376 18.8.30).
_DATE_FORMATS = frozenset({*range(14, 23), 27, 30, 36, 45, 46, 47, 50, 57})
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')
_EPOCH_1900 = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)
_MAX_COLUMNS = 16_384


class XlsxError(ValueError):
    """The file is not a readable .xlsx workbook."""


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def _parse(data: bytes, start: Any = None, end: Any = None, text: Any = None) -> None:
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_args: Any) -> None:
        raise XlsxError("the workbook declares a DOCTYPE or entities")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.buffer_text = True
    if start is not None:
        parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise XlsxError(f"damaged workbook XML: {exc}") from None


def _column(ref: str) -> int:
    """0-based column of a cell reference such as "AB12"."""
    number = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            number = number * 26 + ord(ch) - 64
        else:
            break
    return number - 1


def _shared_strings(data: bytes) -> list[str]:
    strings: list[str] = []
    parts: list[str] = []
    state = {"in_t": False, "in_rph": False}

    def start(name: str, _attrs: dict[str, str]) -> None:
        name = _local(name)
        if name == "si":
            parts.clear()
        elif name == "t" and not state["in_rph"]:
            state["in_t"] = True
        elif name == "rPh":  # phonetic hints are not the cell's text
            state["in_rph"] = True

    def end(name: str) -> None:
        name = _local(name)
        if name == "t":
            state["in_t"] = False
        elif name == "rPh":
            state["in_rph"] = False
        elif name == "si":
            strings.append("".join(parts))

    def text(data: str) -> None:
        if state["in_t"]:
            parts.append(data)

    _parse(data, start, end, text)
    return strings


def _date_styles(data: bytes) -> list[bool]:
    """For each cell style (cellXfs index): whether it shows a date or time."""
    custom: dict[int, bool] = {}
    styles: list[bool] = []
    where = {"cellXfs": False}

    def start(name: str, attrs: dict[str, str]) -> None:
        name = _local(name)
        if name == "numFmt":
            code = _QUOTED.sub("", attrs.get("formatCode", "")).lower()
            custom[int(attrs.get("numFmtId", "0"))] = any(c in code for c in "dmyhs")
        elif name == "cellXfs":
            where["cellXfs"] = True
        elif name == "xf" and where["cellXfs"]:
            number = int(attrs.get("numFmtId", "0"))
            styles.append(custom.get(number, number in _DATE_FORMATS))

    def end(name: str) -> None:
        if _local(name) == "cellXfs":
            where["cellXfs"] = False

    _parse(data, start, end)
    return styles


def _sheet_rows(data: bytes, strings: list[str], dates: list[bool],
                epoch: datetime) -> list[list[Any]]:
    rows: list[list[Any]] = []
    row: list[Any] = []
    parts: list[str] = []
    # The cell being read: its attributes, its value text, whether text is its value.
    now: list[Any] = [None, None, False]
    is_date: dict[str | None, bool] = {}

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == "c":
            now[0], now[1] = attrs, None
        elif name == "v" or name == "t":
            parts.clear()
            now[2] = True
        elif name == "row":
            number = int(attrs.get("r") or len(rows) + 1)
            while len(rows) < number - 1:
                rows.append([])  # rows the file leaves out are empty
            row.clear()

    def end(name: str) -> None:
        if name == "c":
            attrs = now[0]
            ref = attrs.get("r")
            column = _column(ref) if ref else len(row)
            if column >= _MAX_COLUMNS:
                return
            if column > len(row):
                row.extend([None] * (column - len(row)))
            raw, kind = now[1], attrs.get("t")
            if not raw or kind == "e":  # no value (a formula never computed), an error
                row.append(None)
            elif kind == "s":
                row.append(strings[int(raw)])
            elif kind == "str" or kind == "inlineStr":
                row.append(raw)
            elif kind == "b":
                row.append(raw == "1")
            else:
                style = attrs.get("s")
                dated = is_date.get(style)
                if dated is None:
                    index = int(style or 0)
                    dated = is_date[style] = index < len(dates) and dates[index]
                row.append(_number(raw, dated, epoch))
        elif name == "v" or name == "t":
            now[1] = "".join(parts) if now[1] is None else now[1] + "".join(parts)
            now[2] = False
        elif name == "row":
            rows.append(list(row))

    def text(data: str) -> None:
        if now[2]:
            parts.append(data)

    if b"<worksheet" not in data[:2000]:  # a prefixed namespace (<x:c>): slower names
        _parse(data, lambda n, a: start(_local(n), a), lambda n: end(_local(n)), text)
    else:
        _parse(data, start, end, text)
    return rows


def _number(raw: str, dated: bool, epoch: datetime) -> Any:
    try:
        number = float(raw)
    except ValueError:
        return raw  # not a number after all: the text as written
    if dated:  # to the millisecond, as Excel keeps them; a time of day alone is < 1
        moment = epoch + timedelta(milliseconds=round(number * 86_400_000))
        return moment.time() if 0 <= number < 1 else moment
    if number.is_integer() and "." not in raw and "e" not in raw and "E" not in raw:
        return int(raw)
    return number


def read_xlsx(path: Path) -> list[tuple[str, list[list[Any]]]]:
    """[(sheet name, rows of values)] in the workbook's order."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise XlsxError(f"not an .xlsx workbook: {exc}") from None
    with archive:
        names = set(archive.namelist())

        def part(name: str) -> bytes | None:
            return archive.read(name) if name in names else None

        workbook = part("xl/workbook.xml")
        if workbook is None:
            raise XlsxError("not an .xlsx workbook (no xl/workbook.xml)")
        sheets: list[tuple[str, str]] = []
        props = {"date1904": False}

        def on_workbook(name: str, attrs: dict[str, str]) -> None:
            name = _local(name)
            if name == "sheet":
                rid = next((v for k, v in attrs.items() if _local(k) == "id"), "")
                sheets.append((attrs.get("name", ""), rid))
            elif name == "workbookPr":
                props["date1904"] = attrs.get("date1904", "0") in ("1", "true")

        _parse(workbook, on_workbook)
        targets: dict[str, str] = {}

        def on_rels(name: str, attrs: dict[str, str]) -> None:
            if _local(name) == "Relationship":
                target = attrs.get("Target", "")
                targets[attrs.get("Id", "")] = target.lstrip("/") if target.startswith("/") \
                    else posixpath.normpath(posixpath.join("xl", target))

        _parse(part("xl/_rels/workbook.xml.rels") or b"<r/>", on_rels)
        strings = _shared_strings(part("xl/sharedStrings.xml") or b"<sst/>")
        dates = _date_styles(part("xl/styles.xml") or b"<styleSheet/>")
        epoch = _EPOCH_1904 if props["date1904"] else _EPOCH_1900
        found = []
        for name, rid in sheets:
            data = part(targets.get(rid, ""))
            if data is None:
                raise XlsxError(f"sheet {name!r} is missing from the file")
            found.append((name, _sheet_rows(data, strings, dates, epoch)))
        return found
