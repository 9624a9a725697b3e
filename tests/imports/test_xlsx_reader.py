"""The fast .xlsx reader of the importer gives the values openpyxl gives for the same
workbook: strings (shared and inline), numbers, booleans, dates and times by their
format, gaps, several sheets; and refuses what is not a workbook."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from server.services.imports.xlsx import XlsxError, read_xlsx


def openpyxl_values(path: Path) -> list[tuple[str, list[list[object]]]]:
    book = load_workbook(path, read_only=True, data_only=True)
    found = []
    for sheet in book.worksheets:
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        found.append((sheet.title, rows))
    book.close()
    return found


def trimmed(rows: list[list[object]]) -> list[list[object]]:
    """Rows without trailing empty cells (openpyxl pads rows to the sheet's width)."""
    out = []
    for row in rows:
        row = list(row)
        while row and row[-1] is None:
            row.pop()
        out.append(row)
    return out


def test_values_as_openpyxl_reads_them(tmp_path: Path) -> None:
    book = Workbook()
    main = book.active
    main.title = "Ménages"
    main.append(["name", "age", "rent", "ok", "when", "day", "at", None, "note"])
    main.append(["Amina Otieno", 34, 1500.5, True, datetime(2019, 3, 4, 9, 30), date(2019, 3, 4),
                 time(14, 5), None, "=1+1"])
    main.append([None, 0, -2, False])
    main["B5"] = "row four is missing"
    members = book.create_sheet("members")
    members.append(["m_name", "_index", "_parent_index"])
    members.append(["Ñandú", 1, 1])
    path = tmp_path / "export.xlsx"
    book.save(path)
    mine = read_xlsx(path)
    theirs = openpyxl_values(path)
    assert [name for name, _ in mine] == ["Ménages", "members"]
    for (name, rows), (_, expected) in zip(mine, theirs, strict=True):
        assert trimmed(rows) == trimmed(expected), name
    assert mine[0][1][1][4] == datetime(2019, 3, 4, 9, 30)


def test_what_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "export.xlsx"
    bad.write_bytes(b"_id,_uuid\n1,abc\n")
    with pytest.raises(XlsxError, match=r"not an \.xlsx workbook"):
        read_xlsx(bad)
