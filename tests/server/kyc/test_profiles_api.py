"""Settlement and city profiles over the JSON API, with the SDI test records pushed
through the real push path, for each role (personas.py)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from kyc_data import (
    CHAISA,
    MASHIMONI,
    NAMES,
)
from personas import People


def get(persona: Any, path: str) -> Any:
    response = persona.api.get(path)
    return response.status_code, response.get_json()


def test_a_leader_sees_reported_and_enumerated_figures_side_by_side(people: People) -> None:
    status, body = get(people.leader_a, "/api/settlements")
    assert status == 200
    assert [s["name"] for s in body["settlements"]] == ["Mashimoni"]  # not Chaisa (fed B)
    row = body["settlements"][0]
    # 12000 people / 178 working seats; 12000 / 0.07689 km2
    assert row["people_per_working_toilet_seat"] == pytest.approx(67.4157, abs=1e-4)
    assert row["density_per_km2"] == pytest.approx(156067.1, abs=0.1)
    assert row["lon"] == pytest.approx(36.78925) and len(row["boundary"]) == 5

    status, profile = get(people.leader_a, f"/api/settlements/{MASHIMONI}/profile")
    assert status == 200
    enum = profile["enumeration"]
    # 8 household records at MSH-0142: 7 consented (Joseph's 5 + 2+3+2+1+3 extra people),
    # one refused. Population 5+2+3+2+1+3 = 16.
    assert (enum["households"], enum["households_consented"]) == (7, 6)
    assert enum["population"] == 16
    assert enum["tenure"]["owner"] == 1 and enum["tenure"]["tenant"] == 5
    # 16 members: male Joseph, Brian, 7-yr, Peter, 3-yr, Otieno, 26-yr = 7; female 9
    assert enum["sex"] == {"male": 7, "female": 9, "other": 0}
    assert enum["structures"] == 2  # MSH-0142 and the MSH-0007 church
    assert enum["suppressed"] == []
    households = next(c for c in profile["comparison"] if c["quantity"] == "households")
    # reported 3100, enumerated 7: (7 - 3100) / 3100 x 100 = -99.8 %
    assert households == {"quantity": "households", "reported": 3100, "enumerated": 7,
                          "difference_pct": -99.8, "difference_points": None}


def test_an_official_sees_suppressed_counts_and_no_names(people: People) -> None:
    status, profile = get(people.official_a, f"/api/settlements/{MASHIMONI}/profile")
    assert status == 200
    enum = profile["enumeration"]
    assert enum["tenure"]["owner"] is None  # 1 household
    assert enum["tenure"]["tenant"] is None  # 5 = 6 - 1 would give the owner back
    assert "tenure.owner" in enum["suppressed"] and "tenure.tenant" in enum["suppressed"]
    assert enum["population"] == 16 and enum["sex"]["female"] == 9
    text = str(profile)
    assert not [name for name in NAMES if name in text]


def test_another_federation_cannot_see_a_settlement(people: People) -> None:
    status, body = get(people.leader_b, f"/api/settlements/{MASHIMONI}/profile")
    assert status == 404 and body["error"]["code"] == "request.not_found"
    status, body = get(people.leader_b, "/api/settlements")
    assert [s["name"] for s in body["settlements"]] == ["Chaisa"]
    status, body = get(people.admin, "/api/settlements?eviction_threat=yes")
    assert [s["name"] for s in body["settlements"]] == ["Mashimoni"]
    status, body = get(people.admin, "/api/settlements?city=LUSAKA")
    assert [s["name"] for s in body["settlements"]] == ["Chaisa"]
    status, body = get(people.enumerator_a, "/api/settlements")
    assert status == 403 and body["error"]["code"] == "auth.forbidden"


def test_the_city_profile_adds_up_its_settlements(people: People) -> None:
    status, city = get(people.official_a, "/api/cities/nairobi/profile")
    assert status == 200 and city["city"] == "Nairobi"
    reported = city["reported"]
    # the city profile record: 142 profiled of 180 known = 78.89 %
    assert reported["settlements_profiled_pct"] == pytest.approx(78.889, abs=1e-3)
    assert "history" not in reported  # free text is not for officials
    ours = city["from_settlement_profiles"]
    assert ours["settlements_profiled"] == 1
    assert ours["people_per_working_tap"] == pytest.approx(705.882, abs=1e-3)
    assert ours["top_priorities"][0] == {"priority": "sanitation_sewage", "points": 5,
                                         "settlements": 1}
    assert city["enumeration"]["households"] == 7
    status, body = get(people.official_a, "/api/cities")
    assert body == {"cities": [{"city": "Nairobi", "country": "KE_Kenya", "settlements": 1}]}
    status, body = get(people.official_a, "/api/cities/lusaka/profile")
    assert status == 404



def test_enumeration_by_id_list_or_by_subquery_agree(app: Flask, people: People) -> None:
    from sqlalchemy import select

    from server.extensions import db
    from server.models import SettlementFacts
    from server.services.indicators.enumeration import enumeration_by_settlement
    from server.services.indicators.facts import refresh_facts

    with app.app_context():
        refresh_facts(db.session)
        by_ids = enumeration_by_settlement(db.session, [MASHIMONI, CHAISA])
        by_query = enumeration_by_settlement(db.session, select(SettlementFacts.settlement_id))
        everything = enumeration_by_settlement(db.session)
        db.session.rollback()
    assert by_ids == by_query == everything
    assert by_ids[CHAISA]["households"] == 1 and by_ids[MASHIMONI]["households"] == 7
