"""`hesabu import kobo|ona`: the export layouts people download from KoboToolbox and Ona
(bench/export_files.py) become records with the answers the submissions had, whatever
the headers (paths, names, labels in any language), values (names or labels), repeat
layout (sheets, nested, or Ona's [n] columns) and cell types; a second import changes
nothing; one bad cell and nothing is imported, each problem named by sheet, row, column."""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from export_files import Submission, kobo_xlsx, ona_csv, ona_xlsx
from flask import Flask
from households import make_household
from openpyxl import load_workbook
from openrosa_site import ROOT, sdi_form
from server_harness import table_counts
from sqlalchemy import select

from forms import load_form
from hesabu.cli import main
from server.extensions import db
from server.models import Op as OpRow
from server.models import Record, RecordScope, Settlement, SubmissionInstance
from server.services.indicators.profiles import Viewer, settlement_profile

HOUSEHOLD = "sdi_household_enumeration"
EXAMPLES = ROOT / "forms" / "examples"
NESTED_FORM = ROOT / "tests" / "data" / "forms" / "household_enumeration.md"


def clean(value: Any) -> Any:
    """Answers as an import can give them back: no repeat ids, no empty answers."""
    if isinstance(value, dict):
        out = {k: clean(v) for k, v in value.items() if k != "__id"}
        return {k: v for k, v in out.items() if v not in (None, "", {}, [])}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def households(count: int = 12) -> list[Submission]:
    spec = sdi_form(HOUSEHOLD)
    rng = random.Random(17)
    answers = [json.loads(p.read_text()) for p in sorted((EXAMPLES / HOUSEHOLD).glob("*.json"))]
    answers += [make_household(spec, rng, f"MSH-{i:04d}") for i in range(count)]
    order = [c.name for c in spec.choice_list(spec.find("disasters").list_name or "")]
    for a in answers:  # as ODK clients keep them: in the order of the choice list (Ona's
        a.get("household", {}).get("disasters", []).sort(key=order.index)  # split columns
    return [Submission(str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                       f"2019-0{1 + i % 9}-12T09:30:00", a) for i, a in enumerate(answers)]


def nested() -> list[Submission]:
    """Two households of the test form with members and their illnesses (a repeat in a
    repeat), a photo, a point, or_other and the start/end metadata."""
    base = {"start": "2019-03-04T09:00:00.000+03:00", "end": "2019-03-04T09:40:00.000+03:00",
            "enumerator": "amina", "structure_number": "KB-045", "head_name": "Halima Ali",
            "years_here": 6, "tenure": "tenant", "rent_month": 1200.5,
            "water_source": ["shared_tap", "other"], "water_source_other": "Rain tank",
            "toilet": "communal", "hh_size": 2, "structure_photo": "1551683012345.jpg",
            "structure_gps": "-1.3132 36.7876 1702 4.5", "consent_ok": "OK"}
    first = {**base, "members": [
        {"member_no": 1, "m_name": "Halima Ali", "m_age": 34, "m_sex": "female",
         "m_livelihood": "trader", "m_illness_count": 1,
         "illnesses": [{"illness": "malaria", "illness_date": "2019-01-20", "treated": "yes"}]},
        {"member_no": 2, "m_name": "Yusuf Ali", "m_age": 9, "m_sex": "male", "m_school": "yes",
         "m_illness_count": 2,
         "illnesses": [{"illness": "malaria", "treated": "no"},
                       {"illness": "diarrhoea", "illness_date": "2019-02-02"}]}],
        "children": 1, "all_illnesses": 3}
    second = {**base, "head_name": "Peter Otieno", "tenure": "owner", "hh_size": 1,
              "water_source": ["borehole"], "structure_photo": "1551683099999.jpg",
              "members": [{"member_no": 1, "m_name": "Peter Otieno", "m_age": 61,
                           "m_sex": "male", "m_livelihood": "none", "m_illness_count": 0}],
              "children": 0, "all_illnesses": 0}
    for answers in (first, second):
        if answers["tenure"] != "tenant":
            answers.pop("rent_month")
        if "other" not in answers["water_source"]:
            answers.pop("water_source_other")
    return [Submission("0b1e6c9e-6f0a-4a55-9b6b-2f1f3c5d0a11", "2019-03-04T10:02:11", first),
            Submission("7c3e1a52-1d4f-4e9a-8f3e-5b6a7c8d9e01", "2019-03-05T08:15:40", second)]


def run(path: Path, form_id: str, source: str, server: Flask, code: int = 0) -> str:
    result = CliRunner().invoke(main, ["import", source, str(path), "--form", form_id,
                                       "--database-url",
                                       server.config["SQLALCHEMY_DATABASE_URI"],
                                       "--instance", server.instance_path])
    assert result.exit_code == code, result.output
    return result.output


def stored(server: Flask, form_id: str) -> dict[str, Any]:
    """{instance id: the record's answers} of the imported records."""
    with server.app_context():
        rows = db.session.execute(
            select(SubmissionInstance.instance_id, Record.answers)
            .join(Record, Record.record_id == SubmissionInstance.record_id)
            .where(Record.form_id == form_id)).all()
        db.session.rollback()
    return {instance: clean(answers) for instance, answers in rows}


def expected(subs: list[Submission]) -> dict[str, Any]:
    return {f"uuid:{s.uuid}": clean(s.answers) for s in subs}


LAYOUTS = {
    "kobo xml headers": (kobo_xlsx, "kobo", {}),
    "kobo labels in French, group labels, numbers as text": (
        kobo_xlsx, "kobo", {"language": "French (fr)", "hierarchy": True, "numbers": False}),
    "kobo labels in Swahili": (kobo_xlsx, "kobo", {"language": "Swahili (sw)"}),
    "ona csv": (ona_csv, "ona", {}),
    "ona xlsx": (ona_xlsx, "ona", {}),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_sdi_households_import_with_their_answers_once(server: Flask, tmp_path: Path,
                                                       layout: str) -> None:
    write, source, options = LAYOUTS[layout]
    subs = households()
    suffix = ".csv" if write is ona_csv else ".xlsx"
    path = write(tmp_path / f"export{suffix}", sdi_form(HOUSEHOLD), subs, **options)
    output = run(path, HOUSEHOLD, source, server)
    assert f"{len(subs)} new record(s)" in output
    assert stored(server, HOUSEHOLD) == expected(subs)
    before = table_counts(server)
    assert f"{len(subs)} already imported" in run(path, HOUSEHOLD, source, server)
    assert table_counts(server) == before


@pytest.mark.parametrize("layout", ["kobo xml headers", "ona csv", "ona xlsx"])
def test_nested_repeats_photos_points_and_metadata(server: Flask, tmp_path: Path,
                                                   layout: str) -> None:
    write, source, options = LAYOUTS[layout]
    spec = load_form(NESTED_FORM)
    suffix = ".csv" if write is ona_csv else ".xlsx"
    path = write(tmp_path / f"nested{suffix}", spec, nested(), **options)
    assert "2 new record(s)" in run(path, spec.id, source, server)
    assert stored(server, spec.id) == expected(nested())
    with server.app_context():
        ops = db.session.execute(select(OpRow.payload)).scalars().all()
        assert {op["meta"]["via"] for op in ops} == {source}
        db.session.rollback()


def test_a_kobo_export_with_its_sheets_is_what_the_tests_think_it_is(tmp_path: Path) -> None:
    """The layout itself, for the reader of these tests: a sheet per repeat, joined by
    _index/_parent_index, select_multiple summary and per-choice columns."""
    path = kobo_xlsx(tmp_path / "nested.xlsx", load_form(NESTED_FORM), nested())
    book = load_workbook(path, read_only=True)
    assert book.sheetnames == ["Household enumeration"[:31], "members", "illnesses"]
    main, members, illnesses = (list(s.iter_rows(values_only=True)) for s in book.worksheets)
    assert {"water_source", "water_source/borehole", "structure_photo_URL",
            "_structure_gps_latitude", "_uuid", "_index"} <= set(main[0])
    at = members[0].index("_index")
    assert members[0][at:at + 4] == ("_index", "_parent_table_name", "_parent_index",
                                     "_submission__id")
    assert "members/illnesses/illness" in illnesses[0]
    book.close()


def test_a_bad_cell_imports_nothing_and_says_where(server: Flask, tmp_path: Path) -> None:
    subs = households(3)
    path = kobo_xlsx(tmp_path / "bad.xlsx", sdi_form(HOUSEHOLD), subs)
    book = load_workbook(path)
    main, members = book.worksheets
    headers = [c.value for c in main[1]]
    main.cell(row=3, column=headers.index("household/members_count") + 1, value="many")
    main.cell(row=4, column=headers.index("household/tenure") + 1, value="castle")
    main.cell(row=1, column=len(headers) + 1, value="household/pets")
    main.cell(row=2, column=len(headers) + 1, value="2 goats")
    main.cell(row=5, column=headers.index("_uuid") + 1).value = None
    member_headers = [c.value for c in members[1]]
    members.cell(row=2, column=member_headers.index("_parent_index") + 1, value=99)
    book.save(path)
    before = table_counts(server)
    output = run(path, HOUSEHOLD, "kobo", server, code=1)
    sheet = main.title
    for line in (
            f"{sheet}:3:household/members_count: 'many' is not a whole number",
            f"{sheet}:4:household/tenure: 'castle' is not a choice of tenure",
            f"{sheet}:2:household/pets: form '{HOUSEHOLD}' version '2026120601' has no "
            "question for this column",
            f"{sheet}:5:_uuid: no _uuid",
            "members:2:_parent_index: no row '99' in the parent sheet"):
        assert line in output, output
    assert "Nothing was imported." in output
    assert table_counts(server) == before


def heads_named(server: Flask, text: str) -> list[str]:
    """The heads' names the records table finds with `text` in them (record_values)."""
    from server.services.records_table import Query, question_columns, records_page

    with server.test_request_context():
        (head,) = [c for c in question_columns(sdi_form(HOUSEHOLD))
                   if c.path == "household/head_name"]
        rows, _total = records_page(Query(form_id=HOUSEHOLD, columns=[head], answers=[
            (head.path, "contains", text)]), None)
        db.session.rollback()
    return [r.answers[head.path] for r in rows]


def test_a_newer_export_changes_only_what_differs(server: Flask, tmp_path: Path) -> None:
    subs = households(2)
    spec = sdi_form(HOUSEHOLD)
    run(kobo_xlsx(tmp_path / "first.xlsx", spec, subs), HOUSEHOLD, "kobo", server)
    assert heads_named(server, "ouma") == []  # the records table's keys are made now
    corrected = json.loads(json.dumps(subs[0].answers))
    corrected["household"]["head_name"] = "Joseph Otieno Ouma"
    newer = [Submission(subs[0].uuid, subs[0].submitted, corrected), *subs[1:]]
    output = run(kobo_xlsx(tmp_path / "second.xlsx", spec, newer), HOUSEHOLD, "kobo", server)
    assert "0 new record(s), 1 changed" in output
    assert heads_named(server, "ouma") == ["Joseph Otieno Ouma"]  # and follow the import
    with server.app_context():
        last = db.session.execute(select(OpRow.payload).order_by(OpRow.server_seq.desc())
                                  ).scalars().first()
        assert last["fields"] == {"household/head_name": "Joseph Otieno Ouma",
                                  "__deleted__": False}
        assert last["parents"]["household/head_name"]
        db.session.rollback()


def test_a_federations_history_links_and_counts(server: Flask, tmp_path: Path) -> None:
    """A settlement profile, its structures and households from Kobo: the profile founds
    the settlement in the federation, structures link by its name, households by the
    painted number, and the settlement's enumeration counts them."""
    def export(form_id: str, answers: list[dict[str, Any]]) -> Path:
        subs = [Submission(str(uuid.uuid4()), "2019-05-01T10:00:00", a) for a in answers]
        return kobo_xlsx(tmp_path / f"{form_id}.xlsx", sdi_form(form_id), subs)

    profile = json.loads((EXAMPLES / "sdi_settlement_profile" / "mashimoni_nairobi.json")
                         .read_text())
    structure = json.loads((EXAMPLES / "sdi_structure_numbering" / "msh_0142_residential.json")
                           .read_text())
    structure.pop("settlement_id")
    household = json.loads((EXAMPLES / HOUSEHOLD / "msh_0142_tenant_family.json").read_text())
    household.pop("structure_id")
    run(export("sdi_settlement_profile", [profile]), "sdi_settlement_profile", "kobo", server)
    run(export("sdi_structure_numbering", [structure]), "sdi_structure_numbering", "kobo",
        server)
    run(export(HOUSEHOLD, [household]), HOUSEHOLD, "kobo", server)
    with server.app_context():
        (settlement,) = db.session.execute(select(Settlement)).scalars()
        assert settlement.name == "Mashimoni"
        assert set(db.session.execute(select(RecordScope.settlement_id)).scalars()) == {
            settlement.id}
        enumeration = settlement_profile(Viewer(), settlement.id)["enumeration"]  # type: ignore[index]
        assert (enumeration["structures"], enumeration["households"],
                enumeration["population"]) == (1, 1, 5)
        db.session.rollback()
