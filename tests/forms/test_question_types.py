# ruff: noqa: E501  (markdown form tables are easier to read unwrapped)
"""Every XLSForm question type and column arrives in the FormSpec as the author wrote it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from forms import FormSpec, load_form
from forms.spec import DEFAULT_LANG, METADATA_TYPES


def md_form(tmp_path: Path, text: str, name: str = "form") -> FormSpec:
    path = tmp_path / f"{name}.md"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_form(path)


def one_question(tmp_path: Path, xls_type: str, extra_columns: str = "", extra: str = "") -> FormSpec:
    return md_form(tmp_path, f"""
        | survey |
        |        | type       | name | label | {extra_columns}
        |        | {xls_type} | q    | Q     | {extra}
        | choices |
        |         | list_name | name | label |
        |         | colours   | red  | Red   |
        |         | colours   | blue | Blue  |
    """)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("text", "text"), ("string", "text"),
        ("integer", "integer"), ("int", "integer"),
        ("decimal", "decimal"),
        ("note", "note"), ("acknowledge", "acknowledge"),
        ("date", "date"), ("time", "time"), ("dateTime", "dateTime"), ("datetime", "dateTime"),
        ("geopoint", "geopoint"), ("gps", "geopoint"),
        ("geotrace", "geotrace"), ("geoshape", "geoshape"),
        ("image", "image"), ("photo", "image"),
        ("audio", "audio"), ("video", "video"), ("file", "file"),
        ("barcode", "barcode"), ("hidden", "hidden"),
        ("select_one colours", "select_one"), ("select one colours", "select_one"),
        ("select_multiple colours", "select_multiple"),
        ("select all that apply colours", "select_multiple"),
        ("rank colours", "rank"),
        ("range", "range"),
    ],
)
def test_each_question_type_gets_its_canonical_name(
    tmp_path: Path, written: str, expected: str
) -> None:
    spec = one_question(tmp_path, written)
    q = spec.find("q")
    assert q.kind == "question"
    assert q.type == expected
    assert q.label == {DEFAULT_LANG: "Q"}
    assert q.path == ("q",)


@pytest.mark.parametrize(
    ("written", "expected"),
    [("start", "start"), ("end", "end"), ("today", "today"), ("deviceid", "deviceid"),
     ("imei", "deviceid"), ("username", "username"), ("start time", "start")],
)
def test_metadata_types(tmp_path: Path, written: str, expected: str) -> None:
    spec = md_form(tmp_path, f"""
        | survey |
        |        | type      | name | label |
        |        | {written} | m    |       |
        |        | text      | t    | T     |
    """)
    assert spec.find("m").type == expected
    assert expected in METADATA_TYPES


def test_audit_goes_to_the_meta_group(tmp_path: Path) -> None:
    spec = md_form(tmp_path, """
        | survey |
        |        | type  | name | label |
        |        | audit |      |       |
        |        | text  | a    | A     |
    """)
    audit = spec.node("meta/audit")
    assert (audit.type, audit.row) == ("audit", 2)


def test_calculate_keeps_its_expression(tmp_path: Path) -> None:
    spec = md_form(tmp_path, """
        | survey |
        |        | type      | name  | label | calculation      |
        |        | integer   | adults| A     |                  |
        |        | integer   | kids  | K     |                  |
        |        | calculate | total |       | ${adults} + ${kids} |
    """)
    total = spec.find("total")
    assert total.type == "calculate"
    assert total.calculation == "${adults} + ${kids}"
    assert total.row == 4


def test_percentage_shorthand_is_an_integer_with_its_range(tmp_path: Path) -> None:
    q = one_question(tmp_path, "percentage").find("q")
    assert (q.type, q.constraint) == ("integer", "0 <= . and . <= 100")


def test_every_form_carries_meta_instance_id(tmp_path: Path) -> None:
    spec = one_question(tmp_path, "text")
    meta = spec.node("meta")
    assert meta.kind == "group" and meta.row is None
    instance_id = spec.node("meta/instanceID")
    assert instance_id.type == "instanceID"
    assert instance_id.read_only == "true()"


def test_a_note_without_a_name_gets_pyxforms_generated_name(tmp_path: Path) -> None:
    spec = md_form(tmp_path, """
        | survey |
        |        | type | name | label        |
        |        | text | a    | A            |
        |        | note |      | Thank you!   |
    """)
    note = spec.find("generated_note_name_3")
    assert (note.type, note.label, note.row) == ("note", {DEFAULT_LANG: "Thank you!"}, 3)


# -- selects ------------------------------------------------------------------------


def test_select_one_with_choice_filter_keeps_extra_choice_columns(tmp_path: Path) -> None:
    spec = md_form(tmp_path, """
        | survey |
        |        | type              | name     | label    | choice_filter             |
        |        | select_one region | region   | Region   |                           |
        |        | select_one city   | city     | City     | region=${region}          |
        | choices |
        |         | list_name | name     | label    | region |
        |         | region    | coast    | Coast    |        |
        |         | region    | nairobi  | Nairobi  |        |
        |         | city      | mombasa  | Mombasa  | coast  |
        |         | city      | kibera   | Kibera   | nairobi|
    """)
    city = spec.find("city")
    assert city.list_name == "city"
    assert city.choice_filter == "region=${region}"
    assert [c.name for c in spec.choice_list("city")] == ["mombasa", "kibera"]
    assert spec.choice_list("city")[0].extra == {"region": "coast"}
    assert spec.choice_list("city")[1].label == {DEFAULT_LANG: "Kibera"}


def test_or_other_adds_the_other_choice_and_the_specify_question(tmp_path: Path) -> None:
    spec = md_form(tmp_path, """
        | survey |
        |        | type                              | name   | label  |
        |        | select_multiple source or_other   | water  | Water  |
        |        | integer                           | cost   | Cost   |
        | choices |
        |         | list_name | name   | label  |
        |         | source    | tap    | Tap    |
        |         | source    | well   | Well   |
    """)
    water = spec.find("water")
    assert (water.type, water.or_other, water.list_name) == ("select_multiple", True, "source")
    assert [c.name for c in spec.choice_list("source")] == ["tap", "well", "other"]
    other = spec.find("water_other")
    assert other.type == "text"
    assert other.relevant == "selected(${water}, 'other')"
    assert other.row == water.row == 2
    # The specify question sits right after its select, as on the phone.
    names = [n.name for n in spec.children]
    assert names.index("water_other") == names.index("water") + 1


def test_rank_and_select_parameters(tmp_path: Path) -> None:
    spec = one_question(tmp_path, "rank colours", "parameters |", "randomize=true |")
    q = spec.find("q")
    assert (q.type, q.list_name) == ("rank", "colours")
    assert q.parameters == {"randomize": "true"}


def test_range_parameters(tmp_path: Path) -> None:
    spec = one_question(tmp_path, "range", "parameters |", "start=0 end=20 step=2 |")
    assert spec.find("q").parameters == {"start": "0", "end": "20", "step": "2"}


def test_range_without_parameters_gets_xlsforms_defaults(tmp_path: Path) -> None:
    assert one_question(tmp_path, "range").find("q").parameters == {
        "start": "1", "end": "10", "step": "1"}


def test_image_parameters(tmp_path: Path) -> None:
    spec = one_question(tmp_path, "image", "parameters |", "max-pixels=1024 |")
    assert spec.find("q").parameters == {"max-pixels": "1024"}


# -- groups and repeats ---------------------------------------------------------------


def test_groups_nest_and_keep_their_logic(tmp_path: Path) -> None:
    spec = md_form(tmp_path, """
        | survey |
        |        | type        | name    | label   | relevant        | appearance |
        |        | integer     | age     | Age     |                 |            |
        |        | begin group | adult   | Adult   | ${age} >= 18    | field-list |
        |        | text        | job     | Job     |                 |            |
        |        | begin_group | inner   | Inner   |                 |            |
        |        | text        | deep    | Deep    |                 |            |
        |        | end_group   |         |         |                 |            |
        |        | end group   |         |         |                 |            |
        |        | text        | after   | After   |                 |            |
    """)
    adult = spec.node("adult")
    assert (adult.kind, adult.type, adult.row) == ("group", "group", 3)
    assert adult.relevant == "${age} >= 18"
    assert adult.appearance == "field-list"
    assert [c.name for c in adult.children] == ["job", "inner"]
    deep = spec.node("adult/inner/deep")
    assert deep.path == ("adult", "inner", "deep")
    assert deep.row == 6
    assert spec.find("after").path == ("after",)
    assert spec.find("after").row == 9


def test_table_list_group_keeps_its_label_and_no_helper_rows(tmp_path: Path) -> None:
    spec = md_form(tmp_path, """
        | survey |
        |        | type          | name  | label     | appearance |
        |        | begin group   | grid  | Services  | table-list |
        |        | select_one yn | water | Water     |            |
        |        | select_one yn | power | Power     |            |
        |        | end group     |       |           |            |
        | choices |
        |         | list_name | name | label |
        |         | yn        | yes  | Yes   |
        |         | yn        | no   | No    |
    """)
    grid = spec.node("grid")
    assert grid.label == {DEFAULT_LANG: "Services"}
    assert grid.appearance == "table-list"
    assert [c.name for c in grid.children] == ["water", "power"]
    assert spec.find("water").appearance is None


def test_repeats_with_and_without_count(tmp_path: Path) -> None:
    spec = md_form(tmp_path, """
        | survey |
        |        | type         | name      | label     | repeat_count     |
        |        | integer      | hh_size   | Size      |                  |
        |        | begin repeat | members   | Member    | ${hh_size}       |
        |        | text         | m_name    | Name      |                  |
        |        | begin repeat | illnesses | Illness   |                  |
        |        | text         | illness   | Which     |                  |
        |        | end repeat   |           |           |                  |
        |        | end repeat   |           |           |                  |
        |        | begin repeat | visits    | Visit     | ${hh_size} * 2   |
        |        | date         | when      | When      |                  |
        |        | end repeat   |           |           |                  |
    """)
    members = spec.node("members")
    assert (members.kind, members.repeat_count, members.row) == ("repeat", "${hh_size}", 3)
    illnesses = spec.node("members/illnesses")
    assert illnesses.is_repeat and illnesses.repeat_count is None
    assert spec.node("members/illnesses/illness").path == ("members", "illnesses", "illness")
    visits = spec.node("visits")
    # The expression as written, and no pyxform helper `visits_count` question.
    assert visits.repeat_count == "${hh_size} * 2"
    assert "visits_count" not in {n.name for n in spec.walk()}
    assert [r.name for r in spec.repeats] == ["members", "illnesses", "visits"]


# -- columns --------------------------------------------------------------------------


def test_bind_and_text_columns(tmp_path: Path) -> None:
    spec = md_form(tmp_path, """
        | survey |
        |        | type    | name   | label::English (en) | label::Kiswahili (sw) | hint::English (en) | hint::Kiswahili (sw) | required | required_message::English (en) | constraint  | constraint_message::English (en) | constraint_message::Kiswahili (sw) | default | read_only | appearance |
        |        | integer | age    | Age                 | Umri                  | In years           | Kwa miaka            | yes      | Age is needed                  | . < 120     | Too old                          | Mzee sana                          | 30      |           | numbers    |
        |        | text    | name   | Name                | Jina                  |                    |                      | ${age} > 0 |                              |             |                                  |                                    |         | yes       |            |
        |        | text    | maybe  | Maybe               | Labda                 |                    |                      | no       |                                |             |                                  |                                    |         | no        |            |
    """)
    age = spec.find("age")
    assert age.label == {"English (en)": "Age", "Kiswahili (sw)": "Umri"}
    assert age.hint == {"English (en)": "In years", "Kiswahili (sw)": "Kwa miaka"}
    assert age.required == "true()"
    assert age.required_message == {"English (en)": "Age is needed"}
    assert age.constraint == ". < 120"
    assert age.constraint_message == {"English (en)": "Too old", "Kiswahili (sw)": "Mzee sana"}
    assert age.default == "30"
    assert age.appearance == "numbers"
    assert age.read_only is None
    name = spec.find("name")
    assert name.required == "${age} > 0"
    assert name.read_only == "true()"
    maybe = spec.find("maybe")
    assert (maybe.required, maybe.read_only) == (None, None)
    assert spec.languages == ("English (en)", "Kiswahili (sw)")


def test_trigger_and_dynamic_default_are_kept_as_written(tmp_path: Path) -> None:
    spec = md_form(tmp_path, """
        | survey |
        |        | type    | name  | label | trigger | default        | calculation |
        |        | integer | a     | A     |         |                |             |
        |        | integer | b     | B     | ${a}    | ${a} + 1       |             |
    """)
    b = spec.find("b")
    assert b.trigger == "${a}"
    assert b.default == "${a} + 1"


def test_untranslated_and_translated_columns_side_by_side(tmp_path: Path) -> None:
    spec = md_form(tmp_path, """
        | survey |
        |        | type | name | label   | label::Français (fr) | hint     |
        |        | text | a    | Name    | Nom                  | Any hint |
    """)
    a = spec.find("a")
    assert a.label == {DEFAULT_LANG: "Name", "Français (fr)": "Nom"}
    assert a.hint == {DEFAULT_LANG: "Any hint"}
    assert spec.languages == ("Français (fr)",)


def test_languages_written_only_on_the_choices_sheet(tmp_path: Path) -> None:
    spec = md_form(tmp_path, """
        | survey |
        |        | type          | name | label |
        |        | select_one yn | a    | A     |
        | choices |
        |         | list_name | name | label::Swahili (sw) | label::English (en) |
        |         | yn        | yes  | Ndiyo               | Yes                 |
        |         | yn        | no   | Hapana              | No                  |
    """)
    assert spec.languages == ("Swahili (sw)", "English (en)")
    assert spec.choice_list("yn")[0].label == {"Swahili (sw)": "Ndiyo", "English (en)": "Yes"}


def test_settings_sheet(tmp_path: Path) -> None:
    spec = md_form(tmp_path, """
        | survey |
        |        | type | name | label::English (en) | label::French (fr) |
        |        | text | who  | Who                 | Qui                |
        | settings |
        |          | form_id  | form_title        | version    | default_language | instance_name         |
        |          | hh_enum  | Household census  | 2024061501 | English (en)     | concat('hh-', ${who}) |
    """, name="ignored_stem")
    assert spec.id == "hh_enum"
    assert spec.title == "Household census"
    assert spec.version == "2024061501"
    assert spec.default_language == "English (en)"
    assert spec.instance_name == "concat('hh-', ${who})"
    assert spec.node("meta/instanceName").calculation == "concat('hh-', ${who})"


def test_without_settings_the_id_and_title_come_from_the_file_name(tmp_path: Path) -> None:
    spec = one_question(tmp_path, "text")
    assert (spec.id, spec.title, spec.version) == ("form", "form", "")
    assert spec.default_language is None
    assert spec.languages == ()
    assert spec.instance_name is None
