# ruff: noqa: E501  (markdown form tables are easier to read unwrapped)
"""load_form: every source format gives the same FormSpec, and the JSON round-trips."""

from __future__ import annotations

import csv
import textwrap
import time
from pathlib import Path

import pytest
from pyxform.xls2json_backends import _md_table_to_ss_structure, md_table_to_workbook

from forms import FormError, FormSpec, check_form, load_form

ROOT = Path(__file__).resolve().parent.parent.parent
TEST_FORMS = sorted(
    p for p in (ROOT / "tests" / "data" / "forms").iterdir()
    if p.suffix in {".md", ".xlsx", ".xls", ".csv"}
)
SDI_FORMS = sorted((ROOT / "forms" / "definitions").glob("*.xlsx"))

FORM = """
| survey |
|        | type                     | name    | label::English (en) | label::Français (fr) | relevant        | constraint | repeat_count |
|        | integer                  | people  | People              | Personnes            |                 | . > 0      |              |
|        | select_one yn            | renting | Renting?            | Locataire ?          |                 |            |              |
|        | begin repeat             | rooms   | Room                | Pièce                | ${people} > 1   |            | ${people}    |
|        | select_multiple use      | use     | Used for            | Utilisée pour        |                 |            |              |
|        | end repeat               |         |                     |                      |                 |            |              |
| choices |
|         | list_name | name     | label::English (en) | label::Français (fr) |
|         | yn        | yes      | Yes                 | Oui                  |
|         | yn        | no       | No                  | Non                  |
|         | use       | sleeping | Sleeping            | Dormir               |
|         | use       | business | Business            | Commerce             |
| settings |
|          | form_id | version | default_language |
|          | rooms   | 5       | English (en)     |
"""


def as_md(tmp_path: Path) -> Path:
    path = tmp_path / "rooms.md"
    path.write_text(textwrap.dedent(FORM), encoding="utf-8")
    return path


def as_xlsx(tmp_path: Path) -> Path:
    path = tmp_path / "rooms.xlsx"
    md_table_to_workbook(textwrap.dedent(FORM)).save(path)
    return path


def as_csv(tmp_path: Path) -> Path:
    # pyxform's CSV layout: the sheet name in the first column, then the sheet's rows.
    path = tmp_path / "rooms.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        for sheet, rows in _md_table_to_ss_structure(textwrap.dedent(FORM)).items():
            writer.writerow([sheet])
            for row in rows:
                writer.writerow(["", *(cell or "" for cell in row)])
    return path


def as_dict(tmp_path: Path) -> dict:
    sheets = _md_table_to_ss_structure(textwrap.dedent(FORM))
    return {
        name: [
            {h: v for h, v in zip(rows[0], row, strict=False) if v is not None}
            for row in rows[1:]
        ]
        for name, rows in sheets.items()
    }


@pytest.mark.parametrize("make", [as_xlsx, as_csv, as_dict], ids=["xlsx", "csv", "dict"])
def test_every_source_format_gives_the_same_spec(tmp_path: Path, make) -> None:
    expected = load_form(as_md(tmp_path))
    assert load_form(make(tmp_path)) == expected


def test_path_may_be_a_string(tmp_path: Path) -> None:
    assert load_form(str(as_md(tmp_path))) == load_form(as_md(tmp_path))


def test_the_spec_has_what_the_form_says(tmp_path: Path) -> None:
    spec = load_form(as_md(tmp_path))
    assert (spec.id, spec.version, spec.title) == ("rooms", "5", "rooms")
    assert spec.languages == ("English (en)", "Français (fr)")
    rooms = spec.node("rooms")
    assert (rooms.repeat_count, rooms.relevant, rooms.row) == ("${people}", "${people} > 1", 4)
    assert spec.node("rooms/use").label == {"English (en)": "Used for", "Français (fr)": "Utilisée pour"}
    assert [q.name for q in spec.questions] == ["people", "renting", "use", "instanceID"]


def test_loading_twice_gives_identical_json(tmp_path: Path) -> None:
    path = as_md(tmp_path)
    assert load_form(path).to_json() == load_form(path).to_json()


def test_an_edited_file_is_loaded_again(tmp_path: Path) -> None:
    path = as_md(tmp_path)
    assert load_form(path).version == "5"
    path.write_text(path.read_text(encoding="utf-8").replace("| 5       |", "| 6       |"),
                    encoding="utf-8")
    assert load_form(path).version == "6"


def test_a_dict_without_a_survey_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FormError) as caught:
        load_form({"choices": [{"list_name": "yn", "name": "yes", "label": "Yes"}]})
    assert caught.value.codes == ["form.missing_survey_sheet"]


def test_the_source_dict_is_not_changed(tmp_path: Path) -> None:
    sheets = as_dict(tmp_path)
    before = repr(sheets)
    load_form(sheets)
    assert repr(sheets) == before


@pytest.mark.parametrize("path", TEST_FORMS + SDI_FORMS, ids=lambda p: p.name)
def test_json_round_trips_exactly(path: Path) -> None:
    spec = load_form(path)
    text = spec.to_json()
    again = FormSpec.from_json(text)
    assert again == spec
    assert again.to_json() == text
    assert FormSpec.from_json(spec.to_json(indent=2)) == spec


@pytest.mark.parametrize("path", TEST_FORMS + SDI_FORMS, ids=lambda p: p.name)
def test_shipped_and_test_forms_have_no_errors(path: Path) -> None:
    assert [str(p) for p in check_form(path) if p.is_error] == []


def test_a_600_question_form_loads_quickly(tmp_path: Path) -> None:
    # 600 questions in 60 groups, bigger than the KYC settlement profile; ~0.4 s on one
    # core here, the bound leaves room for a busy CI machine.
    lines = ["| survey |", "| | type | name | label | relevant | constraint |"]
    for g in range(60):
        lines.append(f"| | begin group | g{g} | Section {g} | | |")
        for q in range(10):
            rel = f"${{q{g}_{q - 1}}} > 0" if q else ""
            lines.append(f"| | integer | q{g}_{q} | Question {g}.{q} | {rel} | . >= 0 |")
        lines.append("| | end group | | | | |")
    path = tmp_path / "big.md"
    path.write_text("\n".join(lines))
    started = time.perf_counter()
    spec = load_form(path)
    elapsed = time.perf_counter() - started
    assert len(spec.questions) == 601
    assert elapsed < 3.0, f"loading took {elapsed:.2f}s"


def test_form_titles_in_each_language_survive_json_and_stay_one_title_for_xforms(
        tmp_path: Path) -> None:
    def write_md(text: str) -> Path:
        path = tmp_path / f"form{len(list(tmp_path.iterdir()))}.md"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    form = FORM.replace("""|          | form_id | version | default_language |
|          | rooms   | 5       | English (en)     |""", """|          | form_id | version | default_language | form_title | translated_title::Français (fr) |
|          | rooms   | 5       | English (en)     | Rooms      | Pièces                          |""")
    spec = load_form(write_md(form))
    assert spec.title == "Rooms" and spec.titles == {"Français (fr)": "Pièces"}
    assert spec.title_in("fr") == spec.title_in("Français (fr)") == "Pièces"
    assert spec.title_in("sw") == spec.title_in(None) == "Rooms"  # no Swahili: the title
    assert FormSpec.from_json(spec.to_json()).titles == spec.titles
    assert "titles" not in load_form(write_md(FORM)).to_dict()  # nothing when untranslated
    # Translated form_title::<language> columns (which stock pyxform cannot turn into an
    # XForm) load too: the default language's is the title.
    spec = load_form(write_md(form.replace("translated_title::", "form_title::").replace(
        "| form_title | form_title::", "| form_title::English (en) | form_title::")))
    assert spec.title == "Rooms" and spec.title_in("fr") == "Pièces"
