"""A part larger than its whole (more households with electricity than households, more
working seats than seats, more settlements profiled than known) is impossible: the
share is "not available" with the reason, never above 100 %, for one settlement, in
stored facts computed before the check existed, in city figures and on the pages.

Values are computed by hand in the comments. The first tests are pure formulas; the
others push records through the real push path (SQLite and PostgreSQL).
"""

from __future__ import annotations

import copy
import csv
import io
import re
from typing import Any

import pytest
from flask import Flask
from kyc_data import CHAISA, MASHIMONI, NAIROBI_CITY, make_ops, page, push, read
from personas import People

from server.services.indicators import formulas
from server.services.indicators.formulas import check_parts, settlement_profile
from server.services.indicators.profiles import aggregate_profiles

#: `people` comes with the SDI test records (tests/server/conftest.py).
pytestmark = pytest.mark.kyc_records

ELECTRICITY_REASON = ("the profile reports more households with electricity (130) than "
                      "households (100)")


def profile_answers(households: float, connected: float | None, electricity: str = "yes"
                    ) -> dict[str, Any]:
    section_j: dict[str, Any] = {"J1_Electricity_Available": electricity}
    if connected is not None:
        section_j["J3_Households_Connected"] = connected
    return {"section_C": {"C9_Households": households, "C12_Total_Population": 400},
            "section_J": section_j}


# -- one settlement ----------------------------------------------------------------------
def test_more_connected_than_households_is_not_available_with_the_reason() -> None:
    ind = settlement_profile(profile_answers(100, 130))
    assert ind["electricity_households_pct"] is None  # not 130 %
    assert ind["not_available"] == {"electricity_households_pct": ELECTRICITY_REASON}
    # What the community reported is kept as reported: only the share is withheld.
    assert ind["households_connected"] == 130 and ind["households"] == 100


def test_a_whole_settlement_connected_is_exactly_100_percent() -> None:
    ind = settlement_profile(profile_answers(100, 100))
    assert ind["electricity_households_pct"] == 100.0
    assert ind["not_available"] == {}
    # 61 of 100 -> 61 %; J1 "no" without J3 -> 0 of 100 -> 0 %
    assert settlement_profile(profile_answers(100, 61))["electricity_households_pct"] == 61.0
    assert settlement_profile(profile_answers(100, None, "no"))[
        "electricity_households_pct"] == 0.0


def test_connected_households_without_households_are_not_available_with_the_reason() -> None:
    ind = settlement_profile(profile_answers(0, 5))
    assert ind["electricity_households_pct"] is None
    assert ind["not_available"]["electricity_households_pct"] == (
        "the profile reports more households with electricity (5) than households (0)")
    # A missing count stays plain "not available" (no reason to give): the old path.
    missing = settlement_profile({"section_J": {"J1_Electricity_Available": "yes",
                                                "J3_Households_Connected": 5}})
    assert missing["electricity_households_pct"] is None and missing["not_available"] == {}


def test_more_working_seats_or_taps_than_there_are() -> None:
    answers = {"section_C": {"C12_Total_Population": 1200},
               # seats 10 + 20 = 30; working 12 + 20 = 32 > 30
               "section_G": {"G7_Seats": 10, "G7_Working": 12, "G8_Seats": 20,
                             "G8_Working": 20},
               # taps 4 + 0 = 4; working 3 (+ 0 for a source counted 0): 1200 / 3 = 400
               "section_F": {"F1_Count": 4, "F1_Working": 3, "F2_Count": 0}}
    ind = settlement_profile(answers)
    assert ind["people_per_working_toilet_seat"] is None
    assert ind["not_available"] == {"people_per_working_toilet_seat": (
        "the profile reports more working toilet seats (32) than toilet seats (30)")}
    assert ind["people_per_working_tap"] == 400
    answers["section_F"]["F1_Working"] = 1900
    ind = settlement_profile(answers)
    assert ind["people_per_working_tap"] is None
    assert ind["not_available"]["people_per_working_tap"] == (
        "the profile reports more working taps (1,900) than taps (4)")


def test_facts_stored_before_the_check_are_corrected_on_reading() -> None:
    # What settlement_facts.indicators held for such a profile before: 130 / 100 x 100.
    stored = {"households": 100.0, "households_connected": 130.0,
              "electricity_households_pct": 130.0, "population": 400.0}
    checked = check_parts(dict(stored))
    assert checked["electricity_households_pct"] is None
    assert checked["not_available"] == {"electricity_households_pct": ELECTRICITY_REASON}
    assert check_parts(copy.deepcopy(checked)) == checked  # idempotent
    fine = check_parts({"households": 100.0, "households_connected": 61.0,
                        "electricity_households_pct": 61.0})
    assert fine["electricity_households_pct"] == 61.0 and fine["not_available"] == {}


def test_reason_numbers_read_as_people_write_them() -> None:
    assert formulas.figure(3100) == "3,100" and formulas.figure(12.5) == "12.5"
    assert formulas.figure(0.25) == "0.25"


# -- a city ------------------------------------------------------------------------------
def city_of(*settlements: tuple[str, float, float | None]) -> list[dict[str, Any]]:
    return [{"name": name, "profile": settlement_profile(profile_answers(hh, conn))}
            for name, hh, conn in settlements]


def test_city_share_leaves_out_an_impossible_settlement_and_says_so() -> None:
    city = aggregate_profiles(city_of(("Kibera", 100, 130), ("Mathare", 1000, 250),
                                      ("Korogocho", 300, 150)))
    # (250 + 150) / (1000 + 300) x 100 = 30.769...; with Kibera it would have been
    # (130 + 250 + 150) / (100 + 1000 + 300) x 100 = 37.857...: an impossible figure
    # silently inside a city figure.
    assert city["electricity_households_pct"] == pytest.approx(30.769, abs=1e-3)
    assert city["left_out"] == {"electricity_households_pct": (
        f"1 settlement left out: Kibera ({ELECTRICITY_REASON}).")}
    assert city["households"] == 1400  # the reported households still add up


def test_city_share_is_not_available_when_every_settlement_is_impossible() -> None:
    city = aggregate_profiles(city_of(("Kibera", 100, 130), ("Mathare", 0, 5)))
    assert city["electricity_households_pct"] is None
    assert city["left_out"]["electricity_households_pct"].startswith(
        "2 settlements left out: Kibera (the profile reports more households with electricity "
        "(130) than households (100)); Mathare (")


def test_city_left_out_sentence_names_five_then_counts() -> None:
    city = aggregate_profiles(city_of(*[(f"S{n}", 10, 11) for n in range(1, 8)]))
    text = city["left_out"]["electricity_households_pct"]
    assert text.startswith("7 settlements left out: S1 (") and text.endswith("; and 2 more.")
    assert "S5 (" in text and "S6 (" not in text


# -- through the server ------------------------------------------------------------------
def api(persona: Any, path: str) -> Any:
    response = persona.api.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_json()


def card(html: str, key: str) -> str:
    found = re.search(rf'<li class="indicator" data-indicator="{key}">(.*?)</li>', html)
    assert found, key
    return found.group(1)


MASHIMONI_REASON = ("The profile reports more households with electricity (4,000) than "
                    "households (3,100).")
#: A second Nairobi settlement: 1,000 households, 250 connected (25 %).
KAMBI = "0196cccc-0000-7000-8000-000000000001"


def test_pages_and_api_show_the_reason_instead_of_a_share_above_100(app: Flask,
                                                                    people: People) -> None:
    # Mashimoni reports 3,100 households; a device (an older form version had no limit)
    # sends 4,000 connected: 4,000 / 3,100 = 129 % before this change.
    push(app, make_ops([("sdi_settlement_profile", MASHIMONI,
                         {"section_J": {"J3_Households_Connected": 4000}})], "tab-old"))
    kambi = read("sdi_settlement_profile", "chaisa_lusaka")
    kambi["section_B"].update(B5_City="Nairobi", B7_Settlement_Name_Community="Kambi Moto",
                              B3_Country="KE_Kenya")
    kambi["section_A"]["A2_Federation"] = "Muungano"
    kambi["section_C"]["C9_Households"] = 1000
    kambi["section_J"].update(J1_Electricity_Available="yes", J3_Households_Connected=250)
    push(app, make_ops([("sdi_settlement_profile", KAMBI, kambi)], "tab-kambi"))

    body = api(people.admin, f"/api/settlements/{MASHIMONI}/profile")
    assert body["profile"]["electricity_households_pct"] is None
    assert body["profile"]["not_available"] == {"electricity_households_pct": (
        "the profile reports more households with electricity (4,000) than households "
        "(3,100)")}
    compared = {c["quantity"]: c for c in body["comparison"]}
    assert compared["electricity_households_pct"]["reported"] is None
    assert compared["electricity_households_pct"]["difference_pct"] is None
    listed = {s["settlement_id"]: s for s in api(people.admin, "/api/settlements")[
        "settlements"]}
    assert listed[MASHIMONI]["electricity_households_pct"] is None
    assert listed[KAMBI]["electricity_households_pct"] == 25.0

    html = page(people.leader_a, f"/settlements/{MASHIMONI}")
    shown = card(html, "electricity_households_pct")
    assert '<span class="value">not available</span>' in shown
    assert MASHIMONI_REASON in shown
    assert "129" not in shown

    # The city: Kambi Moto alone, 250 / 1,000 = 25 % (with Mashimoni: 4,250 / 4,100 =
    # 103.7 %), and a sentence naming Mashimoni.
    city = api(people.admin, "/api/cities/Nairobi/profile")["from_settlement_profiles"]
    assert city["electricity_households_pct"] == 25.0
    assert city["left_out"]["electricity_households_pct"] == (
        "1 settlement left out: Mashimoni (the profile reports more households with "
        "electricity (4,000) than households (3,100)).")
    shown = card(page(people.admin, "/cities/Nairobi"), "electricity_households_pct")
    assert '<span class="value">25%</span>' in shown
    assert "1 settlement left out: Mashimoni (the profile reports more households" in shown
    # Downloads: the GeoJSON carries the reason; the CSV has an empty cell, as for any
    # figure that is not available.
    features = {f["id"]: f["properties"] for f in api(
        people.admin, "/api/exports/settlements.geojson")["features"]}
    assert features[MASHIMONI]["profile.electricity_households_pct"] is None
    assert features[MASHIMONI]["profile.not_available.electricity_households_pct"].startswith(
        "the profile reports more households with electricity (4,000)")
    assert features[KAMBI]["profile.electricity_households_pct"] == 25.0
    response = people.admin.api.get("/api/exports/settlements.csv")
    lines = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    by_id = {row["settlement_id"]: row for row in lines}
    assert by_id[MASHIMONI]["profile.electricity_households_pct"] == ""
    assert by_id[KAMBI]["profile.electricity_households_pct"] == "25.0"
    # Chaisa (Lusaka) has no electricity at all: 0 %, no note.
    chaisa = card(page(people.admin, f"/settlements/{CHAISA}"), "electricity_households_pct")
    assert '<span class="value">0%</span>' in chaisa and "note" not in chaisa


def test_facts_cached_before_the_change_do_not_show_above_100(app: Flask,
                                                             people: People) -> None:
    from sqlalchemy import update

    from server.extensions import db
    from server.models.indicators import SettlementFacts
    from server.services.indicators.facts import is_current, refresh_facts

    push(app, make_ops([("sdi_settlement_profile", MASHIMONI,
                         {"section_J": {"J3_Households_Connected": 4000}})], "tab-old"))
    with app.app_context():
        refresh_facts(db.session)
        stored = db.session.get(SettlementFacts, MASHIMONI).indicators
        # What the facts held before the check: 4,000 / 3,100 x 100 = 129.03 %.
        old = {k: v for k, v in stored.items() if k != "not_available"}
        old["electricity_households_pct"] = 4000 / 3100 * 100
        db.session.execute(update(SettlementFacts)
                           .where(SettlementFacts.settlement_id == MASHIMONI)
                           .values(indicators=old))
        db.session.commit()
        assert is_current(db.session)  # nothing will recompute them
        db.session.rollback()
    body = api(people.admin, f"/api/settlements/{MASHIMONI}/profile")
    assert body["profile"]["electricity_households_pct"] is None
    assert "(4,000) than households (3,100)" in body["profile"]["not_available"][
        "electricity_households_pct"]
    assert MASHIMONI_REASON in page(people.admin, f"/settlements/{MASHIMONI}")
    city = api(people.admin, "/api/cities/Nairobi/profile")["from_settlement_profiles"]
    assert city["electricity_households_pct"] is None  # Mashimoni was its only one
    assert "Mashimoni" in city["left_out"]["electricity_households_pct"]


def test_city_profile_record_with_more_profiled_than_known(app: Flask,
                                                          people: People) -> None:
    # The Nairobi city record knows 180 settlements; an old record says 200 profiled.
    push(app, make_ops([("sdi_city_profile", NAIROBI_CITY,
                         {"settlements": {"settlements_profiled": 200}})], "tab-city"))
    reported = api(people.admin, "/api/cities/Nairobi/profile")["reported"]
    assert reported["settlements_profiled_pct"] is None
    assert reported["not_available"]["settlements_profiled_pct"] == (
        "the city profile reports more settlements profiled (200) than settlements known "
        "(180)")
    html = page(people.admin, "/cities/Nairobi")
    table = html.split('id="city-reported"')[1].split("</table>")[0]
    assert ("not available<span class=\"note\">The city profile reports more settlements "
            "profiled (200) than settlements known (180).</span>") in table
    shares = [float(n.replace(",", "")) for n in re.findall(r"([\d,.]+)%", html)]
    assert shares and max(shares) <= 100  # no share above 100 % anywhere on the page


def test_more_settlement_profiles_than_the_city_knows_of(app: Flask, people: People) -> None:
    # One Nairobi settlement profile; the city record now knows of none... of 0 there
    # is no share at all. It knows of 1 -> 100 %. Then Kambi Moto arrives: 2 of 1.
    push(app, make_ops([("sdi_city_profile", NAIROBI_CITY,
                         {"settlements": {"settlements_known": 1, "settlements_profiled": 1,
                                          "settlements_declared": 0,
                                          "settlements_resettled": 0,
                                          "settlements_eviction_threat": 1}})], "tab-c"))
    city = api(people.admin, "/api/cities/Nairobi/profile")
    assert city["from_settlement_profiles"]["settlements_profiled_pct"] == 100.0
    kambi = read("sdi_settlement_profile", "chaisa_lusaka")
    kambi["section_B"].update(B5_City="Nairobi", B7_Settlement_Name_Community="Kambi Moto")
    push(app, make_ops([("sdi_settlement_profile", KAMBI, kambi)], "tab-kambi"))
    ours = api(people.admin, "/api/cities/Nairobi/profile")["from_settlement_profiles"]
    assert ours["settlements_profiled_pct"] is None
    assert ours["not_available"]["settlements_profiled_pct"] == (
        "there are more settlement profiles (2) than settlements known in the city profile "
        "(1)")
    html = page(people.admin, "/cities/Nairobi")
    assert ('data-note-for="settlements_profiled_pct">Share of known settlements profiled '
            "here: not available. There are more settlement profiles (2) than settlements "
            "known in the city profile (1).</p>") in html
