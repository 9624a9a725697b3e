"""Realistic forms lose nothing on the way into a FormSpec.

Each form under tests/data/forms/ is written the way federations and survey teams write
them (cascading selects, nested repeats, three languages, many field-list pages, an
Excel file, a CSV file). We compare the FormSpec with pyxform's own parse of the same
file: every node, its type, its bind expressions, labels and choices must be there,
and every row number must point at the row that defines the node.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from pyxform import aliases
from pyxform.xls2json import parse_file_to_json
from pyxform.xls2json_backends import get_xlsform

from forms import FormSpec, load_form
from forms.spec import DEFAULT_LANG
from forms.xlsform_types import canonical_type

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "forms"
REAL_WORLD = [
    DATA / name
    for name in (
        "cascading_locations.md",
        "household_enumeration.md",
        "multilingual_profile.md",
        "sectioned_services.md",
        "structure_numbering.xlsx",
        "water_points.csv",
    )
    # The SDI form set that ships with Hesabu gets the same comparison.
] + sorted((ROOT / "forms" / "definitions").glob("*.xlsx"))


def pyxform_tree(
    children: list[Mapping[str, Any]], parent: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Mapping[str, Any]]]:
    for child in children:
        path = (*parent, child["name"])
        yield path, child
        yield from pyxform_tree(child.get("children", []), path)


def texts(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    return dict(value) if isinstance(value, dict) else {DEFAULT_LANG: value}


def flag(value: str | None) -> str | None:
    if value is None:
        return None
    meaning = aliases.yes_no.get(value)
    return value if meaning is None else ("true()" if meaning else None)


@pytest.fixture(scope="module", params=REAL_WORLD, ids=lambda p: p.name)
def loaded(request: pytest.FixtureRequest) -> tuple[Path, FormSpec, dict[str, Any]]:
    path = request.param
    return path, load_form(path), parse_file_to_json(str(path), warnings=[])


def test_every_node_type_and_bind_is_carried_over(loaded) -> None:
    _, spec, parsed = loaded
    generated_counts = {}
    for path, item in pyxform_tree(parsed["children"]):
        count = (item.get("control") or {}).get("jr:count")
        if item["type"] == "repeat" and count:
            generated_counts[(*path[:-1], count[2:-1])] = path
    compared = 0
    for path, item in pyxform_tree(parsed["children"]):
        bind = item.get("bind") or {}
        if path in generated_counts and path not in {n.path for n in spec.walk()}:
            # pyxform's helper for a repeat_count expression: the repeat holds it instead.
            assert spec.node(generated_counts[path]).repeat_count == bind["calculate"]
            continue
        if path[-1].startswith("generated_table_list_label_"):
            # pyxform moves a table-list group's label into a helper note; we keep it
            # on the group, as written.
            assert spec.node(path[:-1]).label == texts(item["label"])
            continue
        if path[-1].startswith("reserved_name_for_field_list_labels_"):
            continue  # pyxform's header row for the table-list grid
        if item["type"] == "repeat" and (item.get("control") or {}).get("jr:count"):
            written = spec.node(path).repeat_count
            assert written == item["control"]["jr:count"] or (
                (*path[:-1], item["control"]["jr:count"][2:-1]) in generated_counts
            )
        node = spec.node(path)
        compared += 1
        if item["type"] in ("group", "repeat"):
            assert node.kind == item["type"], path
        elif path == ("meta", "instanceID"):
            assert node.type == "instanceID"
        else:
            assert node.type == canonical_type(item["type"]), path
        if node.name.endswith("_other") and node.row == spec.find(node.name[:-6]).row:
            select = node.name[:-6]
            assert bind["relevant"] == f"selected(../{select}, 'other')"
            assert node.relevant == f"selected(${{{select}}}, 'other')"
        else:
            assert node.relevant == bind.get("relevant"), path
        assert node.constraint == bind.get("constraint"), path
        assert node.calculation == bind.get("calculate"), path
        assert node.required == flag(bind.get("required")), path
        assert node.read_only == flag(bind.get("readonly")), path
        assert node.required_message == texts(bind.get("jr:requiredMsg")), path
        assert node.constraint_message == texts(bind.get("jr:constraintMsg")), path
        if "label" in item:
            assert node.label == texts(item["label"]), path
        if item.get("list_name"):
            assert node.list_name == item["list_name"]
            names = [c["name"] for c in item["choices"]]
            assert [c.name for c in spec.choice_list(node.list_name)] == names
    # Nothing invented: every FormSpec node is in pyxform's tree.
    pyxform_paths = {p for p, _ in pyxform_tree(parsed["children"])}
    assert {n.path for n in spec.walk()} <= pyxform_paths
    assert compared == len(list(spec.walk()))


def test_settings_are_carried_over(loaded) -> None:
    _, spec, parsed = loaded
    assert spec.id == parsed["id_string"]
    assert spec.title == parsed["title"]
    assert spec.version == parsed["version"]
    assert spec.instance_name == parsed.get("instance_name")


def test_every_row_number_points_at_its_row(loaded) -> None:
    path, spec, _ = loaded
    rows = get_xlsform(xlsform=str(path)).survey
    checked = 0
    for node in spec.walk():
        if node.row is None:
            continue
        cells = rows[node.row - 2]  # row 1 holds the column names
        if node.name.endswith("_other") and cells.get("name") == node.name[:-6]:
            continue  # the generated "specify other" question points at its select
        assert cells.get("name") == node.name, (node.path, node.row)
        checked += 1
    assert checked >= 8


def test_choice_labels_and_extra_columns(loaded) -> None:
    _, spec, parsed = loaded
    for list_name, options in parsed.get("choices", {}).items():
        ours = spec.choice_list(list_name)
        assert [c.name for c in ours] == [o["name"] for o in options]
        for choice, option in zip(ours, options, strict=True):
            assert choice.label == texts(option.get("label"))
            extra = {k: v for k, v in option.items() if k not in ("name", "label")}
            assert dict(choice.extra) == extra


def test_cascading_selects_keep_their_filters() -> None:
    spec = load_form(DATA / "cascading_locations.md")
    assert spec.find("B4_Province").choice_filter == "country=${B3_Country}"
    city = spec.find("B5_City")
    assert city.choice_filter == "country=${B3_Country} and province=${B4_Province}"
    cape_town = next(c for c in spec.choice_list("city") if c.name == "cape_town")
    assert cape_town.extra == {"country": "za", "province": "western_cape"}


def test_nested_repeats() -> None:
    spec = load_form(DATA / "household_enumeration.md")
    members = spec.node("members")
    illnesses = spec.node("members/illnesses")
    assert members.repeat_count == "${hh_size}"
    # Capped at five: pyxform would add an `illnesses_count` helper; we keep the expression.
    assert illnesses.repeat_count == "if(${m_illness_count} > 5, 5, ${m_illness_count})"
    assert "illnesses_count" not in {n.name for n in spec.walk()}
    assert illnesses.relevant == "${m_illness_count} > 0"
    assert spec.node("members/illnesses/illness_date").constraint == ". <= today()"
    assert spec.find("children").calculation == "count(${members}[m_age < 18])"
    assert spec.find("water_source_other").path == ("water_source_other",)


def test_three_languages_in_column_order() -> None:
    spec = load_form(DATA / "multilingual_profile.md")
    assert spec.languages == ("English (en)", "French (fr)", "Swahili (sw)")
    assert spec.default_language == "English (en)"
    q = spec.find("D1_Location_Problems")
    assert q.hint["Swahili (sw)"] == "Chagua zote zinazohusika"
    assert q.required_message["French (fr)"] == "Veuillez répondre"
    flood = next(c for c in spec.choice_list("location_problem") if c.name == "flood_prone")
    assert flood.label == {"English (en)": "Flood-prone area", "French (fr)": "Zone inondable",
                           "Swahili (sw)": "Eneo la mafuriko"}


def test_field_list_pages_and_table_list_grid() -> None:
    spec = load_form(DATA / "sectioned_services.md")
    pages = [g.name for g in spec.groups if g.appearance == "field-list"]
    assert pages == ["intro", "clinic", "roads_page1", "roads_page2", "boundary_page"]
    assert spec.node("services").appearance == "table-list"
    assert spec.node("clinic").relevant == "${has_clinic} = 'yes'"
    assert spec.node("roads/roads_page2/transport_rank").type == "rank"
    assert spec.find("clinic_rating").parameters == {"start": "1", "end": "5", "step": "1"}


def test_excel_form_counts_blank_rows_and_reads_numbers_as_text() -> None:
    spec = load_form(DATA / "structure_numbering.xlsx")
    assert spec.version == "2024061501"
    assert spec.find("structure_point").row == 10  # after the blank row 9
    assert [c.name for c in spec.choice_list("rooms")] == ["1", "2", "3"]
    assert spec.node("households").repeat_count == "${households_count}"


def test_csv_form() -> None:
    spec = load_form(DATA / "water_points.csv")
    assert (spec.id, spec.version) == ("water_points", "2024.2")
    assert spec.find("price").relevant == "${manager} = 'vendor' or ${manager} = 'water_company'"
