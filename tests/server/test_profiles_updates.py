"""Profiles follow the records: edits, deletes and hostile text pushed from devices
show on the next request (these tests change data, so each has its own)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from kyc_data import CHAISA, MASHIMONI, form_specs, load_kyc, make_ops, page, push
from personas import People, make_personas

from sync.hlc import HybridClock
from sync.ops import DELETE, make_op

#: `people` comes with the SDI test records (tests/server/conftest.py).
pytestmark = pytest.mark.kyc_records


def get(persona: Any, path: str) -> Any:
    response = persona.api.get(path)
    return response.status_code, response.get_json()


def test_edits_and_deletes_reach_the_profile(app: Flask, people: People) -> None:
    # A device edits one answer (only the changed field travels) ...
    push(app, make_ops([("sdi_settlement_profile", MASHIMONI,
                         {"section_C": {"C12_Total_Population": 17800}})],
                       device_id="tab-edit"))
    _, profile = get(people.leader_a, f"/api/settlements/{MASHIMONI}/profile")
    # 17800 / 178 working seats = 100 people per seat
    assert profile["profile"]["people_per_working_toilet_seat"] == pytest.approx(100)
    assert profile["profile"]["working_toilet_seats"] == 178  # the other answers stayed
    # ... and another deletes the Chaisa profile.
    clock = HybridClock("tab-delete")
    push(app, [make_op(DELETE, clock=clock, device_id="tab-delete", record_id=CHAISA,
                       form_id="sdi_settlement_profile",
                       form_version=form_specs()["sdi_settlement_profile"].version,
                       fields={}, heads={})])
    _, body = get(people.admin, "/api/settlements")
    assert [s["name"] for s in body["settlements"]] == ["Mashimoni"]


def test_pages_escape_what_people_typed(app: Flask, people: People) -> None:


    push(app, make_ops([("sdi_settlement_profile", MASHIMONI, {"section_B": {
        "B7_Settlement_Name_Community": "<script>alert(1)</script>"}})], "tab-x"))
    for path in ("/settlements", f"/settlements/{MASHIMONI}", "/cities/Nairobi"):
        html = page(people.admin, path)
        assert "<script>alert(1)" not in html and "&lt;script&gt;" in html, path


def test_the_small_count_threshold_is_a_setting(make_app: Any) -> None:
    app = make_app(HESABU_SMALL_COUNT_THRESHOLD=8)
    people = make_personas(app)
    load_kyc(app, people.federation_a, people.federation_b)
    _, profile = get(people.official_a, f"/api/settlements/{MASHIMONI}/profile")
    # 7 men and 9 women: with a threshold of 8 the 7 is hidden, and so is the 9 (or
    # 16 members - 9 women would give the 7 back).
    assert profile["enumeration"]["sex"] == {"male": None, "female": None, "other": 0}
    assert 'id="suppression-note"' in page(people.official_a, f"/settlements/{MASHIMONI}")
    assert "&lt;8" in page(people.official_a, f"/settlements/{MASHIMONI}")


def test_stored_enumeration_totals_follow_every_kind_of_change(app: Flask,
                                                              people: People) -> None:
    from kyc_data import CHS_2210, MSH_0142, household

    from server.extensions import db
    from server.services.indicators.enumeration import (
        aggregate_live,
        enumeration_by_settlement,
        summarise,
    )
    from server.services.indicators.facts import refresh_facts

    def stored_and_live() -> tuple[dict[str, Any], dict[str, Any]]:
        with app.app_context():
            refresh_facts(db.session)
            stored = enumeration_by_settlement(db.session)
            live = {sid: summarise(totals, n)
                    for sid, (totals, n) in aggregate_live(db.session).items()}
            db.session.rollback()
        return stored, live

    stored, live = stored_and_live()
    assert stored == live and stored[MASHIMONI]["households"] == 7
    # A household arrives before its structure; then the structure (in Chaisa).
    new_structure = "01964c02-0000-7e3c-8d5f-000000000099"
    push(app, make_ops([("sdi_household_enumeration", "0196bbbb-0000-7000-8000-000000000001",
                         household(new_structure, 1, "Late Arrival", "+260900000001",
                                   "owner", "solar", [(40, "female")]))], "tab-a"))
    stored, live = stored_and_live()
    assert stored == live and stored[CHAISA]["households"] == 1
    push(app, make_ops([("sdi_structure_numbering", new_structure,
                         {"settlement_id": CHAISA, "structure_number": "CHS-9999"})], "tab-b"))
    stored, live = stored_and_live()
    assert stored == live and stored[CHAISA]["households"] == 2
    # MSH-0142 is re-numbered into Chaisa: its 7 households move with it.
    push(app, make_ops([("sdi_structure_numbering", MSH_0142, {"settlement_id": CHAISA})],
                       "tab-c"))
    stored, live = stored_and_live()
    assert stored == live and stored[CHAISA]["households"] == 9
    assert stored[MASHIMONI]["households"] == 0 and stored[MASHIMONI]["structures"] == 1
    # A structure is deleted: its households no longer count anywhere.
    clock = HybridClock("tab-d")
    push(app, [make_op(DELETE, clock=clock, device_id="tab-d", record_id=CHS_2210,
                       form_id="sdi_structure_numbering",
                       form_version=form_specs()["sdi_structure_numbering"].version,
                       fields={}, heads={})])
    stored, live = stored_and_live()
    assert stored == live and stored[CHAISA]["households"] == 8


def test_pages_and_files_before_any_record_arrives(make_app: Any) -> None:
    app = make_app()
    people = make_personas(app)
    html = page(people.admin, "/settlements")
    assert 'data-total="0"' in html and "No settlement has GPS coordinates yet" in html
    assert "No settlement profile that you may see yet" in page(people.admin, "/cities")
    assert 'id="download-records"' in page(people.leader_a, "/downloads")
    assert people.admin.client.get("/cities/Nairobi").status_code == 404
    response = people.official_a.api.get("/api/exports/settlements.csv")
    assert response.status_code == 200
    assert response.get_data().decode("utf-8-sig").count("\r\n") == 1  # the header alone
    _, body = get(people.official_a, "/api/cities")
    assert body == {"cities": []}
    response = people.leader_a.api.get("/api/exports/records/sdi_household_enumeration.csv")
    assert response.status_code == 404  # the form is not published yet
