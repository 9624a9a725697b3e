"""The map's data (GET /map/features): settlement boundaries and points for everyone who
sees profiles, structure points for leaders and admins only, never for an official; the
pages that draw it carry only the operator's tile URL (none by default)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from kyc_data import CHAISA, CHS_2210, MASHIMONI, MSH_0007, MSH_0142, page
from personas import People

from server.services.maps import tile_origin


def features(persona: Any, query: str = "") -> dict[str, Any]:
    response = persona.client.get(f"/map/features{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/geo+json"
    return json.loads(response.get_data(as_text=True))


def kinds(found: dict[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for feature in found["features"]:
        out.setdefault(feature["properties"]["kind"], set()).add(feature["properties"]["id"])
    return out


def test_a_leader_gets_boundaries_points_and_structures_of_their_federation(
        people: People) -> None:
    found = features(people.leader_a)
    assert found["type"] == "FeatureCollection"
    seen = kinds(found)
    assert seen["boundary"] == {MASHIMONI} and seen["settlement"] == {MASHIMONI}
    assert seen["structure"] == {MSH_0142, MSH_0007}  # not Chaisa's CHS-2210
    boundary = next(f for f in found["features"] if f["properties"]["kind"] == "boundary")
    ring = boundary["geometry"]["coordinates"][0]
    assert boundary["geometry"]["type"] == "Polygon" and ring[0] == ring[-1]
    assert -1.32 < ring[0][1] < -1.30 and 36.78 < ring[0][0] < 36.80  # [lon, lat]
    structure = next(f for f in found["features"] if f["properties"]["id"] == MSH_0142)
    assert structure["geometry"]["coordinates"] == [36.78911, -1.31342]
    assert structure["properties"]["href"] == f"/records/{MSH_0142}"
    assert structure["properties"]["use"] == "residential"
    # One settlement (its profile page) and the city page's filter.
    assert kinds(features(people.admin, f"?settlement_id={CHAISA}"))["structure"] == {CHS_2210}
    assert set(kinds(features(people.admin, "?city=lusaka"))["settlement"]) == {CHAISA}


def test_an_official_never_gets_structures_or_household_data(people: People) -> None:
    for query in ("", f"?settlement_id={MASHIMONI}", "?city=Nairobi"):
        response = people.official_a.client.get(f"/map/features{query}")
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        found = json.loads(text)
        assert set(kinds(found)) == {"boundary", "settlement"}, query
        for gone in (MSH_0142, MSH_0007, "structure", "/records/", "residential"):
            assert gone not in text, (query, gone)
    # And the page itself points at that endpoint only.
    html = page(people.official_a, f"/settlements/{MASHIMONI}")
    assert f'data-map-features="/map/features?settlement_id={MASHIMONI}"' in html


def test_others_get_no_map_and_bad_filters_a_clear_error(people: People) -> None:
    assert people.enumerator_a.client.get("/map/features").status_code == 403
    assert kinds(features(people.leader_b)).get("settlement") == {CHAISA}
    response = people.admin.client.get("/map/features?legal_status=castle")
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["fields"]["legal_status"]


def test_pages_load_leaflet_from_this_server_and_no_tiles_by_default(people: People) -> None:
    for path in ("/settlements", f"/settlements/{MASHIMONI}", "/cities/Nairobi"):
        html = page(people.leader_a, path)
        assert '/assets/vendor/leaflet/leaflet.js"' in html and '/assets/map.js"' in html
        assert 'data-map-tiles=""' in html, path
        assert "https://" not in html.split("<main")[1], path


def test_leaflet_is_package_data() -> None:
    from importlib import resources

    static = resources.files("server.web") / "static" / "vendor" / "leaflet"
    for name in ("leaflet.js", "leaflet.css", "LICENSE", "images/marker-icon.png"):
        assert (static / name).is_file(), name
    assert 'version="1.9.4"' in (static / "leaflet.js").read_text(encoding="utf-8")


def test_tile_origin_for_the_csp() -> None:
    assert tile_origin("https://{s}.tile.example.org/{z}/{x}/{y}.png") == \
        "https://*.tile.example.org"
    assert tile_origin("http://10.0.0.5:8080/tiles/{z}/{x}/{y}.png") == "http://10.0.0.5:8080"
    with pytest.raises(ValueError, match="HESABU_MAP_TILES"):
        tile_origin("tiles/{z}/{x}/{y}.png")


def test_a_map_of_many_structures_says_some_were_left_out(
        people: People, app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "HESABU_MAP_MAX_STRUCTURES", 1)
    found = features(people.leader_a)
    assert len(kinds(found)["structure"]) == 1 and found["structures_left_out"] is True


def test_an_operators_tile_url_reaches_the_page_and_the_csp(tmp_path: Path) -> None:
    """(On its own SQLite file: the module's database holds the shared test records.)"""
    from flask import render_template_string

    from server.app import create_app

    def make_app(**config: Any) -> Flask:
        return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'map.db'}",
                           "INSTANCE_PATH": str(tmp_path / "instance"), **config})

    plain = make_app().test_client().get("/login")
    assert "img-src 'self' data: blob:;" in plain.headers["Content-Security-Policy"]
    app = make_app(HESABU_MAP_TILES="https://{s}.tiles.example.org/{z}/{x}/{y}.png",
                   HESABU_MAP_ATTRIBUTION="© Example")
    csp = app.test_client().get("/login").headers["Content-Security-Policy"]
    assert "img-src 'self' https://*.tiles.example.org data: blob:;" in csp
    with app.test_request_context():
        html = render_template_string("{{ map_tiles().url }} {{ map_tiles().attribution }}")
    assert html == "https://{s}.tiles.example.org/{z}/{x}/{y}.png © Example"
    with pytest.raises(ValueError, match="HESABU_MAP_TILES must be an http"):
        make_app(HESABU_MAP_TILES="file:///etc/tiles/{z}/{x}/{y}.png")
