"""The accounts API: what each role may do with users, settlements, devices and tokens."""

from __future__ import annotations

from flask import Flask
from personas import People


def actions(people: People) -> list[str]:
    return [e["action"] for e in people.admin.api.get("/api/audit?limit=1000").json]


def test_a_leader_creates_an_enumerator_assigns_a_settlement_and_enrols_a_tablet(
        app: Flask, people: People) -> None:
    leader = people.leader_a.api
    created = leader.post("/api/users", json={"username": "Baraka", "password": "long enough pw",
                                              "role": "enumerator", "display_name": "Baraka O."})
    assert created.status_code == 201, created.json
    baraka = created.json
    assert (baraka["username"], baraka["federation_id"]) == ("baraka", people.federation_a)
    assert "password" not in baraka

    assert leader.post("/api/assignments", json={"user_id": baraka["id"],
                                                 "settlement_id": people.s2}).status_code == 201
    mine = people.enumerator_a.api.get("/api/assignments").json
    assert [a["settlement_id"] for a in mine] == [people.s1]

    offer = leader.post(f"/api/users/{baraka['id']}/enrolment-codes", json={"ttl_hours": 2})
    assert offer.status_code == 201
    assert offer.json["payload"] == \
        f"hesabu://enrol?server=http%3A%2F%2Flocalhost&code={offer.json['code']}"
    assert offer.json["qr_svg"].startswith("<svg")
    enrolled = app.test_client().post("/api/devices/enrol", json={
        "code": offer.json["code"], "device_id": "tab-baraka", "name": "Baraka's tablet"})
    assert enrolled.status_code == 201
    devices = {d["id"]: d for d in leader.get("/api/devices").json}
    assert devices["tab-baraka"]["username"] == "baraka"
    assert "tab-baraka" not in {d["id"] for d in people.leader_b.api.get("/api/devices").json}

    assert leader.post("/api/devices/tab-baraka/revoke").status_code == 204
    refused = app.test_client().get("/api/sync/pull?cursor=0", headers={
        "Authorization": f"Bearer {enrolled.json['token']}"})
    assert refused.status_code == 403
    assert {"user.create", "assignment.add", "device.enrolment_code", "device.enrol",
            "device.revoke"} <= set(actions(people))
    enrol_event = people.leader_a.api.get("/api/audit?action=device.enrol").json[0]
    assert enrol_event["target"] == "tab-baraka"
    assert enrol_event["details"]["for_user_id"] == baraka["id"]


def test_the_audit_log_names_who_acted_and_from_where(app: Flask, people: People) -> None:
    """The view passes the actor to the services (no service reads the request): the
    leader and their address for an account change, only an address for a device that
    enrols with a code (no person acts)."""
    leader = people.leader_a.api
    created = leader.post("/api/users", json={"username": "neema", "password": "long enough pw",
                                              "role": "enumerator"},
                          environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert created.status_code == 201
    offer = leader.post(f"/api/users/{created.json['id']}/enrolment-codes",
                        json={"ttl_hours": 1})
    assert app.test_client().post("/api/devices/enrol", json={
        "code": offer.json["code"], "device_id": "tab-neema", "name": "Neema's tablet"},
        environ_base={"REMOTE_ADDR": "192.0.2.44"}).status_code == 201

    made = leader.get("/api/audit?action=user.create").json[0]
    assert (made["target"], made["username"], made["user_id"], made["ip"]) == \
        ("neema", "leader_a", people.leader_a.user_id, "198.51.100.7")
    assert made["federation_id"] == people.federation_a
    enrolled = leader.get("/api/audit?action=device.enrol").json[0]
    assert (enrolled["target"], enrolled["username"], enrolled["user_id"], enrolled["ip"]) == \
        ("tab-neema", "", None, "192.0.2.44")


def test_leaders_cannot_make_leaders_change_roles_or_touch_another_federation(
        people: People) -> None:
    leader = people.leader_a.api
    made = leader.post("/api/users", json={"username": "x", "password": "long enough pw",
                                           "role": "leader"})
    assert made.status_code == 403 and made.json["error"]["code"] == "auth.forbidden"
    other = leader.post("/api/users", json={"username": "y", "password": "long enough pw",
                                            "role": "enumerator",
                                            "federation_id": people.federation_b})
    assert other.status_code == 403
    promote = leader.patch(f"/api/users/{people.enumerator_a.user_id}", json={"role": "leader"})
    assert promote.status_code == 403
    assert leader.get(f"/api/users/{people.leader_b.user_id}").status_code == 404
    assert people.leader_b.api.post("/api/assignments", json={
        "user_id": people.enumerator_a.user_id, "settlement_id": people.s1}).status_code == 404
    assert people.leader_b.api.post("/api/devices/tab-enumerator-a/revoke").status_code == 404
    names = {u["username"] for u in leader.get("/api/users").json}
    assert names == {"leader_a", "enumerator_a", "official_a"}


def test_an_admin_changes_a_role_and_it_is_in_the_audit_log(people: People) -> None:
    answer = people.admin.api.patch(f"/api/users/{people.official_a.user_id}",
                                    json={"role": "leader"})
    assert answer.status_code == 200 and answer.json["role"] == "leader"
    event = people.admin.api.get("/api/audit?action=user.role_change").json[0]
    assert event["details"]["role"] == ["official", "leader"]
    assert event["username"] == "admin" and event["target"] == "official_a"
    # Leader A sees their federation's events, leader B does not.
    assert people.leader_b.api.get("/api/audit").json == []
    own = people.admin.api.patch(f"/api/users/{people.admin.user_id}", json={"role": "leader"})
    assert own.status_code == 403


def test_a_deactivated_enumerator_cannot_log_in_and_their_tablet_pulls_nothing(
        app: Flask, people: People) -> None:
    answer = people.leader_a.api.patch(f"/api/users/{people.enumerator_a.user_id}",
                                       json={"active": False})
    assert answer.status_code == 200 and answer.json["active"] is False
    assert people.enumerator_a.api.get("/api/me").status_code == 401
    pull = app.test_client().get("/api/sync/pull?cursor=0", headers=people.tablet_a.auth)
    assert pull.status_code == 200
    assert [c for c in pull.json["changes"] if c["type"] == "op"] == []


def test_bad_bodies_get_clear_errors_and_change_nothing(people: People) -> None:
    admin = people.admin.api
    before = len(admin.get("/api/users").json)
    unknown = admin.post("/api/users", json={"username": "z", "password": "long enough pw",
                                             "role": "enumerator", "colour": "red"})
    assert unknown.status_code == 422 and "colour" in unknown.json["error"]["details"]["fields"]
    short = admin.post("/api/users", json={"username": "z", "password": "short",
                                           "role": "admin"})
    assert short.status_code == 422
    taken = admin.post("/api/users", json={"username": "LEADER_A", "password": "long enough pw",
                                           "role": "admin"})
    assert taken.status_code == 409 and taken.json["error"]["code"] == "account.conflict"
    nofed = admin.post("/api/users", json={"username": "z", "password": "long enough pw",
                                           "role": "leader"})
    assert nofed.status_code == 422 and nofed.json["error"]["code"] == "account.invalid"
    assert len(admin.get("/api/users").json) == before


def test_tokens_are_shown_once_listed_without_the_secret_and_revocable(
        people: People) -> None:
    official = people.official_a.api
    made = official.post("/api/tokens", json={"name": "city dashboard"})
    assert made.status_code == 201 and made.json["token"].startswith("hsb_")
    listed = official.get("/api/tokens").json
    assert {t["name"] for t in listed} == {"official_a script", "city dashboard"}
    assert all("token" not in t for t in listed)
    from personas import ApiClient

    script = ApiClient(people.anonymous.application, made.json["token"])
    assert script.get("/api/me").json["username"] == "official_a"
    used = {t["name"]: t["last_used"] for t in official.get("/api/tokens").json}
    assert used["city dashboard"] is not None
    assert official.delete(f"/api/tokens/{made.json['id']}").status_code == 204
    assert script.get("/api/me").status_code == 401
    assert people.leader_b.api.delete(f"/api/tokens/{listed[0]['id']}").status_code == 404
    assert "token.create" in actions(people)


def test_settlements_are_added_to_the_leaders_own_federation(people: People) -> None:
    made = people.leader_a.api.post("/api/settlements", json={"name": "Mukuru kwa Njenga",
                                                              "city": "Nairobi"})
    assert made.status_code == 201 and made.json["federation_id"] == people.federation_a
    other = people.leader_a.api.post("/api/settlements", json={
        "name": "Misisi", "federation_id": people.federation_b})
    assert other.status_code == 403
    assert people.enumerator_a.api.post("/api/settlements",
                                        json={"name": "x"}).status_code == 403


def test_a_browser_session_calling_the_api_needs_the_csrf_token(people: People) -> None:
    body = {"username": "zawadi", "password": "long enough pw", "role": "enumerator"}
    forged = people.leader_a.client.post("/api/users", json=body, csrf=False)
    assert forged.status_code == 403 and forged.json["error"]["code"] == "auth.csrf"
    assert people.leader_a.client.post("/api/users", json=body).status_code == 201
    # A bearer token needs no CSRF token: browsers never send one on their own.
    made = people.leader_a.api.post("/api/tokens", json={"name": "cron"})
    assert made.status_code == 201


def test_the_enrolment_qr_of_a_tls_server_carries_its_certificate_pin(
        app: Flask, people: People) -> None:
    """`hesabu serve --tls` sets HESABU_TLS_PIN: the tablet pins it from the QR code.
    Over plain http there is nothing to pin, and the QR code has no pin."""
    pin = "sha256/" + "k" * 43
    app.config["HESABU_TLS_PIN"] = pin
    leader = people.leader_a.api
    user = people.enumerator_a.api.get("/api/me").json["id"]
    plain = leader.post(f"/api/users/{user}/enrolment-codes", json={"ttl_hours": 1})
    assert "pin=" not in plain.json["payload"]
    app.config["HESABU_PUBLIC_URL"] = "https://hub.local:5000"
    offer = leader.post(f"/api/users/{user}/enrolment-codes", json={"ttl_hours": 1})
    assert offer.json["payload"] == ("hesabu://enrol?server=https%3A%2F%2Fhub.local%3A5000"
                                     f"&code={offer.json['code']}&pin=sha256%2F{'k' * 43}")
    assert offer.json["pin"] == pin and plain.json["pin"] is None
    page = people.leader_a.client.post("/devices/enrol", data={"user_id": user})
    assert f'<code id="tls-pin">{pin}</code>' in page.get_data(as_text=True)
