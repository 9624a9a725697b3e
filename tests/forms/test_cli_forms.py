# ruff: noqa: E501  (expected outline lines are easier to read unwrapped)
"""`hesabu forms check|show|json` as a form author uses them."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from click.testing import CliRunner

from forms import FormSpec, load_form
from hesabu.cli import main

DATA = Path(__file__).resolve().parent.parent / "data" / "forms"


def run(*args: str):
    return CliRunner().invoke(main, ["forms", *args])


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "form.md"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_check_a_good_form_exits_0_and_says_ok() -> None:
    result = run("check", str(DATA / "multilingual_profile.md"))
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("OK: 0 errors, 0 warnings")


def test_check_prints_warnings_but_still_exits_0() -> None:
    result = run("check", str(DATA / "water_points.csv"))
    assert result.exit_code == 0
    assert "survey:11:parameters: warning: Use the max-pixels parameter" in result.output
    assert "OK: 0 errors, 2 warnings" in result.output


def test_check_a_broken_form_exits_1_with_the_place_of_each_error(tmp_path: Path) -> None:
    path = write(tmp_path, """
        | survey |
        |        | type    | name | label | relevant       |
        |        | integer | size | Size  |                |
        |        | text    | a    | A     | ${hh_size} > 1 |
    """)
    result = run("check", str(path))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == (
        "survey:3:relevant: error: unknown field ${hh_size}; check the name or add the question"
    )
    assert lines[-1] == f"{path}: cannot be used: 1 error, 0 warnings"


def test_check_a_missing_file(tmp_path: Path) -> None:
    result = run("check", str(tmp_path / "missing.xlsx"))
    assert result.exit_code == 1
    assert result.output.startswith("-:-:-: error: no form file at")


def test_show_outlines_groups_repeats_and_logic() -> None:
    result = run("show", str(DATA / "household_enumeration.md"))
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("Household enumeration (household_enumeration, version 2024061501)")
    assert "  repeat members \"Household member\" (count: ${hh_size}) [field-list]" in out
    assert "    repeat illnesses \"Illness\" (count: if(${m_illness_count} > 5, 5, ${m_illness_count}))" in out
    assert "      select_one disease illness \"Which illness?\"" in out
    assert "          required: true()" in out
    assert "  decimal rent_month \"Rent paid per month\"\n      required: true()\n      relevant: ${tenure} = 'tenant'\n      constraint: . > 0" in out
    assert "  calculate children\n      calculation: count(${members}[m_age < 18])" in out
    assert "  select_multiple water or_other water_source" in out


def test_show_shortens_long_labels(tmp_path: Path) -> None:
    path = write(tmp_path, """
        | survey |
        |        | type | name    | label |
        |        | note | consent | Read this aloud: we are members of the federation and we count every household so that we can plan together. |
    """)
    result = run("show", str(path))
    line = next(x for x in result.output.splitlines() if "consent" in x)
    assert line.endswith('we count every ho…"')
    assert len(line) < 100


def test_show_in_another_language_by_code() -> None:
    french = run("show", str(DATA / "multilingual_profile.md"), "--lang", "fr")
    assert french.exit_code == 0
    assert "group section_F \"F. Eau\"" in french.output
    swahili = run("show", str(DATA / "multilingual_profile.md"), "--lang", "Swahili (sw)")
    assert "integer F1_Shared_Taps_Count \"Idadi ya mabomba ya pamoja\"" in swahili.output
    english = run("show", str(DATA / "multilingual_profile.md"))
    assert "group section_F \"F. Water\"" in english.output


def test_show_with_an_unknown_language_says_which_exist() -> None:
    result = run("show", str(DATA / "multilingual_profile.md"), "--lang", "pt")
    assert result.exit_code == 2
    assert "'pt' is not a language of this form" in result.output
    assert "English (en), French (fr), Swahili (sw)" in result.output


def test_show_a_broken_form_exits_1(tmp_path: Path) -> None:
    path = write(tmp_path, """
        | survey |
        |        | type        | name | label |
        |        | begin group | g    | G     |
        |        | text        | a    | A     |
    """)
    result = run("show", str(path))
    assert result.exit_code == 1
    assert "survey:2:type: error: 'begin group' for 'g' has no matching 'end group'" in result.output


def test_json_prints_the_form_spec() -> None:
    path = DATA / "cascading_locations.md"
    result = run("json", str(path))
    assert result.exit_code == 0
    assert FormSpec.from_json(result.output) == load_form(path)
    assert "\n" not in result.output.strip()


def test_json_indent() -> None:
    result = run("json", str(DATA / "structure_numbering.xlsx"), "--indent", "2")
    assert result.exit_code == 0
    assert result.output.startswith('{\n  "format": 1,')
    assert json.loads(result.output)["id"] == "structure_numbering"


def test_json_of_a_broken_form_exits_1_and_prints_no_json(tmp_path: Path) -> None:
    path = write(tmp_path, """
        | survey |
        |        | type | name | label |
        |        | txt  | a    | A     |
    """)
    result = CliRunner().invoke(main, ["forms", "json", str(path)])
    assert result.exit_code == 1
    assert "survey:2:type: error: unknown question type 'txt'" in result.output
    assert "{" not in result.output
