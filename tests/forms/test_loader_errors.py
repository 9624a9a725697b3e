# ruff: noqa: E501  (markdown form tables are easier to read unwrapped)
"""A broken form is reported with its sheet, row and column and what to do about it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from forms import FormError, FormProblem, check_form, load_form
from forms.errors import CODES, WARNING


def write(tmp_path: Path, text: str, name: str = "form.md") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def only_error(path: Path | dict) -> FormProblem:
    with pytest.raises(FormError) as caught:
        load_form(path)
    errors = caught.value.errors
    assert len(errors) == 1, errors
    assert errors[0].code in CODES
    return errors[0]


def test_file_not_found(tmp_path: Path) -> None:
    problem = only_error(tmp_path / "nope.xlsx")
    assert problem.code == "form.file_not_found"
    assert "nope.xlsx" in problem.message


def test_a_folder_is_not_a_form(tmp_path: Path) -> None:
    assert only_error(tmp_path).code == "form.file_not_found"


def test_a_text_file_is_not_a_form(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("| survey |\n| | type | name |\n| | text | a |\n")
    assert only_error(path).code == "form.unsupported_file"


def test_corrupt_spreadsheet(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    problem = only_error(path)
    assert problem.code == "form.unreadable"
    assert "broken.xlsx" in problem.message
    assert "save it again as .xlsx" in problem.hint


def test_a_word_document_renamed_to_xls(tmp_path: Path) -> None:
    path = tmp_path / "form.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + bytes(200))
    assert only_error(path).code == "form.unreadable"


def test_missing_survey_sheet(tmp_path: Path) -> None:
    problem = only_error(write(tmp_path, """
        | choices |
        |         | list_name | name | label |
        |         | yn        | yes  | Yes   |
        | settings |
        |          | form_id |
        |          | x       |
    """))
    assert problem.code == "form.missing_survey_sheet"
    assert "'survey'" in problem.message


def test_missing_choices_sheet_points_at_the_first_select(tmp_path: Path) -> None:
    problem = only_error(write(tmp_path, """
        | survey |
        |        | type          | name | label |
        |        | text          | a    | A     |
        |        | select_one yn | b    | B     |
    """))
    assert (problem.code, problem.sheet, problem.row) == ("form.missing_choices_sheet", "survey", 3)


def test_a_misspelt_choices_sheet_is_pointed_out(tmp_path: Path) -> None:
    problem = only_error(write(tmp_path, """
        | survey |
        |        | type          | name | label |
        |        | select_one yn | b    | B     |
        | choice |
        |        | list_name | name | label |
        |        | yn        | yes  | Yes   |
    """))
    assert problem.code == "form.missing_choices_sheet"
    assert problem.hint.startswith("there is a sheet named 'choice': check its spelling")


def test_select_with_a_choice_list_missing(tmp_path: Path) -> None:
    problem = only_error(write(tmp_path, """
        | survey |
        |        | type                | name | label |
        |        | select_one yes_no   | b    | B     |
        | choices |
        |         | list_name | name | label |
        |         | yn        | yes  | Yes   |
    """))
    assert problem.code == "form.missing_choice_list"
    assert (problem.sheet, problem.row, problem.column) == ("survey", 2, "type")
    assert "yes_no" in problem.message


def test_unknown_question_type_suggests_the_right_one(tmp_path: Path) -> None:
    problem = only_error(write(tmp_path, """
        | survey |
        |        | type    | name | label |
        |        | text    | a    | A     |
        |        | interger| b    | B     |
    """))
    assert problem.code == "form.unknown_type"
    assert (problem.sheet, problem.row, problem.column) == ("survey", 3, "type")
    assert "interger" in problem.message
    assert "did you mean 'integer'?" in problem.hint


def test_types_hesabu_cannot_collect_are_refused(tmp_path: Path) -> None:
    problem = only_error(write(tmp_path, """
        | survey |
        |        | type                        | name | label |
        |        | select_one_from_file wards.csv | w | Ward  |
    """))
    assert problem.code == "form.unsupported_type"
    assert problem.row == 2


def test_odk_entities_are_refused_at_the_entities_sheet(tmp_path: Path) -> None:
    problem = only_error(write(tmp_path, """
        | survey |
        |        | type | name | label | save_to |
        |        | text | tree | Tree  | species |
        | entities |
        |          | list_name | label   |
        |          | trees     | ${tree} |
    """))
    assert (problem.code, problem.sheet, problem.row) == ("form.unsupported_type", "entities", 2)


def test_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.md"
    path.write_text("")
    problem = only_error(path)
    assert problem.code == "form.unreadable"
    assert problem.message == "empty.md could not be read as a markdown file"


def test_a_form_without_questions_is_usable_but_warned_about(tmp_path: Path) -> None:
    problems = check_form(write(tmp_path, """
        | survey |
        |        | type | name | label |
    """))
    assert "form.empty" in [p.code for p in problems]
    assert not any(p.is_error for p in problems)


def test_duplicate_names_in_the_same_group(tmp_path: Path) -> None:
    problem = only_error(write(tmp_path, """
        | survey |
        |        | type | name | label |
        |        | text | a    | A     |
        |        | text | a    | A     |
    """))
    assert (problem.code, problem.row, problem.column) == ("form.duplicate_name", 3, "name")


def test_duplicate_names_in_different_groups(tmp_path: Path) -> None:
    # XLSForm allows it, Hesabu does not: ${comments} would mean two questions.
    problem = only_error(write(tmp_path, """
        | survey |
        |        | type        | name     | label    |
        |        | text        | comments | Comments |
        |        | begin group | water    | Water    |
        |        | text        | comments | Comments |
        |        | end group   |          |          |
    """))
    assert (problem.code, problem.row) == ("form.duplicate_name", 4)
    assert "row 2" in problem.message


def test_duplicate_choice_names(tmp_path: Path) -> None:
    problem = only_error(write(tmp_path, """
        | survey |
        |        | type          | name | label |
        |        | select_one yn | b    | B     |
        | choices |
        |         | list_name | name | label |
        |         | yn        | yes  | Yes   |
        |         | yn        | yes  | Oui   |
    """))
    assert (problem.code, problem.sheet, problem.row) == ("form.duplicate_choice", "choices", 3)


def test_begin_group_without_end(tmp_path: Path) -> None:
    problem = only_error(write(tmp_path, """
        | survey |
        |        | type         | name    | label |
        |        | text         | a       | A     |
        |        | begin repeat | members | M     |
        |        | text         | b       | B     |
    """))
    assert (problem.code, problem.row) == ("form.unmatched_group", 3)
    assert "'begin repeat' for 'members'" in problem.message
    assert "end repeat" in problem.hint


def test_end_group_without_begin(tmp_path: Path) -> None:
    problem = only_error(write(tmp_path, """
        | survey |
        |        | type      | name | label |
        |        | text      | a    | A     |
        |        | end group |      |       |
    """))
    assert (problem.code, problem.row) == ("form.unmatched_group", 3)


def test_reference_to_an_unknown_field(tmp_path: Path) -> None:
    with pytest.raises(FormError) as caught:
        load_form(write(tmp_path, """
            | survey |
            |        | type    | name    | label | relevant       |
            |        | integer | size    | Size  |                |
            |        | text    | a       | A     | ${hh_size} > 1 |
        """))
    problem = caught.value.errors[0]
    assert problem.code == "form.unknown_reference"
    assert (problem.sheet, problem.row, problem.column) == ("survey", 3, "relevant")
    assert str(problem) == (
        "survey sheet, row 3, column 'relevant': unknown field ${hh_size}; "
        "check the name or add the question"
    )
    assert str(caught.value).startswith("survey sheet, row 3, column 'relevant'")


def test_reference_to_an_unknown_field_in_a_label(tmp_path: Path) -> None:
    problem = only_error(write(tmp_path, """
        | survey |
        |        | type | name | label                 |
        |        | text | name | Name                  |
        |        | note | hi   | Welcome, ${nmae}!     |
    """))
    assert (problem.code, problem.row, problem.column) == ("form.unknown_reference", 3, "label")
    assert problem.message == "unknown field ${nmae}"


def test_unclosed_reference(tmp_path: Path) -> None:
    problem = only_error(write(tmp_path, """
        | survey |
        |        | type    | name | label | constraint |
        |        | integer | a    | A     | ${a > 1    |
    """))
    assert (problem.code, problem.row, problem.column) == ("form.expression_syntax", 2, "constraint")


@pytest.mark.parametrize(
    ("column", "expression"),
    [("relevant", "${a} > > 1"), ("constraint", ". < (3"), ("calculation", "${a} +"),
     ("required", "${a} = = 2"), ("choice_filter", "name = 'x' and"),
     ("repeat_count", "${a} *")],
)
def test_expression_syntax_errors_name_the_column(
    tmp_path: Path, column: str, expression: str
) -> None:
    cells = {c: "" for c in ("relevant", "constraint", "calculation", "required",
                             "choice_filter", "repeat_count")}
    cells[column] = expression
    kind = {"calculation": "calculate", "choice_filter": "select_one yn",
            "repeat_count": "begin repeat"}.get(column, "integer")
    row = " | ".join(cells.values())
    end = "|  | end repeat | | | " + " | " * 6 if kind == "begin repeat" else ""
    problem = only_error(write(tmp_path, f"""
        | survey |
        |  | type    | name | label | {' | '.join(cells)} |
        |  | integer | a    | A     | {' | ' * 5} |
        |  | {kind}  | b    | B     | {row} |
        |  | text    | c    | C     | {' | ' * 5} |
        {end}
        | choices |
        |  | list_name | name | label |
        |  | yn        | x    | X     |
    """))
    assert problem.code == "form.expression_syntax"
    assert (problem.sheet, problem.row, problem.column) == ("survey", 3, column)
    assert "character" in problem.message


def test_syntax_error_in_instance_name_points_at_settings(tmp_path: Path) -> None:
    problem = only_error(write(tmp_path, """
        | survey |
        |        | type | name | label |
        |        | text | a    | A     |
        | settings |
        |          | instance_name      |
        |          | concat(${a}, 'x'   |
    """))
    assert (problem.code, problem.sheet, problem.row, problem.column) == (
        "form.expression_syntax", "settings", 2, "instance_name")


def test_cyclic_calculations(tmp_path: Path) -> None:
    with pytest.raises(FormError) as caught:
        load_form(write(tmp_path, """
            | survey |
            |        | type      | name  | label | calculation   |
            |        | integer   | n     | N     |               |
            |        | calculate | a     |       | ${b} + ${n}   |
            |        | calculate | b     |       | ${c} * 2      |
            |        | calculate | c     |       | ${a} - 1      |
        """))
    problem = caught.value.errors[0]
    assert problem.code == "form.calculation_cycle"
    assert problem.sheet == "survey"
    assert problem.row in (3, 4, 5)
    for name in ("a", "b", "c"):
        assert name in problem.message


def test_question_without_label(tmp_path: Path) -> None:
    problem = only_error(write(tmp_path, """
        | survey |
        |        | type | name | label |
        |        | text | a    | A     |
        |        | text | b    |       |
    """))
    assert (problem.code, problem.row) == ("form.missing_label", 3)


def test_row_without_name(tmp_path: Path) -> None:
    problem = only_error(write(tmp_path, """
        | survey |
        |        | type    | name | label |
        |        | integer |      | A     |
    """))
    assert (problem.code, problem.row, problem.column) == ("form.missing_name", 2, "name")


def test_invalid_settings_value(tmp_path: Path) -> None:
    problem = only_error(write(tmp_path, """
        | survey |
        |        | type | name | label |
        |        | text | a    | A     |
        | settings |
        |          | form_id | name  |
        |          | f       | 2bad  |
    """))
    assert (problem.code, problem.sheet, problem.column) == ("form.invalid_settings", "settings", "name")
    assert problem.message.startswith("Names must begin with a letter")


def test_misspelt_columns_are_pointed_out_and_other_columns_left_alone(tmp_path: Path) -> None:
    problems = check_form(write(tmp_path, """
        | survey |
        |        | type | name | label | relevent | team_notes | label::Français (fr) |
        |        | text | a    | A     | 1 = 2    | check      | A                    |
    """))
    unknown = [p for p in problems if p.code == "form.unknown_column"]
    assert [(p.sheet, p.row, p.column, p.hint) for p in unknown] == [
        ("survey", 1, "relevent", "did you mean 'relevant'?")]
    assert unknown[0].severity == WARNING


def test_missing_type_column(tmp_path: Path) -> None:
    problem = only_error(write(tmp_path, """
        | survey |
        |        | typ  | name | label |
        |        | text | a    | A     |
    """))
    assert problem.code == "form.missing_column"
    assert problem.message == "the survey sheet has no column 'type'"
    assert (problem.sheet, problem.row) == ("survey", 1)


def test_check_form_returns_warnings_and_errors_without_raising(tmp_path: Path) -> None:
    path = write(tmp_path, """
        | survey |
        |        | type         | name | label |
        |        | begin repeat | r    |       |
        |        | text         | a    | A     |
        |        | end repeat   |      |       |
    """)
    problems = check_form(path)
    assert problems and all(p.severity == WARNING for p in problems)
    codes = {p.code for p in problems}
    assert "form.no_version" in codes
    assert any("Repeat has no label" in p.message and p.row == 2 for p in problems)
    warnings: list[FormProblem] = []
    spec = load_form(path, warnings=warnings)
    assert spec.node("r/a").type == "text"
    assert warnings == problems


def test_check_form_lists_errors_first(tmp_path: Path) -> None:
    problems = check_form(write(tmp_path, """
        | survey |
        |        | type  | name | label |
        |        | textt | a    | A     |
    """))
    assert problems[0].code == "form.unknown_type"
    assert problems[-1].severity == WARNING


def test_form_error_needs_a_problem() -> None:
    with pytest.raises(ValueError):
        FormError([])


def test_problem_without_location_reads_plainly() -> None:
    problem = FormProblem("the form has no 'survey' sheet", hint="add one")
    assert str(problem) == "the form has no 'survey' sheet; add one"
    assert problem.to_dict()["severity"] == "error"


def test_every_code_is_documented() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "forms.md").read_text(encoding="utf-8")
    missing = [code for code in CODES if f"`{code}`" not in docs]
    assert not missing, f"codes not described in docs/forms.md: {missing}"
