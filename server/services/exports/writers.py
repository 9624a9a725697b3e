"""Streaming file writers: CSV, a zip of CSVs, XLSX (openpyxl write_only), GeoJSON.

Each takes iterators of rows and yields bytes, so a response can start before the last
row is read and memory stays bounded by one batch of rows, whatever the export's size.
XLSX is the exception that proves the rule: a workbook is a zip whose directory comes
last, so it is written row by row to a temporary file (write_only mode keeps no rows
in memory) and that file is streamed out.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

#: Characters of CSV gathered before a chunk is handed on.
_CHUNK_CHARS = 32 * 1024
_FILE_CHUNK = 64 * 1024


#: A cell a spreadsheet may run as a formula starts with one of these (OWASP's list for
#: CSV injection: "+1+cmd|' /C calc'!A0", "-2+3+HYPERLINK(...)", "\t=1+1").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Plain numbers, alone or separated by spaces or ';' (a phone number, a negative
#: number typed as text, a geopoint, a geoshape): data, whatever their first character;
#: no function call, link or command fits in them.
_NUMBERS = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?([ ;]+[+-]?[0-9]+(\.[0-9]+)?)*;?")


def cell(value: Any) -> Any:
    """A value as a CSV/XLSX cell: lists joined by spaces (as ODK does), None empty.

    Text starting with =, +, -, @, a tab or a carriage return gets a leading apostrophe
    (so no spreadsheet runs it), unless it is only numbers: phone numbers, negative
    numbers and geopoints stay as typed.
    """
    kind = type(value)
    if kind is int or kind is float:
        return value
    if kind is str:
        return "'" + value if _looks_like_formula(value) else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    elif isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and _looks_like_formula(value):
        return "'" + value
    return value


def _looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS) and _NUMBERS.fullmatch(text) is None


def cells(row: Iterable[Any]) -> list[Any]:
    """Every value of a row (or a header) as a cell."""
    return [cell(v) for v in row]


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """CSV text in chunks of about 32 KB."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(cells(header))
    for row in rows:
        writer.writerow(cells(row))
        if buffer.tell() >= _CHUNK_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_stream(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """UTF-8 CSV with a byte-order mark, so spreadsheet programs read the accents."""
    yield "\ufeff".encode()
    for chunk in csv_chunks(header, rows):
        yield chunk.encode("utf-8")


class _Pipe:
    """A write-only, unseekable file: zipfile writes into it, we hand the bytes on."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._offset = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self._offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self._offset

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


Tables = Sequence[tuple[str, Sequence[str]]]


def _spooled_csv(header: Sequence[str]) -> tuple[Any, Any]:
    # Closed by zip_of_tables' finally: it lives across the generator's yields.
    spool = tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="")  # noqa: SIM115
    writer = csv.writer(spool, lineterminator="\r\n")
    writer.writerow(cells(header))
    return spool, writer


def zip_of_tables(tables: Tables, rows: Iterable[tuple[int, Sequence[Any]]]
                  ) -> Iterator[bytes]:
    """A zip with one CSV per table from one stream of (table index, row): the first
    table is written into the zip as its rows come; the others wait in temporary files
    (on disk, not in memory) and follow."""
    pipe = _Pipe()
    spools = [_spooled_csv(header) for _, header in tables[1:]]
    try:
        with zipfile.ZipFile(pipe, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:  # type: ignore[arg-type]
            name, header = tables[0]
            with archive.open(name, mode="w", force_zip64=True) as member:
                member.write("\ufeff".encode())
                buffer = io.StringIO()
                writer = csv.writer(buffer, lineterminator="\r\n")
                writer.writerow(cells(header))
                for index, row in rows:
                    if index:
                        spools[index - 1][1].writerow(cells(row))
                        continue
                    writer.writerow(cells(row))
                    if buffer.tell() >= _CHUNK_CHARS:
                        member.write(buffer.getvalue().encode("utf-8"))
                        buffer.seek(0)
                        buffer.truncate()
                        if data := pipe.take():
                            yield data
                member.write(buffer.getvalue().encode("utf-8"))
            yield pipe.take()
            for (name, _), (spool, _) in zip(tables[1:], spools, strict=True):
                spool.seek(0)
                with archive.open(name, mode="w", force_zip64=True) as member:
                    member.write("\ufeff".encode())
                    while text := spool.read(_FILE_CHUNK):
                        member.write(text.encode("utf-8"))
                        if data := pipe.take():
                            yield data
                yield pipe.take()
        yield pipe.take()
    finally:
        for spool, _ in spools:
            spool.close()


def xlsx_of_tables(tables: Tables, rows: Iterable[tuple[int, Sequence[Any]]]
                   ) -> Iterator[bytes]:
    """An XLSX workbook with one sheet per table from one stream of (table index, row)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheets = []
    for title, header in tables:
        sheet = workbook.create_sheet(title=_sheet_title(title))
        sheet.append(cells(header))
        sheets.append(sheet)
    for index, row in rows:
        sheets[index].append(cells(row))
    yield from _saved(workbook)


def _saved(workbook: Any) -> Iterator[bytes]:
    with tempfile.TemporaryFile() as spool:
        workbook.save(spool)
        spool.seek(0)
        while chunk := spool.read(_FILE_CHUNK):
            yield chunk


def xlsx_stream(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]
                ) -> Iterator[bytes]:
    """An XLSX workbook with one sheet per (title, header, rows)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=_sheet_title(title))
        sheet.append(cells(header))
        for row in rows:
            sheet.append(cells(row))
    yield from _saved(workbook)


def _sheet_title(title: str) -> str:
    cleaned = "".join("_" if c in "[]:*?/\\" else c for c in title)
    return cleaned[:31] or "sheet"


def geojson_stream(features: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """A GeoJSON FeatureCollection, one feature at a time."""
    yield b'{"type":"FeatureCollection","features":['
    first = True
    for feature in features:
        yield (b"" if first else b",\n") + json.dumps(
            feature, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        first = False
    yield b"]}\n"
