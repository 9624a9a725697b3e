"""The people pages: users, devices with the enrolment QR code, assignments, audit, tokens."""

from __future__ import annotations

import base64
import html
import re
from io import BytesIO

import zxingcpp
from flask import Flask
from personas import People
from PIL import Image


def text(response: object) -> str:
    return html.unescape(response.data.decode("utf-8"))  # type: ignore[attr-defined]


def test_the_menu_shows_each_role_its_pages(people: People) -> None:
    leader = text(people.leader_a.client.get("/"))
    for label in ("Users", "Devices", "Assignments", "Audit log", "API tokens"):
        assert f">{label}</a>" in leader
    official = text(people.official_a.client.get("/"))
    assert ">API tokens</a>" in official
    for label in ("Users", "Devices", "Assignments", "Audit log"):
        assert f">{label}</a>" not in official
    assert people.official_a.client.get("/users").status_code == 403
    assert people.enumerator_a.client.get("/devices").status_code == 403


def test_a_leader_adds_an_enumerator_and_enrols_their_tablet_by_qr_code(
        app: Flask, people: People) -> None:
    leader = people.leader_a.client
    crafted = leader.post("/users", data={"username": "Neema", "password": "long enough pw",
                                          "role": "admin"}, follow_redirects=True)
    assert "leaders create enumerators" in text(crafted)
    added = leader.post("/users", data={"username": "Neema", "display_name": "Neema W.",
                                        "password": "long enough pw", "role": "enumerator"},
                        follow_redirects=True)
    page = text(added)
    assert "Added neema." in page and "Neema W." in page
    neema = re.search(r'<option value="([^"]+)">Neema W\. \(neema, enumerator\)',
                      text(leader.get("/devices")))
    assert neema, "the new enumerator is offered for enrolment"
    shown = leader.post("/devices/enrol", data={"user_id": neema.group(1), "ttl_hours": "2"})
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    page = text(shown)
    code = re.search(r'id="enrolment-code">([A-Z0-9-]+)<', page)
    assert code and "<svg" in page and "data:image/png;base64," in page

    enrolled = app.test_client().post("/api/devices/enrol", json={
        "code": code.group(1), "device_id": "tab-neema", "name": "Neema's tablet"})
    assert enrolled.status_code == 201
    devices = text(leader.get("/devices"))
    assert "Neema's tablet" in devices and "neema" in devices
    revoked = leader.post("/devices/tab-neema/revoke", follow_redirects=True)
    assert "Device tab-neema revoked" in text(revoked)
    assert "tab-neema" not in text(people.leader_b.client.get("/devices"))


def test_the_enrolment_qr_code_decodes_to_the_documented_payload(people: People) -> None:
    shown = text(people.leader_a.client.post(
        "/devices/enrol", data={"user_id": people.enumerator_a.user_id}))
    code = re.search(r'id="enrolment-code">([A-Z0-9-]+)<', shown)
    png = re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)", shown)
    assert code and png
    found = zxingcpp.read_barcodes(Image.open(BytesIO(base64.b64decode(png.group(1)))))
    assert [r.text for r in found] == \
        [f"hesabu://enrol?server=http%3A%2F%2Flocalhost&code={code.group(1)}"]


def test_only_an_admin_changes_roles_and_the_change_is_audited(people: People) -> None:
    leader = people.leader_a.client
    refused = leader.post(f"/users/{people.enumerator_a.user_id}", data={"role": "leader"},
                          follow_redirects=True)
    assert "only an admin changes roles" in text(refused)
    people.admin.client.post(f"/users/{people.enumerator_a.user_id}",
                             data={"role": "leader"})
    log = text(leader.get("/audit"))
    assert "user.role_change" in log and "enumerator_a" in log
    assert "user.role_change" not in text(people.leader_b.client.get("/audit"))


def test_assignments_are_made_and_removed_on_the_page(people: People) -> None:
    leader = people.leader_a.client
    page = text(leader.get("/assignments"))
    assert "Kibera Soweto East" in page and "Chaisa" not in page  # B's settlement hidden
    leader.post("/assignments", data={"user_id": people.enumerator_a.user_id,
                                      "settlement_id": people.s2})
    mine = people.enumerator_a.api.get("/api/assignments").json
    assert {a["settlement_id"] for a in mine} == {people.s1, people.s2}
    leader.post("/assignments/remove", data={"user_id": people.enumerator_a.user_id,
                                             "settlement_id": people.s1})
    mine = people.enumerator_a.api.get("/api/assignments").json
    assert {a["settlement_id"] for a in mine} == {people.s2}
    foreign = leader.post("/assignments", data={"user_id": people.enumerator_a.user_id,
                                                "settlement_id": people.s3},
                          follow_redirects=True)
    assert "no settlement" in text(foreign)


def test_anyone_makes_a_token_that_is_shown_once(people: People) -> None:
    client = people.enumerator_a.client
    made = client.post("/tokens", data={"name": "my laptop"})
    token = re.search(r'id="new-token">(hsb_[^<]+)<', text(made))
    assert token and made.headers["Cache-Control"] == "no-store"
    assert token.group(1) not in text(client.get("/tokens"))


def test_what_people_typed_is_escaped(people: People) -> None:
    people.leader_a.client.post("/users", data={
        "username": "mallory", "display_name": "<script>alert(1)</script>",
        "password": "long enough pw"})
    raw = people.leader_a.client.get("/users").data.decode()
    assert "<script>alert(1)</script>" not in raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw


def test_an_admin_adds_a_federation_and_its_first_leader(people: People) -> None:
    admin = people.admin.client
    page = text(admin.post("/federations", data={"name": "SDI Uganda", "country": "Uganda",
                                                 "city": "Kampala"}, follow_redirects=True))
    assert "Added federation SDI Uganda." in page
    fed = re.search(r'<option value="([^"]+)">SDI Uganda</option>', page)
    assert fed
    added = admin.post("/users", data={"username": "sarah", "password": "long enough pw",
                                       "role": "leader", "federation_id": fed.group(1)},
                       follow_redirects=True)
    assert "Added sarah." in text(added)
    assert people.leader_a.client.post("/federations", data={"name": "x"}).status_code == 403


def test_page_titles_are_plain_text_and_sections_appear_once(people: People) -> None:
    for persona, paths in ((people.admin, ("/", "/users", "/devices", "/assignments",
                                           "/audit", "/account/password")),
                           (people.leader_a, ("/users", "/devices", "/assignments"))):
        for path in paths:
            page = text(persona.client.get(path))
            title = re.search(r"<title>(.*?)</title>", page, re.S)
            assert title and "<" not in title.group(1), (path, title and title.group(1)[:80])
    users = text(people.admin.client.get("/users"))
    assert users.count("<h2>Federations</h2>") == 1
