"""The file writers on their own: cells, CSV chunks, zips of tables, XLSX, GeoJSON."""

from __future__ import annotations

import csv
import io
import json
import zipfile

from openpyxl import load_workbook

from server.services.exports import writers

#: OWASP's CSV injection examples and their kin: each must reach a spreadsheet as text.
FORMULAS = ["=HYPERLINK(\"http://x\")", "@SUM(A1)", "-cmd", "+cmd",
            "+1+cmd|' /C calc'!A0", "-2+3+HYPERLINK(\"http://x\",\"y\")",
            "\t=1+1", "\r=1+1", "=1+1", "-1+1", "+254 7+cmd|x!A0", "-1.5e3+A1"]
#: Numbers typed as text (phone numbers, geopoints, geoshapes) stay as typed.
NUMBERS = ["+254712345678", "-1.31325 36.78925 1702 4.5", "-12", "-1 36 0 0;-1 37 0 0;"]


def test_cells_keep_data_and_defuse_formulas() -> None:
    assert writers.cell(None) == "" and writers.cell(3) == 3 and writers.cell(2.5) == 2.5
    assert writers.cell(-3) == -3
    assert writers.cell(True) == "yes" and writers.cell(["fires", "floods"]) == "fires floods"
    for text in FORMULAS:
        assert writers.cell(text) == "'" + text, text
    assert writers.cell(["-2+3", "x"]) == "'-2+3 x"
    for text in NUMBERS:
        assert writers.cell(text) == text


def test_no_cell_of_any_file_starts_a_formula() -> None:
    """Every CSV and XLSX writer, headers included, read back as a spreadsheet would."""
    header = ["name", *FORMULAS[:2]]
    rows = [[text, text, "ok"] for text in FORMULAS] + [[n, n, n] for n in NUMBERS]
    tables = [("main.csv", header), ("more.csv", header)]
    indexed = [(i % 2, row) for i, row in enumerate(rows)]
    found = list(csv.reader(io.StringIO(
        b"".join(writers.csv_stream(header, iter(rows))).decode("utf-8-sig"))))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(writers.zip_of_tables(tables,
                                                                         iter(indexed)))))
    for name in archive.namelist():
        found += csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig")))
    for data in (b"".join(writers.xlsx_of_tables(tables, iter(indexed))),
                 b"".join(writers.xlsx_stream([("main", header, iter(rows))]))):
        book = load_workbook(io.BytesIO(data))  # not read-only: cell types are kept
        for sheet in book.worksheets:
            found += [[c.value for c in row] for row in sheet.iter_rows()]
            assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    texts = [v for row in found for v in row if isinstance(v, str)]
    assert len(texts) > 4 * len(rows)
    dangerous = [v for v in texts if v.startswith(writers.FORMULA_STARTS) and v not in NUMBERS]
    assert dangerous == []


def test_csv_is_chunked_with_a_byte_order_mark() -> None:
    rows = ([n, "x" * 100] for n in range(2000))
    chunks = list(writers.csv_stream(["n", "text"], rows))
    assert len(chunks) > 3  # ~200 KB leave in ~32 KB pieces
    text = b"".join(chunks).decode("utf-8")
    assert text.startswith("\ufeffn,text\r\n")
    assert len(list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))) == 2001


def test_a_zip_of_tables_from_one_stream_of_rows() -> None:
    tables = [("main.csv", ["record_id", "name"]), ("members.csv", ["record_id", "age"])]
    rows = [(0, ["r1", "Amina"]), (1, ["r1", 34]), (1, ["r1", 6]), (0, ["r2", "Juma"]),
            (1, ["r2", 51])]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(writers.zip_of_tables(tables, iter(rows)))))
    assert archive.testzip() is None
    assert archive.read("main.csv").decode("utf-8-sig") == \
        "record_id,name\r\nr1,Amina\r\nr2,Juma\r\n"
    assert archive.read("members.csv").decode("utf-8-sig") == \
        "record_id,age\r\nr1,34\r\nr1,6\r\nr2,51\r\n"


def test_xlsx_of_tables_has_a_sheet_each() -> None:
    tables = [("sdi_household_enumeration", ["record_id"]), ("household/members:x", ["age"])]
    data = b"".join(writers.xlsx_of_tables(tables, iter([(0, ["r1"]), (1, [34])])))
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames == ["sdi_household_enumeration", "household_members_x"]
    assert [list(r) for r in book["household_members_x"].iter_rows(values_only=True)] == \
        [["age"], [34]]


def test_geojson_is_one_feature_collection() -> None:
    features = [{"type": "Feature", "geometry": None, "properties": {"n": n}} for n in range(3)]
    parsed = json.loads(b"".join(writers.geojson_stream(iter(features))))
    assert parsed["type"] == "FeatureCollection" and len(parsed["features"]) == 3
    assert json.loads(b"".join(writers.geojson_stream(iter([]))))["features"] == []
