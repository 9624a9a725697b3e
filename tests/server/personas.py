"""Named people for server tests: who they are, logged-in clients and API tokens.

    people = make_personas(app)
    people.leader_a.client.get("/users")             # a browser session (CSRF handled)
    people.official_a.api.get("/api/settlements")    # JSON with the official's API token
    people.tablet_a.auth                              # headers of enumerator A's device

Two federations, A (Nairobi) and B (Lusaka); settlements S1, S2 in A and S3 in B.
Everyone's password is PASSWORD; hashing it once per run keeps tests fast.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from server_harness import Device, enrol_device
from werkzeug.security import generate_password_hash

from server.auth import Role
from server.auth.credentials import session_stamp
from server.extensions import db
from server.models import Assignment, DeviceAccount, Federation, Settlement, User
from server.services.accounts import create_api_token

PASSWORD = "correct horse battery"


@functools.cache
def password_hash() -> str:
    return generate_password_hash(PASSWORD)


class CsrfClient(FlaskClient):
    """A browser-like test client: POSTs carry the session's CSRF token unless the
    test passes `csrf=False` (to prove the server refuses them)."""

    def open(self, *args: Any, csrf: bool = True, **kwargs: Any) -> Any:
        method = str(kwargs.get("method", "GET")).upper()
        if csrf and method in ("POST", "PUT", "PATCH", "DELETE"):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRF-Token", self.csrf_token())
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        with self.session_transaction() as session:
            if "_csrf" not in session:
                session["_csrf"] = "test-csrf-token"
            return str(session["_csrf"])


class ApiClient:
    """JSON calls with `Authorization: Bearer <token>` (no cookies, no CSRF)."""

    def __init__(self, app: Flask, token: str) -> None:
        self._client = FlaskClient(app, app.response_class, use_cookies=False)
        self.token = token

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def open(self, path: str, method: str = "GET", **kwargs: Any) -> Any:
        headers = {**self.auth, **(kwargs.pop("headers", None) or {})}
        return self._client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.open(path, "GET", **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.open(path, "POST", **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.open(path, "PATCH", **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.open(path, "DELETE", **kwargs)


@dataclass
class Persona:
    username: str
    role: Role
    user_id: str
    federation_id: str | None
    client: CsrfClient   # logged-in browser session
    api: ApiClient       # the same person's API token


@dataclass
class People:
    federation_a: str
    federation_b: str
    s1: str           # settlement in A, assigned to enumerator_a
    s2: str           # settlement in A, not assigned
    s3: str           # settlement in B
    admin: Persona
    leader_a: Persona
    enumerator_a: Persona
    official_a: Persona
    leader_b: Persona
    tablet_a: Device  # enumerator_a's enrolled tablet
    anonymous: CsrfClient

    def all(self) -> dict[str, Persona]:
        return {p.username: p for p in (self.admin, self.leader_a, self.enumerator_a,
                                        self.official_a, self.leader_b)}


def browser(app: Flask) -> CsrfClient:
    """A fresh, anonymous browser-like client."""
    app.test_client_class = CsrfClient
    client = app.test_client()
    assert isinstance(client, CsrfClient)
    return client


def login_client(app: Flask, user_id: str, stamp: str) -> CsrfClient:
    """A test client whose session is logged in as `user_id` (no password check)."""
    client = browser(app)
    with client.session_transaction() as session:
        session["user_id"] = user_id
        session["auth"] = stamp
        session["_csrf"] = "test-csrf-token"
    return client


def csrf_from(html: str) -> str:
    """The CSRF token of the first form in a page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no csrf_token field in the page"
    return found.group(1)


def make_personas(app: Flask) -> People:
    """Create the two federations, three settlements, five people and a tablet."""
    with app.app_context():
        fed_a = Federation(name="Muungano (Nairobi)", country="Kenya", city="Nairobi")
        fed_b = Federation(name="Zambia Homeless and Poor People's Federation",
                           country="Zambia", city="Lusaka")
        db.session.add_all([fed_a, fed_b])
        db.session.flush()
        s1 = Settlement(federation_id=fed_a.id, name="Kibera Soweto East", city="Nairobi")
        s2 = Settlement(federation_id=fed_a.id, name="Mathare 4A", city="Nairobi")
        s3 = Settlement(federation_id=fed_b.id, name="Chaisa", city="Lusaka")
        db.session.add_all([s1, s2, s3])
        specs = [("admin", Role.ADMIN, None), ("leader_a", Role.LEADER, fed_a.id),
                 ("enumerator_a", Role.ENUMERATOR, fed_a.id),
                 ("official_a", Role.OFFICIAL, fed_a.id), ("leader_b", Role.LEADER, fed_b.id)]
        users = {name: User(username=name, display_name=name.replace("_", " ").title(),
                            role=role.value, federation_id=fed, password_hash=password_hash())
                 for name, role, fed in specs}
        db.session.add_all(users.values())
        db.session.flush()
        db.session.add(Assignment(user_id=users["enumerator_a"].id, settlement_id=s1.id))
        ids = {n: (u.id, u.federation_id, session_stamp(u)) for n, u in users.items()}
        fed_ids, settlement_ids = (fed_a.id, fed_b.id), (s1.id, s2.id, s3.id)
        db.session.commit()
        tokens = {name: create_api_token(uid, f"{name} script")[1]
                  for name, (uid, _, _) in ids.items()}
    tablet = enrol_device(app, "tab-enumerator-a", "Enumerator A's tablet")
    with app.app_context():
        db.session.add(DeviceAccount(device_id=tablet.id, user_id=ids["enumerator_a"][0],
                                     federation_id=fed_ids[0]))
        db.session.commit()

    def persona(name: str, role: Role) -> Persona:
        uid, fed, stamp = ids[name]
        return Persona(name, role, uid, fed, login_client(app, uid, stamp),
                       ApiClient(app, tokens[name]))

    return People(
        federation_a=fed_ids[0], federation_b=fed_ids[1], s1=settlement_ids[0],
        s2=settlement_ids[1], s3=settlement_ids[2],
        admin=persona("admin", Role.ADMIN), leader_a=persona("leader_a", Role.LEADER),
        enumerator_a=persona("enumerator_a", Role.ENUMERATOR),
        official_a=persona("official_a", Role.OFFICIAL),
        leader_b=persona("leader_b", Role.LEADER), tablet_a=tablet,
        anonymous=browser(app),
    )
