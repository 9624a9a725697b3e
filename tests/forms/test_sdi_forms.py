"""The SDI form set in forms/definitions/: converts, loads, keeps KYC names, checks records.

Realistic filled records live in tests/data/records/<form_id>/*.json (answers as a
device saves them: groups as dicts, repeats as lists, calculations included). Broken
variants are those records with one realistic mistake each.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pyxform.xls2xform import convert

from forms import FormSpec, load_form, recompute

ROOT = Path(__file__).resolve().parents[2]
DEFINITIONS = ROOT / "forms" / "definitions"
RECORDS = ROOT / "tests" / "data" / "records"
FORM_IDS = [
    "sdi_settlement_profile",
    "sdi_structure_numbering",
    "sdi_household_enumeration",
    "sdi_city_profile",
]
LANGUAGES = ("English (en)", "French (fr)", "Portuguese (pt)", "Swahili (sw)")
#: Records are checked as if validated on this day (constraints read today()).
NOW = datetime(2026, 11, 26, 10, 0)


@pytest.fixture(scope="module")
def specs() -> dict[str, FormSpec]:
    return {form_id: load_form(DEFINITIONS / f"{form_id}.xlsx") for form_id in FORM_IDS}


def records(form_id: str) -> list[Path]:
    return sorted((RECORDS / form_id).glob("*.json"))


def read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def codes(problems: list) -> list[tuple[tuple, str]]:
    return [(p.path, p.code) for p in problems]


# -- the files ---------------------------------------------------------------------------
@pytest.mark.parametrize("form_id", FORM_IDS)
def test_converts_with_pyxform_without_warnings(form_id: str) -> None:
    warnings: list[str] = []
    result = convert(xlsform=str(DEFINITIONS / f"{form_id}.xlsx"), warnings=warnings)
    assert warnings == []
    for language in LANGUAGES:
        assert f'<translation lang="{language}"' in result.xform


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_loads_with_four_languages_and_no_warnings(form_id: str) -> None:
    warnings: list = []
    spec = load_form(DEFINITIONS / f"{form_id}.xlsx", warnings=warnings)
    assert warnings == []
    assert spec.id == form_id
    assert spec.languages == LANGUAGES
    assert spec.default_language == "English (en)"
    assert spec.version.isdigit() and len(spec.version) == 10
    assert spec.instance_name


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_every_question_and_choice_is_translated(specs: dict[str, FormSpec],
                                                 form_id: str) -> None:
    spec = specs[form_id]
    for node in spec.walk():
        if node.type == "calculate" or node.name in ("meta", "instanceID", "instanceName"):
            continue
        assert set(node.label) == set(LANGUAGES), node.path
        for texts in (node.hint, node.constraint_message, node.required_message):
            assert not texts or set(texts) == set(LANGUAGES), node.path
        if node.constraint:
            assert node.constraint_message, f"{node.path}: a constraint needs a message"
    for options in spec.choices.values():
        for choice in options:
            assert set(choice.label) == set(LANGUAGES)
            assert all(choice.label[lang].strip() for lang in LANGUAGES), choice.name


def test_committed_files_are_what_the_generator_writes() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "sdi_forms" / "build.py"), "--check"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr


def test_generator_check_notices_an_edited_file(tmp_path: Path) -> None:
    for form_id in FORM_IDS:
        (tmp_path / f"{form_id}.xlsx").write_bytes((DEFINITIONS / f"{form_id}.xlsx").read_bytes())
    (tmp_path / "sdi_city_profile.xlsx").write_bytes(b"edited by hand")
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "sdi_forms" / "build.py"), "--check",
         "--out", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 1
    assert "sdi_city_profile.xlsx" in result.stderr
    assert "sdi_household_enumeration.xlsx" not in result.stderr


# -- KYC names ---------------------------------------------------------------------------
KYC_PATHS = [
    "verification/A0_Boundary", "section_A/A1_Profile_Date", "section_A/A1a_Last_Updated",
    "section_B/B1_GPS", "section_B/B2a_Area_sqmt", "section_B/B2b_Area_acres",
    "section_B/B3_Country", "section_B/B5_City", "section_B/B7_Settlement_Name_Community",
    "section_B/B8_Settlement_Name_Municipality", "section_B/B10b_Year_Established",
    "section_B/B12_History", "section_B/B13_Ownership_private_owner",
    "section_B/B13_Ownership_crown_land", "section_B/B13_Ownership_Unknown",
    "section_B/B14_Status", "section_C/C1_Structures_Residential",
    "section_C/C5_Structures_Total", "section_C/C9_Households", "section_C/C10_Household_Size",
    "section_C/C11_Population_Estimate", "section_C/C12_Total_Population",
    "section_C/C13_Renting", "section_C/C14_density", "section_D/D1_Location_Problems",
    "section_D/D4a_Distaster_Frequency", "section_E/E1B_Evition_Threat_Count",
    "section_E/E2B_Current_Eviction_Seriousness", "section_F/F1_Count",
    "section_F/F1_Working", "section_F/F1_Manager", "section_F/F1_Supply",
    "section_F/F1_Quality", "section_F/F11_Water_MonthlyCost", "section_G/G2_Sewer_Connected",
    "section_G/G7_10_Toilet_Types", "section_G/G7_Seats", "section_G/G10_Working",
    "section_H/H6_Garbage_WeeklyCollections", "section_J/J1_Electricity_Available",
    "section_J/J5_Electricity_HoursPerDay", "section_K/K1_Jobs_Men", "section_L/L5_Road_Type",
    "section_N/N3_InformalMarkets_inside", "section_P/P5_Savings_Groups",
    "section_Q/Q1_Priority1", "section_Q/Q1a_Priority_Term", "section_Q/Q5b_Priority5_Comments",
]


def test_settlement_profile_keeps_the_kyc_names(specs: dict[str, FormSpec]) -> None:
    spec = specs["sdi_settlement_profile"]
    missing = [p for p in KYC_PATHS if not _has(spec, p)]
    assert missing == []
    assert len([n for n in spec.questions if n.type not in ("calculate", "note")]) >= 200
    status = {c.name for c in spec.choice_list(spec.node("section_B/B14_Status").list_name)}
    assert status == {"declared_legal_protected", "undeclared_illegal_unprotected", "resettled"}


def _has(spec: FormSpec, path: str) -> bool:
    try:
        spec.node(path)
    except KeyError:
        return False
    return True


def test_area_in_acres_is_calculated_from_square_metres(specs: dict[str, FormSpec]) -> None:
    spec = specs["sdi_settlement_profile"]
    answers = recompute(spec, {"section_B": {"B2a_Area_sqmt": 40468.564224}}, now=NOW)
    assert answers["section_B"]["B2b_Area_acres"] == pytest.approx(10.0)


def test_household_size_and_children_come_from_the_roster(specs: dict[str, FormSpec]) -> None:
    spec = specs["sdi_household_enumeration"]
    ages = [41, 38, 4, 1, 9]
    answers = recompute(spec, {
        "consent": "yes",
        "household": {"members": [{"member_age": a} for a in ages]},
    }, now=NOW)
    assert answers["household"]["household_size"] == 5
    assert answers["household"]["children_under_5"] == 2
