"""Every role against every endpoint, found by walking `app.url_map`, so endpoints added
later are covered without touching this file.

Each endpoint must declare who may call it (server.auth decorators, or
server.auth.access.declare for views that cannot use them); one that declares nothing
fails here. Then every persona calls it:

- anonymous: web pages redirect to /login, JSON endpoints answer 401;
- a role the rule does not allow: 403 (a page or auth.forbidden);
- an allowed role: neither of those, and never a server error;
- an enrolled device's token: only device endpoints;
- leader B, calling with ids of federation A's objects: never a 200.

Writes (POST, PATCH, DELETE) are sent with ids that do not exist and empty bodies, so
passing the role check shows as 404/422/400 and nothing changes between personas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from personas import ApiClient, People, browser, login_client
from werkzeug.routing import Rule

from server.auth import Role
from server.auth.access import API, COLLECT, DEVICE, PUBLIC, WEB, AccessRule, rule_for
from server.auth.credentials import session_stamp
from server.extensions import db
from server.models import User

WRITES = {"POST", "PATCH", "PUT", "DELETE"}
#: Path parameters whose value names an object of federation A (leader B must not see it).
FEDERATION_A_PARAMS = {"user_id", "settlement_id", "device_id", "name"}


@dataclass(frozen=True)
class Caller:
    name: str
    role: Role | None  # None: anonymous or the device
    is_device: bool = False


CALLERS = [Caller("anonymous", None), Caller("admin", Role.ADMIN),
           Caller("leader_a", Role.LEADER), Caller("enumerator_a", Role.ENUMERATOR),
           Caller("official_a", Role.OFFICIAL), Caller("leader_b", Role.LEADER),
           Caller("tablet_a", None, is_device=True)]


def path_values(people: People, write: bool) -> dict[str, Any]:
    """Values for path parameters: real federation-A objects for reads, missing ones for
    writes (so a write that passes the role check finds nothing to change)."""
    if write:
        return {"user_id": "missing-user", "settlement_id": "missing-settlement",
                "device_id": "missing-device", "token_id": "missing-token",
                "record_id": "01900000-0000-7000-8000-000000000000", "conflict_id": 999999,
                "sha256": "0" * 64, "form_id": "missing-form", "version": "1", "fmt": "csv",
                "name": "Nowhere", "filename": "missing.css", "token": "missing-token"}
    return {"user_id": people.enumerator_a.user_id, "settlement_id": people.s1,
            "device_id": people.tablet_a.id, "token_id": "missing-token",
            "record_id": "01900000-0000-7000-8000-000000000000", "conflict_id": 999999,
            "sha256": "0" * 64, "form_id": "household", "version": "1", "fmt": "csv",
            "name": "Nairobi", "filename": "hesabu.css", "token": "missing-token"}


def build_url(rule: Rule, values: dict[str, Any]) -> str:
    args = {}
    for name in rule.arguments:
        assert name in values, f"{rule.rule}: add a value for <{name}> in path_values"
        args[name] = values[name]
    built = rule.build(args, append_unknown=False)
    assert built is not None
    return built[1]


def stamps(app: Flask, people: People) -> dict[str, str]:
    with app.app_context():
        found = {name: session_stamp(db.session.get(User, p.user_id))  # type: ignore[arg-type]
                 for name, p in people.all().items()}
        db.session.rollback()
    return found


def call(app: Flask, people: People, caller: Caller, rule: AccessRule, method: str,
         url: str, stamp: dict[str, str]) -> Any:
    """One request as `caller`: JSON endpoints with the person's API token, pages with a
    fresh logged-in browser session (so a logout or a write cannot spoil later calls)."""
    body: dict[str, Any] = {"json": {}} if method in WRITES else {}
    if caller.is_device:
        client = app.test_client()
        return client.open(url, method=method, headers=people.tablet_a.auth, **body)
    if caller.role is None:
        return browser(app).open(url, method=method, **body)
    persona = people.all()[caller.name]
    if rule.kind == API or url.startswith("/api/"):
        return ApiClient(app, persona.api.token).open(url, method, **body)
    return login_client(app, persona.user_id, stamp[caller.name]).open(url, method=method,
                                                                        **body)


def problem(rule: AccessRule, caller: Caller, method: str, url: str, status: int,
            location: str, api_error: str | None) -> str | None:
    """What is wrong with this answer, or None."""
    if status >= 500:
        return f"server error {status}"
    to_login = status == 302 and location.startswith("/login")
    refused = status in (401, 403) or to_login
    if rule.kind == PUBLIC:
        return None  # may refuse bad credentials itself (a wrong password, a used code)
    if caller.is_device:
        if rule.kind == DEVICE:
            return "the device was refused" if status in (401, 403) else None
        return None if refused else "a device token got through"
    if rule.kind == DEVICE:
        return None if status in (401, 403) else "a person got through a device endpoint"
    if rule.kind == COLLECT:  # OpenRosa: only a Collect login or URL token gets through
        return None if status in (401, 403) else "a web session or API token got through"
    if caller.role is None:
        if rule.kind == WEB:
            return None if to_login else "anonymous was not sent to /login"
        return None if status == 401 and api_error == "auth.login_required" \
            else "anonymous did not get 401 auth.login_required"
    if rule.allows(caller.role):
        return f"refused an allowed role ({status})" if refused else None
    return None if status == 403 else f"a role that is not allowed got {status}"


def test_every_endpoint_declares_who_may_call_it(app: Flask) -> None:
    undeclared = sorted(r.endpoint for r in app.url_map.iter_rules()
                        if rule_for(r.endpoint, app.view_functions[r.endpoint]) is None)
    assert undeclared == [], (
        "endpoints without an access rule: protect them with server.auth's "
        "roles_required/api_roles_required/public (or declare them in "
        f"server/auth/access.py): {undeclared}")


def test_every_role_against_every_endpoint(app: Flask, people: People) -> None:
    failures: list[str] = []
    checked = 0
    stamp = stamps(app, people)
    for url_rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions[url_rule.endpoint]
        rule = rule_for(url_rule.endpoint, view)
        if rule is None:
            continue  # the test above reports it
        for method in sorted((url_rule.methods or set()) - {"HEAD", "OPTIONS"}):
            url = build_url(url_rule, path_values(people, method in WRITES))
            for caller in CALLERS:
                answer = call(app, people, caller, rule, method, url, stamp)
                error = answer.get_json(silent=True) if answer.is_json else None
                code = error.get("error", {}).get("code") if isinstance(error, dict) else None
                found = problem(rule, caller, method, url, answer.status_code,
                                answer.headers.get("Location", ""), code)
                answer.close()  # a streamed download keeps its request context until closed
                checked += 1
                if found:
                    failures.append(f"{method} {url} as {caller.name}: {found}")
    assert checked > 300, checked
    assert failures == [], "\n".join(failures)


def test_leader_b_never_sees_federation_a_objects(app: Flask, people: People) -> None:
    """Reads with ids of federation A's objects: leader B (and official B's role) get no
    200, though their role may call the endpoint."""
    failures = []
    stamp = stamps(app, people)
    for url_rule in app.url_map.iter_rules():
        rule = rule_for(url_rule.endpoint, app.view_functions[url_rule.endpoint])
        if rule is None or rule.kind not in (WEB, API) or "GET" not in (url_rule.methods or ()):
            continue
        in_path = set(url_rule.arguments) - set(url_rule.defaults or {})
        if not in_path & FEDERATION_A_PARAMS or not rule.allows(Role.LEADER):
            continue
        url = build_url(url_rule, path_values(people, write=False))
        answer = call(app, people, Caller("leader_b", Role.LEADER), rule, "GET", url, stamp)
        answer.close()
        if answer.status_code == 200:
            failures.append(f"GET {url}: leader B got 200")
    assert failures == [], "\n".join(failures)
