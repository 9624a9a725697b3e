"""Enrolling tablets with one-time codes; bearer tokens; revocation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from click.testing import CliRunner
from flask import Flask
from server_harness import HttpClient, LiveServer, push_body
from sqlalchemy import select, update

from hesabu.cli import main
from server.extensions import db
from server.models import Device, EnrolmentCode
from server.models.types import utcnow
from server.services.devices import create_enrolment_code, revoke_device


def new_code(app: Flask, hours: float = 1) -> str:
    with app.app_context():
        return create_enrolment_code(hours)[0]


def enrol(app: Flask, code: str, device_id: str = "tab-07", name: str = "Tablet 7") -> Any:
    return app.test_client().post("/api/devices/enrol",
                                  json={"code": code, "device_id": device_id, "name": name})


def test_a_code_enrols_one_device_once(app: Flask) -> None:
    code = new_code(app)
    first = enrol(app, code)
    assert first.status_code == 201
    assert first.json["device_id"] == "tab-07" and len(first.json["token"]) >= 40
    again = enrol(app, code, "tab-08")
    assert again.status_code == 401
    assert again.json["error"]["code"] == "auth.enrolment_code_invalid"


def test_codes_are_read_without_case_or_dashes(app: Flask) -> None:
    code = new_code(app)
    assert enrol(app, code.lower().replace("-", " ")).status_code == 201


def test_an_expired_or_wrong_code_is_refused(app: Flask) -> None:
    code = new_code(app)
    with app.app_context():
        db.session.execute(update(EnrolmentCode).values(expires_at=utcnow() - timedelta(1)))
        db.session.commit()
    assert enrol(app, code).json["error"]["code"] == "auth.enrolment_code_invalid"
    assert enrol(app, "AAAA-BBBB-CCCC").status_code == 401


def test_only_hashes_of_codes_and_tokens_are_stored(app: Flask) -> None:
    code = new_code(app)
    token = enrol(app, code).json["token"]
    with app.app_context():
        device = db.session.execute(select(Device)).scalar_one()
        stored = db.session.execute(select(EnrolmentCode.code_hash)).scalar_one()
        assert token not in device.token_hash
        assert code.replace("-", "") not in stored


def test_a_bad_enrolment_body_is_a_422(app: Flask) -> None:
    response = app.test_client().post("/api/devices/enrol", json={
        "code": "x", "device_id": "has spaces/and slashes", "name": "t"})
    assert response.status_code == 422
    assert "device_id" in response.json["error"]["details"]["fields"]


def test_re_enrolling_replaces_the_old_token(app: Flask, live: LiveServer) -> None:
    old = enrol(app, new_code(app)).json["token"]
    new = enrol(app, new_code(app)).json["token"]
    assert HttpClient(live.port, old).pull(0).status == 401
    assert HttpClient(live.port, new).pull(0).status == 200


def test_a_revoked_device_is_refused_and_cannot_re_enrol(app: Flask, live: LiveServer) -> None:
    token = enrol(app, new_code(app)).json["token"]
    with app.app_context():
        assert revoke_device("tab-07") is True
        assert revoke_device("no-such-device") is False
    client = HttpClient(live.port, token)
    reply = client.post_json("/api/sync/push", {"device_id": "tab-07", "ops": []})
    assert reply.status == 403 and reply.json()["error"]["code"] == "auth.device_revoked"
    assert client.pull(0).json()["error"]["code"] == "auth.device_revoked"
    again = enrol(app, new_code(app))
    assert again.status_code == 403 and again.json["error"]["code"] == "auth.device_revoked"


def test_the_enrol_code_command_prints_a_working_code(app: Flask, db_url: str,
                                                      tmp_path: Any) -> None:
    result = CliRunner().invoke(main, ["server", "enrol-code", "--ttl-hours", "2",
                                       "--database-url", db_url,
                                       "--instance", str(tmp_path / "instance")])
    assert result.exit_code == 0, result.output
    code = result.output.strip().splitlines()[0]
    assert enrol(app, code).status_code == 201
    listed = CliRunner().invoke(main, ["server", "devices", "--database-url", db_url])
    assert "tab-07\tTablet 7" in listed.output and "active" in listed.output
    revoked = CliRunner().invoke(main, ["server", "revoke", "tab-07", "--database-url", db_url])
    assert revoked.exit_code == 0
    missing = CliRunner().invoke(main, ["server", "revoke", "nope", "--database-url", db_url])
    assert missing.exit_code == 1 and "no device" in missing.output


def test_an_empty_push_of_an_enrolled_device_is_fine(app: Flask) -> None:
    token = enrol(app, new_code(app)).json["token"]
    from server_harness import Device

    device = Device("tab-07", token)
    response = app.test_client().post("/api/sync/push", json=push_body(device, []),
                                      headers=device.auth)
    assert response.status_code == 200
    assert response.json["acked"] == [] and response.json["server_seq"] == 0


def test_wrong_codes_from_one_address_are_rate_limited(make_app: Any) -> None:
    """After HESABU_ENROL_MAX_FAILURES wrong codes an address waits (429, Retry-After),
    even with a right code; other addresses are not affected; the wait ends."""
    from server.services.devices import GuessLimiter

    app = make_app(HESABU_ENROL_MAX_FAILURES=3, HESABU_ENROL_WINDOW_S=600)
    now = [1000.0]
    app.extensions["hesabu_enrol_limiter"] = GuessLimiter(3, 600, clock=lambda: now[0])
    client = app.test_client()

    def enrol_from(address: str, code: str, device_id: str = "tab-07") -> Any:
        return client.post("/api/devices/enrol", environ_base={"REMOTE_ADDR": address},
                           json={"code": code, "device_id": device_id, "name": "Tablet"})

    for guess in ("AAAA-BBBB-CCCC", "AAAA-BBBB-CCCD", "AAAA-BBBB-CCCE"):
        assert enrol_from("10.0.0.9", guess).status_code == 401
    good = new_code(app)
    limited = enrol_from("10.0.0.9", good)
    assert limited.status_code == 429
    assert limited.json["error"]["code"] == "auth.enrolment_rate_limited"
    assert int(limited.headers["Retry-After"]) == limited.json["error"]["details"][
        "retry_after_s"] > 0
    assert enrol_from("10.0.0.10", new_code(app), "tab-08").status_code == 201
    now[0] += 601
    assert enrol_from("10.0.0.9", good).status_code == 201  # the code was not spent


def test_the_same_device_id_enrolling_from_many_threads_at_once_is_clean(
        app: Flask, live: LiveServer) -> None:
    """Tablets restored from one backup enrol at the same moment (real threads, a real
    server, SQLite and PostgreSQL): no 500, one device row, and exactly one of the
    tokens works, as if the enrolments had come one after the other."""
    import threading

    codes = [new_code(app) for _ in range(6)]
    barrier = threading.Barrier(len(codes))
    replies: list[Any] = [None] * len(codes)

    def enrol_now(i: int) -> None:
        barrier.wait()
        replies[i] = HttpClient(live.port, None).post_json("/api/devices/enrol", {
            "code": codes[i], "device_id": "tab-cloned", "name": f"Tablet {i}"})

    threads = [threading.Thread(target=enrol_now, args=(i,)) for i in range(len(codes))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status for r in replies] == [201] * len(codes), [r.json() for r in replies]
    with app.app_context():
        assert db.session.execute(select(Device.id)).scalars().all() == ["tab-cloned"]
        db.session.rollback()
    working = [r for r in replies
               if HttpClient(live.port, r.json()["token"]).pull(0).status == 200]
    assert len(working) == 1


def _enrol_from(app: Flask, address: str, code: str, device_id: str = "tab-07") -> Any:
    return app.test_client().post("/api/devices/enrol", environ_base={"REMOTE_ADDR": address},
                                  json={"code": code, "device_id": device_id, "name": "Tablet"})


def test_two_workers_share_the_count_and_a_restart_keeps_it(make_app: Any) -> None:
    """Two apps on one database (two gunicorn workers) count wrong codes together: the
    limit is reached after HESABU_ENROL_MAX_FAILURES failures spread over both, and an
    app started afterwards (a restart) still refuses the address."""
    config = {"HESABU_ENROL_MAX_FAILURES": 4, "HESABU_ENROL_WINDOW_S": 600}
    worker_a, worker_b = make_app(**config), make_app(**config)
    for i, worker in enumerate((worker_a, worker_b, worker_a, worker_b)):
        assert _enrol_from(worker, "10.0.0.9", f"AAAA-BBBB-CCC{i + 2}").status_code == 401
    good = new_code(worker_a)
    for worker in (worker_a, worker_b, make_app(**config)):
        limited = _enrol_from(worker, "10.0.0.9", good)
        assert limited.status_code == 429, limited.json
        assert 590 <= int(limited.headers["Retry-After"]) <= 601
    assert _enrol_from(worker_b, "10.0.0.10", new_code(worker_b), "tab-08").status_code == 201


def test_failures_at_the_same_moment_on_two_workers_all_count(make_app: Any) -> None:
    """Wrong codes sent at once through two real servers (two apps, real threads, SQLite
    and PostgreSQL) are all counted: none is lost to a race, so the next try is a 429."""
    import threading

    from server.models import EnrolmentFailure

    per_worker = 4
    config = {"HESABU_ENROL_MAX_FAILURES": 2 * per_worker, "HESABU_ENROL_WINDOW_S": 600}
    workers = [make_app(**config), make_app(**config)]
    servers = [LiveServer(worker) for worker in workers]
    try:
        barrier = threading.Barrier(2 * per_worker)
        replies: list[Any] = [None] * (2 * per_worker)

        def guess(i: int) -> None:
            barrier.wait()
            replies[i] = HttpClient(servers[i % 2].port).post_json("/api/devices/enrol", {
                "code": f"WRONG-CODE-{i:04d}", "device_id": f"tab-{i}", "name": "T"})

        threads = [threading.Thread(target=guess, args=(i,)) for i in range(len(replies))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [r.status for r in replies] == [401] * len(replies), [r.body for r in replies]
        with workers[0].app_context():
            clients = db.session.execute(select(EnrolmentFailure.client)).scalars().all()
            db.session.rollback()
        assert clients == ["127.0.0.1"] * len(replies)
        good = new_code(workers[0])
        for server in servers:
            again = HttpClient(server.port).post_json("/api/devices/enrol", {
                "code": good, "device_id": "tab-late", "name": "T"})
            assert again.status == 429
            assert again.json()["error"]["code"] == "auth.enrolment_rate_limited"
    finally:
        for server in servers:
            server.close()


def test_old_failures_are_pruned_and_a_success_erases_no_count(make_app: Any) -> None:
    """A new failure deletes every address's failures that left the window; a right code
    from one address leaves the counts of the others (and its own) as they were."""
    from server.models import EnrolmentFailure
    from server.services.devices import GuessLimiter

    app = make_app()
    now = [1_800_000_000.0]
    limiter = app.extensions["hesabu_enrol_limiter"] = GuessLimiter(
        2, 600, clock=lambda: now[0])

    def rows() -> list[tuple[str, float]]:
        with app.app_context():
            found = db.session.execute(
                select(EnrolmentFailure.client, EnrolmentFailure.failed_at)
                .order_by(EnrolmentFailure.id)).all()
            db.session.rollback()
        return [(client, at.timestamp() - 1_800_000_000) for client, at in found]

    assert _enrol_from(app, "10.0.0.1", "AAAA-AAAA-AAAA").status_code == 401
    now[0] += 300
    assert _enrol_from(app, "10.0.0.2", "AAAA-AAAA-AAAB").status_code == 401
    assert _enrol_from(app, "10.0.0.3", "AAAA-AAAA-AAAC").status_code == 401
    assert rows() == [("10.0.0.1", 0), ("10.0.0.2", 300), ("10.0.0.3", 300)]
    assert _enrol_from(app, "10.0.0.3", new_code(app)).status_code == 201
    assert rows() == [("10.0.0.1", 0), ("10.0.0.2", 300), ("10.0.0.3", 300)]
    now[0] += 301  # 10.0.0.1's failure is 601 s old
    assert _enrol_from(app, "10.0.0.2", "AAAA-AAAA-AAAD").status_code == 401
    assert rows() == [("10.0.0.2", 300), ("10.0.0.3", 300), ("10.0.0.2", 601)]
    limited = _enrol_from(app, "10.0.0.2", new_code(app), "tab-09")
    assert limited.status_code == 429
    # Free again when the older of its two failures (at 300) leaves the window.
    assert int(limited.headers["Retry-After"]) == 300
    with app.app_context():
        limiter.check("10.0.0.3")  # one failure of two: not limited
        limiter.check("10.0.0.1")  # its failure was pruned


def test_a_bad_limit_setting_is_a_clear_error() -> None:
    import pytest

    from server.services.devices import GuessLimiter

    for bad in ((0, 600), (10, 0), ("ten", 600), (10, None)):
        with pytest.raises(ValueError, match="HESABU_ENROL_MAX_FAILURES"):
            GuessLimiter(*bad)  # type: ignore[arg-type]
