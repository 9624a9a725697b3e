"""On SQLite (a hub's database) people log in and make API tokens while tablets push.

SQLite has one writer at a time. A transaction that reads first and writes later
cannot take the write lock while another connection holds it ("database is locked" at
once, whatever the busy timeout), so with tablets pushing every login failed. Write
requests now take the lock when their transaction starts (BEGIN IMMEDIATE) and wait
their turn. Real gunicorn worker processes on one SQLite file, real client threads;
and when the database really is unavailable, a browser gets a page, not JSON.
"""

from __future__ import annotations

import http.client
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask
from personas import PASSWORD, People, make_personas
from server_harness import Device, HttpClient, LiveServer, gunicorn_server, publish_test_form

from server.app import create_app
from server.extensions import db
from server.models import ApiToken, DeviceRescan
from server.services.scoping import request_rescan

TABLETS = 10


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    outcomes: dict[str, list[int]] = field(default_factory=dict)

    def add(self, kind: str, status: int) -> None:
        with self.lock:
            self.outcomes.setdefault(kind, []).append(status)


def web_login(port: int, username: str, password: str) -> tuple[int, str]:
    """Log in as a browser does: GET the form (session cookie, CSRF token), POST it."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", "/login", headers={"Accept": "text/html"})
        page = conn.getresponse()
        html = page.read().decode()
        cookie = page.getheader("Set-Cookie", "").split(";")[0]
        token = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert token, html[:500]
        form = urlencode({"csrf_token": token.group(1), "username": username,
                          "password": password, "next": "/"})
        conn.request("POST", "/login", body=form, headers={
            "Cookie": cookie, "Accept": "text/html",
            "Content-Type": "application/x-www-form-urlencoded"})
        answer = conn.getresponse()
        return answer.status, answer.read().decode(errors="replace")
    finally:
        conn.close()


def sync_storm(port: int, people: People, tablets: list[Device], logins: int,
               tokens: int) -> Tally:
    """`tablets` push batch after batch until `logins` web logins and `tokens` API token
    creations (from two clients at once) are done; every outcome is tallied."""
    tally = Tally()
    done = threading.Event()

    def pusher(device: Device) -> None:
        client = HttpClient(port, device.token)
        for batch in range(200):  # bounded: the other clients end it much sooner
            if done.is_set() and batch >= 2:
                return
            ops = [device.op(fields={"n": i, "batch": batch}) for i in range(20)]
            tally.add("push", client.push(device, ops).status)

    def login_loop() -> None:
        for _ in range(logins):
            status, _ = web_login(port, "leader_a", PASSWORD)
            tally.add("login", status)

    def token_loop(who: str) -> None:
        client = HttpClient(port, people.all()[who].api.token)
        for n in range(tokens):
            reply = client.post_json("/api/tokens", {"name": f"{who} script {n}"},
                                     gzipped=False)
            tally.add("token", reply.status)

    pushers = [threading.Thread(target=pusher, args=(t,)) for t in tablets]
    for thread in pushers:
        thread.start()
    others = [threading.Thread(target=login_loop),
              threading.Thread(target=token_loop, args=("admin",)),
              threading.Thread(target=token_loop, args=("leader_a",))]
    for thread in others:
        thread.start()
    for thread in others:
        thread.join(timeout=300)
    done.set()
    for thread in pushers:
        thread.join(timeout=300)
    return tally


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hub.db'}"


@pytest.fixture
def setup_app(sqlite_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlite_url,
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _tablets(app: Flask, people: People) -> list[Device]:
    from server_harness import enrol_device

    publish_test_form(app)
    return [people.tablet_a] + [enrol_device(app, f"tab-{i}", f"Tablet {i}")
                                for i in range(1, TABLETS)]


def test_logins_and_tokens_succeed_while_ten_tablets_push(
        setup_app: Flask, sqlite_url: str, tmp_path: Path) -> None:
    people = make_personas(setup_app)
    tablets = _tablets(setup_app, people)
    env = {"HESABU_DATABASE_URL": sqlite_url, "HESABU_INSTANCE_PATH": setup_app.instance_path}
    args = ["-w", "2", "-k", "gthread", "--threads", "8"]
    with gunicorn_server(args, env, tmp_path) as port:
        started = time.monotonic()
        tally = sync_storm(port, people, tablets, logins=8, tokens=8)
        took = time.monotonic() - started
    outcomes = tally.outcomes
    assert outcomes["login"] == [302] * 8, outcomes["login"]
    assert outcomes["token"] == [201] * 16, outcomes["token"]
    assert set(outcomes["push"]) == {200}, outcomes["push"]
    assert len(outcomes["push"]) >= 2 * TABLETS
    assert took < 240


def test_a_browser_gets_a_page_when_the_database_is_locked(
        sqlite_url: str, tmp_path: Path) -> None:
    """Another process holds the write lock past the (here short) busy timeout."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlite_url, "HESABU_SQLITE_BUSY_TIMEOUT_S": 0.3,
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    people = make_personas(app)
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        with LiveServer(app) as live:
            holder.execute("BEGIN IMMEDIATE")
            status, html = web_login(live.port, "leader_a", PASSWORD)
            assert status == 503, html[:300]
            assert html.lstrip().lower().startswith("<!doctype html>")
            assert "busy" in html and '"error"' not in html
            reply = HttpClient(live.port, people.admin.api.token).post_json(
                "/api/tokens", {"name": "x"}, gzipped=False)
            assert reply.status == 503 and reply.json()["error"]["code"] == "server.unavailable"
            holder.execute("ROLLBACK")
            status, _ = web_login(live.port, "leader_a", PASSWORD)
            assert status == 302
    finally:
        holder.close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_get_requests_write_only_in_transactions_that_hold_the_lock(
        sqlite_url: str, tmp_path: Path) -> None:
    """A GET reads without the lock; its few writes (an API token's last use, a
    device's finished rescan) take it first. HESABU_SQLITE_STRICT_WRITES turns a write
    after a read without the lock into an error, as it is under load."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlite_url, "HESABU_SQLITE_STRICT_WRITES": True,
                      "INSTANCE_PATH": str(tmp_path / "instance")})

    @app.get("/api/test/read-then-write")
    def read_then_write() -> str:
        token = db.session.execute(db.select(ApiToken)).scalars().first()
        token.name = "renamed"
        db.session.commit()
        return "written"

    people = make_personas(app)
    with app.app_context():
        request_rescan(people.enumerator_a.user_id, "a new assignment")
        db.session.commit()

    try:
        with LiveServer(app) as live:
            admin = HttpClient(live.port, people.admin.api.token)
            assert admin.request("GET", "/api/me").status == 200
            assert HttpClient(live.port, people.tablet_a.token).pull(0).status == 200
            assert admin.request("GET", "/api/test/read-then-write").status == 500
        with app.app_context():
            used = db.session.execute(db.select(ApiToken.last_used).where(
                ApiToken.name == "admin script")).scalar_one()
            assert used is not None
            assert db.session.get(DeviceRescan, people.tablet_a.id) is None
            db.session.rollback()
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
