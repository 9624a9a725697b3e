"""The KYC formulas on one record, checked against values computed by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.services.indicators import formulas, privacy
from server.services.indicators.formulas import household_facts, settlement_profile

RECORDS = Path(__file__).resolve().parents[2] / "forms" / "examples"


def record(form_id: str, name: str) -> dict:
    return json.loads((RECORDS / form_id / f"{name}.json").read_text(encoding="utf-8"))


def test_mashimoni_profile_indicators_by_hand() -> None:
    ind = settlement_profile(record("sdi_settlement_profile", "mashimoni_nairobi"))
    # C12_Total_Population = 12000; working seats G8+G9+G10 = 120 + 40 + 18 = 178
    # 12000 / 178 = 67.4157...
    assert ind["working_toilet_seats"] == 178
    assert ind["toilet_seats"] == 160 + 48 + 20
    assert ind["people_per_working_toilet_seat"] == pytest.approx(67.4157, abs=1e-4)
    # taps: F1 shared/communal 24 counted, 17 working; F2 individual counted 0 -> 0 working
    # 12000 / 17 = 705.882...
    assert ind["working_taps"] == 17
    assert ind["people_per_working_tap"] == pytest.approx(705.882, abs=1e-3)
    # B2a_Area_sqmt = 76890 m2 = 7.689 ha = 0.07689 km2
    # 12000 / 7.689 = 1560.67 per ha; 12000 / 0.07689 = 156,067.1 per km2 (x1,000,000
    # per m2, not the x1,000 the 2016 KYC site used)
    assert ind["area_ha"] == pytest.approx(7.689)
    assert ind["density_per_ha"] == pytest.approx(1560.671, abs=1e-3)
    assert ind["density_per_km2"] == pytest.approx(156067.1, abs=0.1)
    assert ind["density_per_km2"] == pytest.approx(ind["density_per_ha"] * 100)
    # J3 1900 households connected of C9 3100: 1900 / 3100 x 100 = 61.29 %
    assert ind["electricity_households_pct"] == pytest.approx(61.290, abs=1e-3)
    assert ind["land_ownership_pct"]["crown_land"] == 70
    assert sum(v for v in ind["land_ownership_pct"].values() if v) == 100
    assert ind["legal_status"] == "undeclared_illegal_unprotected"
    assert ind["eviction_threat_current"] == "yes"
    assert ind["eviction_threats"] == 3
    assert ind["water_cost_month"] == 600
    assert ind["garbage_collections_per_week"] == 2
    assert ind["clinic_minutes"] == 15 and ind["hospital_minutes"] == 40
    assert ind["savings_groups"] == 12
    assert [p["priority"] for p in ind["priorities"]] == [
        "sanitation_sewage", "tenure_security", "water_drainage", "housing", "electricity"]
    assert "Clear the main drain" not in json.dumps(ind)  # comments are free text


def test_chaisa_has_no_electricity_and_two_tap_kinds() -> None:
    ind = settlement_profile(record("sdi_settlement_profile", "chaisa_lusaka"))
    # taps: F1 31 working + F2 650 working = 681; 46000 / 681 = 67.547...
    assert ind["working_taps"] == 681
    assert ind["people_per_working_tap"] == pytest.approx(67.547, abs=1e-3)
    # seats: G7 1950 + G8 1400 working = 3350; 46000 / 3350 = 13.731...
    assert ind["people_per_working_toilet_seat"] == pytest.approx(13.731, abs=1e-3)
    # 560000 m2 = 56 ha = 0.56 km2; 46000 / 56 = 821.43 per ha, 82,142.9 per km2
    assert ind["density_per_ha"] == pytest.approx(821.43, abs=0.01)
    assert ind["density_per_km2"] == pytest.approx(82142.86, abs=0.01)
    # J1 "no" and no J3: nobody connected, 0 %
    assert ind["households_connected"] == 0
    assert ind["electricity_households_pct"] == 0
    assert ind["garbage_collections_per_week"] is None  # not collected: not available
    assert ind["legal_status"] == "declared_legal_protected"


def test_missing_and_zero_denominators_are_not_available() -> None:
    answers = {"section_C": {"C12_Total_Population": 500},
               "section_G": {"G7_Seats": 4, "G7_Working": 0},
               "section_B": {"B2a_Area_sqmt": 0}}
    ind = settlement_profile(answers)
    assert ind["people_per_working_toilet_seat"] is None  # 500 / 0
    assert ind["people_per_working_tap"] is None  # no tap counts at all
    assert ind["density_per_ha"] is None and ind["density_per_km2"] is None  # area 0
    assert ind["electricity_households_pct"] is None
    assert settlement_profile({})["population"] is None
    # Garbage in answers never raises.
    odd = settlement_profile({"section_C": {"C12_Total_Population": "lots"},
                              "section_B": "not a group", "section_F": {"F1_Count": "NaN"}})
    assert odd["population"] is None and odd["people_per_working_tap"] is None


def test_acres_are_used_when_square_metres_are_missing() -> None:
    # 19 acres x 4046.8564224 = 76,890.27 m2; 1000 people / 7.689027 ha = 130.06 per ha
    ind = settlement_profile({"section_B": {"B2b_Area_acres": 19},
                              "section_C": {"C12_Total_Population": 1000}})
    assert ind["area_m2"] == pytest.approx(76890.27, abs=0.01)
    assert ind["density_per_ha"] == pytest.approx(130.056, abs=1e-3)


def test_household_facts_count_members_without_names() -> None:
    facts = household_facts(record("sdi_household_enumeration", "msh_0142_tenant_family"))
    # Joseph 41 m, Mary 38 f, Brian 9 m, Faith 4 f, baby 0 f
    assert (facts["males"], facts["females"]) == (2, 3)
    assert (facts["age_0_4"], facts["age_5_17"], facts["age_18_59"]) == (2, 1, 2)
    assert facts["size"] == 5 and facts["tenure"] == "tenant"
    assert "Joseph" not in json.dumps(facts) and "+254" not in json.dumps(facts)
    refused = household_facts(record("sdi_household_enumeration",
                                     "msh_0142_second_household_refused"))
    assert refused["consented"] is False and refused["size"] is None


def test_geometry_from_odk_strings() -> None:
    assert formulas.geopoint("-1.31325 36.78925 1702 4.5") == (36.78925, -1.31325)
    assert formulas.geopoint("north") is None and formulas.geopoint("95 10") is None
    ring = formulas.geoshape("-1 36 0 0;-1 37 0 0;-2 37 0 0")
    assert ring == [(36, -1), (37, -1), (37, -2), (36, -1)]  # closed
    assert formulas.geoshape("-1 36;-1 37") is None


def test_complementary_suppression_hides_a_second_cell() -> None:
    # owner 1, tenant 5 of 6 households: hiding only "owner" would leave 6 - 5 = 1.
    cells, hidden = privacy.suppress_group({"owner": 1, "tenant": 5, "rent_free": 0}, 6, 5)
    assert cells == {"owner": None, "tenant": None, "rent_free": 0}
    assert hidden == {"owner", "tenant"}
    # Two small cells already protect each other; a small total hides the whole group.
    cells, hidden = privacy.suppress_group({"a": 2, "b": 3, "c": 40}, 45, 5)
    assert cells == {"a": None, "b": None, "c": 40}
    cells, hidden = privacy.suppress_group({"a": 0, "b": 3}, 3, 5)
    assert cells == {"a": None, "b": None}


def test_a_city_total_hides_what_one_settlement_hides() -> None:
    parts = [{"suppressed": ["tenure.owner"]}, {"suppressed": []}]
    whole = privacy.protect_across(parts, {"tenure": {"owner": 9, "tenant": 30},
                                           "suppressed": []})
    # ... and a second cell of the group, or 39 households - 30 tenants gives it back.
    assert whole["tenure"] == {"owner": None, "tenant": None}
    assert whole["suppressed"] == ["tenure.owner", "tenure.tenant"]


def test_a_hidden_figure_says_whether_it_is_a_small_count() -> None:
    # 1 owner of 41 households is small; the 40 tenants are hidden only to protect it,
    # as are the percentage and the mean resting on them: none of those is a count
    # from 1 to 4, so none may read "<5".
    enum = {"households_consented": 41, "members": 120, "households": 41,
            "tenure": {"owner": 1, "tenant": 40, "rent_free": 0},
            "households_with_electricity": 38, "electricity_households_pct": 92.7,
            "rent_answers": 3, "monthly_rent_mean": 1500.0}
    out = privacy.suppress_enumeration(enum, 5)
    assert out["tenure"] == {"owner": None, "tenant": None, "rent_free": 0}
    assert out["suppression"] == {
        "tenure.owner": privacy.SMALL, "tenure.tenant": privacy.PROTECTED,
        "households_with_electricity": privacy.PROTECTED,  # 41 - 38 = 3 without
        "electricity_households_pct": privacy.PROTECTED,
        "rent_answers": privacy.SMALL, "monthly_rent_mean": privacy.PROTECTED}
    assert privacy.hidden_as(out, "tenure.tenant") == privacy.PROTECTED
    assert privacy.hidden_as(out, "tenure.rent_free") is None


def test_a_city_total_hidden_for_a_settlement_is_not_called_small() -> None:
    parts = [{"suppressed": ["toilet.open"]}, {"suppressed": []}]
    whole = privacy.protect_across(parts, {"toilet": {"open": 34, "own_flush": 18,
                                                      "shared": 200},
                                           "suppressed": [], "suppression": {}})
    assert whole["toilet"] == {"open": None, "own_flush": None, "shared": 200}
    assert whole["suppression"] == {"toilet.open": privacy.PROTECTED,
                                    "toilet.own_flush": privacy.PROTECTED}


def test_two_percentages_differ_by_percentage_points() -> None:
    from server.services.indicators.profiles import compare

    rows = {r["quantity"]: r for r in compare(
        {"electricity_households_pct": 45.0, "households": 100},
        {"electricity_households_pct": 60.0, "households": 80})}
    assert rows["electricity_households_pct"]["difference_points"] == 15.0
    assert rows["electricity_households_pct"]["difference_pct"] is None  # not "+33.3 %"
    assert rows["households"]["difference_pct"] == -20.0
    assert rows["households"]["difference_points"] is None
