"""Downloads: profiles as CSV, XLSX and GeoJSON for every profile role, record-level
tables for leaders; officials' files never hold a name or a phone number."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from flask import Flask
from kyc_data import NAMES
from openpyxl import load_workbook
from personas import People

from server.extensions import db
from server.models import AuditEvent

PROFILE_DOWNLOADS = [f"/api/exports/{what}.{fmt}" for what in ("settlements", "cities")
                     for fmt in ("csv", "xlsx", "geojson")]


def xlsx_text(data: bytes) -> str:
    book = load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(str(v) for sheet in book.worksheets for row in sheet.iter_rows(
        values_only=True) for v in row)


def test_official_downloads_hold_no_names_or_phones(people: People) -> None:
    for path in PROFILE_DOWNLOADS:
        response = people.official_a.api.get(path)
        assert response.status_code == 200, (path, response.get_json())
        assert response.is_streamed
        data = response.get_data()
        text = xlsx_text(data) if path.endswith("xlsx") else data.decode("utf-8-sig")
        assert ("Mashimoni" if "settlements" in path else "Nairobi") in text, path
        leaked = [name for name in NAMES if name in text]
        assert not leaked, (path, leaked)
    response = people.official_a.api.get("/api/exports/records/sdi_household_enumeration.csv")
    assert response.status_code == 403


def test_hidden_cells_are_empty_and_flagged_by_reason(people: People) -> None:
    # Mashimoni: 1 owner (a small count), 5 tenants (hidden to protect it: 6 - 5 = 1).
    [row] = csv.DictReader(io.StringIO(people.official_a.api.get(
        "/api/exports/settlements.csv").get_data().decode("utf-8-sig")))
    assert row["enumeration.tenure.owner"] == row["enumeration.tenure.tenant"] == ""
    assert row["enumeration.population"] == "16"
    small, protected = row["suppressed_small"].split(), row["suppressed_protected"].split()
    assert "enumeration.tenure.owner" in small and "enumeration.tenure.tenant" in protected
    assert "enumeration.electricity_households_pct" in protected
    assert not set(small) & set(protected)
    assert not [v for v in row.values() if v.startswith("<")]
    book = load_workbook(io.BytesIO(people.official_a.api.get(
        "/api/exports/settlements.xlsx").get_data()), read_only=True)
    header, values = list(book.worksheets[0].iter_rows(values_only=True))
    cells = dict(zip(header, values, strict=True))
    assert cells["enumeration.tenure.owner"] is None and cells["enumeration.population"] == 16
    assert "enumeration.tenure.tenant" in cells["suppressed_protected"].split()
    [feature] = json.loads(people.official_a.api.get(
        "/api/exports/settlements.geojson").get_data())["features"]
    props = feature["properties"]
    assert props["enumeration.tenure.tenant"] is None
    assert "enumeration.tenure.tenant" in props["suppressed_protected"]
    assert "enumeration.tenure.owner" in props["suppressed_small"]
    # A city's file says which settlement cells it hides, and why, in the same way.
    [city] = csv.DictReader(io.StringIO(people.official_a.api.get(
        "/api/exports/cities.csv").get_data().decode("utf-8-sig")))
    assert "enumeration.tenure.tenant" in city["suppressed_protected"].split()


def test_countries_are_named_with_their_code_beside(people: People) -> None:
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(people.admin.api.get(
        "/api/exports/settlements.csv").get_data().decode("utf-8-sig")))}
    assert (rows["Mashimoni"]["country"], rows["Mashimoni"]["country_code"]) == ("Kenya", "KE")
    assert (rows["Chaisa"]["country"], rows["Chaisa"]["country_code"]) == ("Zambia", "ZM")
    assert rows["Mashimoni"]["comparison.electricity_households_pct.difference_pct"] == ""
    assert rows["Mashimoni"]["comparison.electricity_households_pct.difference_points"]
    cities = {r["city"]: r for r in csv.DictReader(io.StringIO(people.admin.api.get(
        "/api/exports/cities.csv").get_data().decode("utf-8-sig")))}
    assert cities["Nairobi"]["country"] == cities["Nairobi"]["reported.country"] == "Kenya"


def test_settlement_profiles_csv_has_both_sides(people: People) -> None:
    response = people.admin.api.get("/api/exports/settlements.csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(
        response.get_data().decode("utf-8-sig")))}
    assert set(rows) == {"Mashimoni", "Chaisa"}
    # 46000 people / 681 working taps = 67.547
    assert float(rows["Chaisa"]["profile.people_per_working_tap"]) == pytest.approx(67.547,
                                                                                     abs=1e-3)
    assert rows["Mashimoni"]["profile.land_ownership_pct.crown_land"] == "70.0"
    assert rows["Mashimoni"]["enumeration.tenure.owner"] == "1"  # admins see all counts
    assert rows["Mashimoni"]["comparison.households.reported"] == "3100.0"
    assert rows["Mashimoni"]["profile.priority_1"] == "sanitation_sewage"


def test_geojson_points_and_boundaries(people: People) -> None:
    points = json.loads(people.leader_a.api.get("/api/exports/settlements.geojson").get_data())
    assert points["type"] == "FeatureCollection"
    [feature] = points["features"]  # only federation A's settlement
    assert feature["geometry"] == {"type": "Point", "coordinates": [36.78925, -1.31325]}
    assert feature["properties"]["profile.density_per_ha"] == pytest.approx(1560.671, abs=1e-3)
    shapes = json.loads(people.leader_a.api.get(
        "/api/exports/settlements.geojson?geometry=boundary").get_data())
    ring = shapes["features"][0]["geometry"]["coordinates"][0]
    assert shapes["features"][0]["geometry"]["type"] == "Polygon"
    assert ring[0] == ring[-1] == [36.788, -1.312]


def test_leader_record_export_has_repeats_as_linked_files(people: People) -> None:
    response = people.leader_a.api.get("/api/exports/records/sdi_household_enumeration.csv")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert archive.namelist() == ["sdi_household_enumeration.csv", "household_members.csv"]
    households = list(csv.DictReader(io.StringIO(
        archive.read("sdi_household_enumeration.csv").decode("utf-8-sig"))))
    members = list(csv.DictReader(io.StringIO(
        archive.read("household_members.csv").decode("utf-8-sig"))))
    assert len(households) == 7  # Mashimoni's; Chaisa's household is federation B's
    assert "Esther Mwale" not in {h["household/head_name"] for h in households}
    joseph = next(h for h in households if h["household/head_name"] == "Joseph Otieno")
    assert joseph["household/phone"] == "+254712345678"  # a leader sees household data
    his = [m for m in members if m["record_id"] == joseph["record_id"]]
    assert [m["member_name"] for m in his] == ["Joseph Otieno", "Mary Akinyi",
                                               "Brian Ochieng", "Faith Atieno", "Baby Otieno"]
    assert [m["position"] for m in his] == ["1", "2", "3", "4", "5"]
    assert all(m["instance_id"] for m in his)

    response = people.leader_a.api.get(
        "/api/exports/records/sdi_household_enumeration.xlsx")
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    assert book.sheetnames == ["sdi_household_enumeration", "household_members"]
    # a header and the 16 members of the 6 consenting Mashimoni households (5 + 11)
    assert sum(1 for _ in book["household_members"].iter_rows()) == 1 + 16


def test_exports_are_audited_and_bad_requests_explained(app: Flask, people: People) -> None:
    people.leader_a.api.get("/api/exports/settlements.csv?city=Nairobi").get_data()
    with app.app_context():
        events = db.session.query(AuditEvent).filter(
            AuditEvent.action == "export.settlement_profiles").all()
        mine = [(e.username, e.details["format"]) for e in events
                if e.details.get("filters", {}).get("city") == "Nairobi"]
        assert mine == [("leader_a", "csv")]
    response = people.leader_a.api.get("/api/exports/settlements.pdf")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "export.format_unsupported"
    response = people.leader_a.api.get("/api/exports/settlements.csv?eviction_threat=maybe")
    assert response.status_code == 422
    response = people.leader_a.api.get("/api/exports/records/sdi_city_profile.csv")
    assert response.get_json()["error"]["code"] == "export.form_not_scoped"
    response = people.leader_a.api.get("/api/exports/records/no_such_form.csv")
    assert response.status_code == 404


def test_files_for_people_have_readable_headings(people: People) -> None:
    # The downloads page offers files with headings in words; programs keep the names.
    html = people.leader_a.client.get("/downloads").get_data(as_text=True)
    assert "/api/exports/records/sdi_household_enumeration.csv?headers=labels" in html
    response = people.leader_a.api.get(
        "/api/exports/records/sdi_household_enumeration.csv?headers=labels")
    assert response.status_code == 200, response.get_json()
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    households = list(csv.reader(io.StringIO(
        archive.read("sdi_household_enumeration.csv").decode("utf-8-sig"))))
    header = households[0]
    assert header[:3] == ["Record ID", "Form version", "Server sequence"]
    assert not [h for h in header if "/" in h and "(" not in h], header  # no bare paths
    assert "household_size" not in " ".join(header) and len(set(header)) == len(header)
    members = next(csv.reader(io.StringIO(
        archive.read("household_members.csv").decode("utf-8-sig"))))
    assert "Is under 5" in members and "is_under_5" not in members  # a calculation
    book = load_workbook(io.BytesIO(people.leader_a.api.get(
        "/api/exports/records/sdi_household_enumeration.xlsx?headers=labels").get_data()),
        read_only=True)
    assert next(book.worksheets[0].iter_rows(values_only=True))[:1] == ("Record ID",)
    [row] = csv.DictReader(io.StringIO(people.official_a.api.get(
        "/api/exports/settlements.csv?headers=labels").get_data().decode("utf-8-sig")))
    assert row["Enumeration: Tenure: Owner"] == "" and row["Country"] == "Kenya"
    assert "enumeration.tenure.owner" in row["Hidden: small counts"].split()
    assert row["Profile vs enumeration: Households: difference (%)"] == "-99.8"
    assert not [h for h in row if "." in h.split(" (")[0] or "_" in h.split(" (")[0]], row
    response = people.leader_a.api.get("/api/exports/cities.csv?headers=words")
    assert response.status_code == 422
