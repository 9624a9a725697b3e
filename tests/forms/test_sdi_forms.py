"""The SDI form set in forms/definitions/: converts, loads, keeps KYC names, checks records.

Realistic filled records live in forms/examples/<form_id>/*.json (answers as a
device saves them: groups as dicts, repeats as lists, calculations included). Broken
variants are those records with one realistic mistake each.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pyxform.xls2xform import convert

from forms import FormSpec, load_form, recompute, validate_record
from forms.recompute import FormEngine

ROOT = Path(__file__).resolve().parents[2]
DEFINITIONS = ROOT / "forms" / "definitions"
RECORDS = ROOT / "forms" / "examples"
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
    # The title too (settings `translated_title::<language>`, which pyxform ignores).
    assert set(spec.titles) == set(LANGUAGES)
    assert spec.title_in("en") == spec.title == spec.titles["English (en)"]
    assert len({spec.title_in(code) for code in ("en", "fr", "pt", "sw")}) == 4


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


# -- filled records ----------------------------------------------------------------------
ALL_RECORDS = [(form_id, path) for form_id in FORM_IDS for path in records(form_id)]


def test_there_are_realistic_records_for_every_form() -> None:
    for form_id in FORM_IDS:
        assert len(records(form_id)) >= 2, form_id


@pytest.mark.parametrize(("form_id", "path"), ALL_RECORDS, ids=lambda v: getattr(v, "stem", v))
def test_realistic_record_is_valid(specs: dict[str, FormSpec], form_id: str,
                                   path: Path) -> None:
    assert codes(validate_record(specs[form_id], read(path), now=NOW)) == []


@pytest.mark.parametrize(("form_id", "path"), ALL_RECORDS, ids=lambda v: getattr(v, "stem", v))
def test_stored_calculations_are_what_the_form_computes(specs: dict[str, FormSpec],
                                                        form_id: str, path: Path) -> None:
    record = read(path)
    assert recompute(specs[form_id], record, now=NOW) == record


def changed(record: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A copy of `record` with "group/name" (or "repeat/2/name") set; None removes it."""
    out = copy.deepcopy(record)
    for path, value in changes.items():
        *parents, last = path.split("/")
        here: Any = out
        for part in parents:
            here = here[int(part)] if isinstance(here, list) else here.setdefault(part, {})
        if value is None:
            del here[last]
        else:
            here[last] = value
    return out


def problems_of(specs: dict[str, FormSpec], form_id: str, record: str,
                changes: dict[str, Any]) -> list[tuple[tuple, str]]:
    answers = changed(read(RECORDS / form_id / f"{record}.json"), changes)
    return codes(validate_record(specs[form_id], answers, now=NOW))


PROFILE_MISTAKES = [
    pytest.param({"section_F/F1_Working": 30},
                 [(("section_F", "F1_Working"), "constraint")], id="more-working-taps-than-taps"),
    pytest.param({"section_G/G8_Working": 170},
                 [(("section_G", "G8_Working"), "constraint")],
                 id="more-working-seats-than-seats"),
    pytest.param({"section_B/B13_Ownership_crown_land": 80},
                 [(("section_B", "B13_Ownership_Unknown"), "constraint")],
                 id="ownership-adds-to-105"),
    pytest.param({"section_B/B10b_Year_Established": 2027},
                 [(("section_B", "B10b_Year_Established"), "constraint")],
                 id="established-next-year"),
    pytest.param({"section_A/A1_Profile_Date": "2026-12-01"},
                 [(("section_A", "A1_Profile_Date"), "constraint"),
                  (("section_A", "A1a_Last_Updated"), "constraint")],
                 id="profiled-in-the-future"),
    pytest.param({"section_O/O2_Shops_Bars": -1},
                 [(("section_O", "O2_Shops_Bars"), "constraint")], id="negative-count"),
    pytest.param({"section_G/G5_OpenDefecation_Percentage": 120},
                 [(("section_G", "G5_OpenDefecation_Percentage"), "constraint"),
                  (("section_G", "G6_BucketSystem_Percentage"), "constraint")],
                 id="percentage-over-100"),
    pytest.param({"section_C/C7_Structures_Temporary": 1900},
                 [(("section_C", "C7_Structures_Temporary"), "constraint")],
                 id="more-structures-than-total"),
    pytest.param({"section_C/C12_Total_Population": 2000},
                 [(("section_C", "C12_Total_Population"), "constraint")],
                 id="fewer-people-than-households"),
    pytest.param({"section_Q/Q3_Priority3": "sanitation_sewage"},
                 [(("section_Q", "Q3_Priority3"), "constraint")], id="same-priority-twice"),
    pytest.param({"section_D/D1_Location_Problems": ["none", "canal"]},
                 [(("section_D", "D1_Location_Problems"), "constraint")],
                 id="none-with-a-problem"),
    pytest.param({"section_E/E2A_Current_Eviction_Threat": "no"},
                 [(("section_E", "E2B_Current_Eviction_Seriousness"), "not_relevant"),
                  (("section_E", "E3_Eviction_By"), "not_relevant")],
                 id="seriousness-without-threat"),
    pytest.param({"section_F/F2_Working": 0},
                 [(("section_F", "F2_Working"), "not_relevant")],
                 id="working-taps-of-a-source-with-none"),
    pytest.param({"section_G/G7_Seats": 10},
                 [(("section_G", "G7_Seats"), "not_relevant")],
                 id="seats-of-a-toilet-kind-not-present"),
    pytest.param({"section_B/B14_Status": "legal"},
                 [(("section_B", "B14_Status"), "unknown_choice")], id="unknown-status"),
    pytest.param({"section_C/C12_Total_Population": None},
                 [(("section_C", "C12_Total_Population"), "required")], id="no-population"),
    pytest.param({"section_F/F11_Water_MonthlyCost": "cheap"},
                 [(("section_F", "F11_Water_MonthlyCost"), "type")], id="cost-not-a-number"),
]


@pytest.mark.parametrize(("changes", "expected"), PROFILE_MISTAKES)
def test_settlement_profile_mistakes(specs: dict[str, FormSpec], changes: dict[str, Any],
                                     expected: list) -> None:
    assert problems_of(specs, "sdi_settlement_profile", "mashimoni_nairobi", changes) == expected


def test_other_priority_needs_a_comment(specs: dict[str, FormSpec]) -> None:
    found = problems_of(specs, "sdi_settlement_profile", "chaisa_lusaka",
                        {"section_Q/Q5b_Priority5_Comments": None})
    assert found == [(("section_Q", "Q5b_Priority5_Comments"), "required")]


def test_constraint_messages_follow_the_language(specs: dict[str, FormSpec]) -> None:
    answers = changed(read(RECORDS / "sdi_settlement_profile" / "mashimoni_nairobi.json"),
                      {"section_F/F1_Working": 30})
    spec = specs["sdi_settlement_profile"]
    (english,) = validate_record(spec, answers, now=NOW)
    (french,) = validate_record(spec, answers, language="fr", now=NOW)
    (swahili,) = validate_record(spec, answers, language="sw", now=NOW)
    assert "counted" in english.message
    assert "comptés" in french.message
    assert "zilizohesabiwa" in swahili.message


STRUCTURE_MISTAKES = [
    pytest.param({"structure_number": "MSH0142"}, [(("structure_number",), "constraint")],
                 id="number-without-dash"),
    pytest.param({"structure_number": "msh-0142"}, [(("structure_number",), "constraint")],
                 id="number-in-lower-case"),
    pytest.param({"structure_number": "MSH-014200"}, [(("structure_number",), "constraint")],
                 id="number-too-long"),
    pytest.param({"storeys": 0}, [(("storeys",), "constraint")], id="no-storeys"),
    pytest.param({"structure_use": "shop"}, [(("structure_use",), "unknown_choice")],
                 id="unknown-use"),
    pytest.param({"structure_use": "business"}, [(("households",), "not_relevant")],
                 id="households-in-a-business"),
    pytest.param({"gps": None}, [(("gps",), "required")], id="no-location"),
]


@pytest.mark.parametrize(("changes", "expected"), STRUCTURE_MISTAKES)
def test_structure_numbering_mistakes(specs: dict[str, FormSpec], changes: dict[str, Any],
                                      expected: list) -> None:
    assert problems_of(specs, "sdi_structure_numbering", "msh_0142_residential",
                       changes) == expected


HOUSEHOLD_MISTAKES = [
    pytest.param({"household/members/0/member_age": 150},
                 [(("household", "members", 0, "member_age"), "constraint")], id="age-150"),
    pytest.param({"household/members/3/member_age": -1},
                 [(("household", "members", 3, "member_age"), "constraint")],
                 id="negative-age"),
    pytest.param({"household/members_count": 6},
                 [(("household", "members"), "repeat_count")], id="one-member-missing"),
    pytest.param({"structure_number": "MSH 142"}, [(("structure_number",), "constraint")],
                 id="bad-structure-number"),
    pytest.param({"household/monthly_rent": None},
                 [(("household", "monthly_rent"), "required")], id="tenant-without-rent"),
    pytest.param({"household/tenure": "owner"},
                 [(("household", "monthly_rent"), "not_relevant")], id="owner-paying-rent"),
    pytest.param({"household/phone": "0712"}, [(("household", "phone"), "constraint")],
                 id="short-phone"),
    pytest.param({"household/disasters": ["none", "fires"]},
                 [(("household", "disasters"), "constraint")], id="none-and-fires"),
    pytest.param({"household/members/3/occupation": "student"},
                 [(("household", "members", 3, "occupation"), "not_relevant")],
                 id="occupation-of-a-four-year-old"),
]


@pytest.mark.parametrize(("changes", "expected"), HOUSEHOLD_MISTAKES)
def test_household_enumeration_mistakes(specs: dict[str, FormSpec], changes: dict[str, Any],
                                        expected: list) -> None:
    assert problems_of(specs, "sdi_household_enumeration", "msh_0142_tenant_family",
                       changes) == expected


def test_refused_consent_allows_no_other_answers(specs: dict[str, FormSpec]) -> None:
    family = read(RECORDS / "sdi_household_enumeration" / "msh_0142_tenant_family.json")
    found = problems_of(specs, "sdi_household_enumeration", "msh_0142_tenant_family",
                        {"consent": "no"})
    assert found
    assert {code for _, code in found} == {"not_relevant"}
    flagged = {path[1] for path, _ in found}
    assert {"head_name", "phone", "tenure", "monthly_rent"} <= flagged
    assert flagged <= set(family["household"])


def test_refused_consent_record_shows_the_thank_you_note(specs: dict[str, FormSpec]) -> None:
    spec = specs["sdi_household_enumeration"]
    refused = read(RECORDS / "sdi_household_enumeration" /
                   "msh_0142_second_household_refused.json")
    assert "household" not in refused
    engine = FormEngine.for_form(spec)
    assert engine.is_relevant(refused, ("consent_refused",), now=NOW)
    assert not engine.is_relevant(refused, ("household",), now=NOW)


CITY_MISTAKES = [
    pytest.param({"settlements/settlements_profiled": 200},
                 [(("settlements", "settlements_profiled"), "constraint")],
                 id="more-profiled-than-known"),
    pytest.param({"settlements/settlements_resettled": 130},
                 [(("settlements", "settlements_resettled"), "constraint")],
                 id="declared-and-resettled-over-profiled"),
    pytest.param({"settlements/informal_population": 5000000},
                 [(("settlements", "informal_population"), "constraint")],
                 id="informal-population-over-city"),
    pytest.param({"city/profile_date": "2027-01-01"}, [(("city", "profile_date"), "constraint")],
                 id="profiled-in-the-future"),
]


@pytest.mark.parametrize(("changes", "expected"), CITY_MISTAKES)
def test_city_profile_mistakes(specs: dict[str, FormSpec], changes: dict[str, Any],
                               expected: list) -> None:
    assert problems_of(specs, "sdi_city_profile", "nairobi", changes) == expected


def test_informal_population_needs_no_city_population(specs: dict[str, FormSpec]) -> None:
    # Lusaka's record leaves the city population empty: the comparison must not fail.
    assert problems_of(specs, "sdi_city_profile", "lusaka",
                       {"settlements/informal_population": 5000000}) == []


def test_every_form_file_is_documented() -> None:
    readme = (DEFINITIONS / "README.md").read_text(encoding="utf-8")
    for path in sorted(DEFINITIONS.glob("*.xlsx")):
        assert f"`{path.name}`" in readme, f"{path.name} is not described in the README"
        assert f"`{path.stem}`" in readme
    assert sorted(p.stem for p in DEFINITIONS.glob("*.xlsx")) == sorted(FORM_IDS)
