"""Logging in and out, throttling, CSRF, sessions, API tokens and the create-user command."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask, jsonify
from personas import PASSWORD, CsrfClient, People, browser
from sqlalchemy import select, update

from hesabu.cli import main
from server.auth import Role, api_roles_required, current_user
from server.extensions import db
from server.models import AuditEvent, User
from server.services.accounts import (
    LOCK_MINUTES,
    MAX_FAILED_LOGINS,
    MAX_FAILURES_PER_ADDRESS,
    AccountError,
    create_api_token,
    create_user,
    set_password,
)


@pytest.fixture
def app(make_app: Any) -> Flask:
    app = make_app()

    # A JSON endpoint for leaders, to test API tokens before the accounts API exists.
    @api_roles_required(Role.LEADER)
    def whoami() -> Any:
        user = current_user()
        assert user is not None
        return jsonify({"username": user.username})

    app.add_url_rule("/api/test/whoami", "test_whoami", whoami)
    return app


def audit_log(app: Flask) -> list[tuple[str, str, dict[str, Any]]]:
    with app.app_context():
        rows = db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
        found = [(e.action, e.username, e.details) for e in rows]
        db.session.rollback()
    return found


def log_in(client: CsrfClient, username: str, password: str = PASSWORD,
           next_url: str | None = None) -> Any:
    data = {"username": username, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/login", data=data)


def test_a_leader_logs_in_sees_their_name_and_logs_out(app: Flask, people: People) -> None:
    client = people.anonymous
    assert client.get("/").status_code == 302
    assert client.get("/").location.startswith("/login?next=/")
    page = client.get("/login")
    assert page.status_code == 200 and b'name="csrf_token"' in page.data

    answer = log_in(client, "Leader_A ")  # usernames ignore case and spaces
    assert answer.status_code == 302 and answer.location == "/"
    home = client.get("/")
    assert home.status_code == 200 and b"Leader A" in home.data and b"leader" in home.data

    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302
    actions = [(a, u) for a, u, _ in audit_log(app)]
    assert ("login", "leader_a") in actions and ("logout", "leader_a") in actions


def test_login_goes_back_to_the_page_asked_for_but_never_to_another_site(
        people: People) -> None:
    assert log_in(people.anonymous, "leader_a", next_url="/?tab=2").location == "/?tab=2"
    for evil in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)",
                 "/\\evil.example/x"):
        fresh = browser(people.anonymous.application)
        assert log_in(fresh, "leader_a", next_url=evil).location == "/"


def test_a_wrong_password_is_refused_and_logged_and_repeated_failures_lock(
        app: Flask, people: People) -> None:
    client = people.anonymous
    answer = log_in(client, "leader_a", "wrong password!")
    assert answer.status_code == 401 and b"Wrong username or password" in answer.data
    assert client.get("/").status_code == 302
    for _ in range(MAX_FAILED_LOGINS - 1):
        assert log_in(client, "leader_a", "wrong password!").status_code == 401
    # Locked: now even the right password is refused, with the same message.
    locked = log_in(client, "leader_a")
    assert locked.status_code == 401 and b"Wrong username or password" in locked.data
    failures = [d["reason"] for a, u, d in audit_log(app) if a == "login.failed"]
    assert failures[0] == "wrong password"
    assert failures[-2] == f"wrong password; locked for {LOCK_MINUTES} minutes"
    assert failures[-1] == "locked after repeated failures"
    # When the lock has run out the right password works again.
    with app.app_context():
        db.session.execute(update(User).where(User.username == "leader_a")
                           .values(locked_until=None))
        db.session.commit()
    assert log_in(client, "leader_a").location == "/"


def test_an_address_guessing_across_many_accounts_is_refused_for_a_while(
        app: Flask, people: People) -> None:
    for n in range(MAX_FAILURES_PER_ADDRESS):
        assert log_in(people.anonymous, f"guess{n}", "wrong password!").status_code == 401
    refused = log_in(people.anonymous, "leader_a")  # even a right password
    assert refused.status_code == 429 and b"Too many failed logins" in refused.data
    other = browser(app)
    other.environ_base["REMOTE_ADDR"] = "10.0.0.7"  # another address is not affected
    assert log_in(other, "leader_a").location == "/"


def test_unknown_users_are_refused_like_wrong_passwords(app: Flask, people: People) -> None:
    answer = log_in(people.anonymous, "nobody")
    assert answer.status_code == 401 and b"Wrong username or password" in answer.data
    assert ("login.failed", "", {"reason": "unknown user"}) in audit_log(app)


def test_a_deactivated_user_cannot_log_in_and_their_session_ends(
        app: Flask, people: People) -> None:
    assert people.leader_b.client.get("/").status_code == 200
    with app.app_context():
        db.session.execute(update(User).where(User.username == "leader_b").values(active=False))
        db.session.commit()
    assert people.leader_b.client.get("/").status_code == 302
    assert log_in(people.anonymous, "leader_b").status_code == 401
    assert people.leader_b.api.get("/api/test/whoami").status_code == 401


def test_a_new_password_ends_the_old_sessions(app: Flask, people: People) -> None:
    with app.app_context():
        set_password(people.leader_a.user_id, "a brand new password")
    assert people.leader_a.client.get("/").status_code == 302
    assert log_in(people.anonymous, "leader_a", "a brand new password").location == "/"


def test_posts_without_the_csrf_token_are_refused(people: People) -> None:
    leader = people.leader_a.client
    refused = leader.post("/logout", csrf=False)
    assert refused.status_code == 400 and b"Form expired" in refused.data
    assert leader.get("/").status_code == 200  # still logged in
    bad = leader.post("/logout", headers={"X-CSRF-Token": "forged"})
    assert bad.status_code == 400
    fresh = browser(people.anonymous.application)
    assert fresh.post("/login", data={"username": "leader_a", "password": PASSWORD},
                      csrf=False).status_code == 400


def test_api_tokens_authenticate_scripts_by_role(app: Flask, people: People) -> None:
    answer = people.leader_a.api.get("/api/test/whoami")
    assert answer.status_code == 200 and answer.json == {"username": "leader_a"}
    forbidden = people.official_a.api.get("/api/test/whoami")
    assert forbidden.status_code == 403 and forbidden.json["error"]["code"] == "auth.forbidden"
    client = app.test_client(use_cookies=False)
    for headers in ({}, {"Authorization": "Bearer hsb_not-a-token"},
                    {"Authorization": "Basic abc"}, people.tablet_a.auth):
        refused = client.get("/api/test/whoami", headers=headers)
        assert refused.status_code == 401, headers
        assert refused.json["error"]["code"] == "auth.login_required"
    # The browser session works on the API too.
    assert people.leader_a.client.get("/api/test/whoami").json == {"username": "leader_a"}


def test_tokens_are_stored_hashed_and_start_with_a_recognisable_prefix(
        app: Flask, people: People) -> None:
    with app.app_context():
        info, raw = create_api_token(people.leader_a.user_id, "nightly export")
        assert raw.startswith("hsb_") and len(raw) > 40
        from server.models import ApiToken

        stored = db.session.get(ApiToken, info.id)
        assert stored is not None and raw not in stored.token_hash
        db.session.rollback()


def test_passwords_need_ten_characters_and_roles_need_a_federation(
        app: Flask, people: People) -> None:
    with app.app_context():
        with pytest.raises(AccountError, match="at least 10"):
            create_user("short", "123456789", Role.ADMIN)
        with pytest.raises(AccountError, match="must belong to a federation"):
            create_user("floating", "long enough password", Role.LEADER)
        with pytest.raises(AccountError, match="taken"):
            create_user("Leader_A", "long enough password", Role.LEADER, people.federation_a)
        with pytest.raises(AccountError, match="unknown role"):
            create_user("chief", "long enough password", "chief")


def test_create_user_command_makes_the_first_admin_who_can_log_in(
        app: Flask, db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    common = ["--database-url", db_url, "--instance", str(tmp_path / "cli")]
    result = runner.invoke(main, ["server", "create-user", "amina", "--role", "admin",
                                  "--name", "Amina Njeri", *common],
                           input="a long admin password\na long admin password\n")
    assert result.exit_code == 0, result.output
    assert "admin amina created" in result.output
    fed = runner.invoke(main, ["server", "create-federation", "Muungano", "--country",
                               "Kenya", *common])
    assert fed.exit_code == 0, fed.output
    leader = runner.invoke(main, ["server", "create-user", "joseph", "--role", "leader",
                                  "--federation", "Muungano", *common],
                           env={"HESABU_PASSWORD": "another long one"})
    assert leader.exit_code == 0, leader.output
    short = runner.invoke(main, ["server", "create-user", "x", "--role", "admin", *common],
                          env={"HESABU_PASSWORD": "short"})
    assert short.exit_code != 0 and "at least 10" in short.output
    nofed = runner.invoke(main, ["server", "create-user", "y", "--role", "leader",
                                 "--federation", "Atlantis", *common],
                          env={"HESABU_PASSWORD": "long enough password"})
    assert nofed.exit_code != 0 and "no federation 'Atlantis'" in nofed.output

    client = browser(app)
    assert log_in(client, "amina", "a long admin password").location == "/"
    assert b"Amina Njeri" in client.get("/").data


def test_the_secret_key_is_made_once_and_kept_in_the_instance_folder(
        make_app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HESABU_SECRET_KEY", raising=False)
    first, second = make_app(), make_app()
    key_file = tmp_path / "instance" / "secret_key"
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == \
        key_file.read_text().strip()
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert make_app(SECRET_KEY="given").config["SECRET_KEY"] == "given"


def test_session_cookies_are_httponly_samesite_and_secure_when_asked(
        make_app: Any, people: People) -> None:
    answer = people.anonymous.get("/login")
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("hesabu_session=") and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = make_app(HESABU_SECURE_COOKIES=True).test_client().get("/login")
    assert "Secure" in secure.headers["Set-Cookie"]
    assert "script-src 'self'" in answer.headers["Content-Security-Policy"]


def test_behind_a_proxy_the_client_address_is_logged(make_app: Any, people: People) -> None:
    proxied = make_app(HESABU_PROXIES=1)
    client = browser(proxied)
    client.post("/login", data={"username": "leader_a", "password": "wrong password!"},
                headers={"X-Forwarded-For": "203.0.113.9"})
    with proxied.app_context():
        event = db.session.execute(select(AuditEvent).where(
            AuditEvent.action == "login.failed")).scalar_one()
        assert event.ip == "203.0.113.9"
        db.session.rollback()


def test_people_change_their_own_password_and_other_sessions_end(
        app: Flask, people: People) -> None:
    me = people.enumerator_a.client
    other_session = browser(app)
    assert log_in(other_session, "enumerator_a").location == "/"
    wrong = me.post("/account/password", data={"current_password": "nope nope nope",
                                               "new_password": "a new long password",
                                               "confirm_password": "a new long password"})
    assert wrong.status_code == 422 and b"current password is wrong" in wrong.data
    short = me.post("/account/password", data={"current_password": PASSWORD,
                                               "new_password": "short",
                                               "confirm_password": "short"})
    assert short.status_code == 422 and b"at least 10" in short.data
    done = me.post("/account/password", data={"current_password": PASSWORD,
                                              "new_password": "a new long password",
                                              "confirm_password": "a new long password"})
    assert done.status_code == 302
    assert me.get("/").status_code == 200              # this session goes on
    assert other_session.get("/").status_code == 302   # the other one ended
    assert log_in(browser(app), "enumerator_a", "a new long password").location == "/"
    assert ("user.password_change", "enumerator_a") in [(a, u) for a, u, _ in audit_log(app)]
