"""Bad requests get a 4xx with the one error shape, and change nothing in the database."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from server_harness import Device, HttpClient, LiveServer, push_body, table_counts


def assert_error(reply: Any, status: int, code: str) -> dict[str, Any]:
    assert reply.status == status, reply.body
    assert reply.headers["content-type"].startswith("application/json")
    body = reply.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


@pytest.fixture
def client(live: LiveServer, form: tuple[str, str], tablet: Device) -> HttpClient:
    return HttpClient(live.port, tablet.token)


def _post(client: HttpClient, body: bytes, gzipped: bool = False,
          content_type: str = "application/json") -> Any:
    headers = {"Content-Type": content_type}
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    return client.request("POST", "/api/sync/push", body, headers)


def test_malformed_json(app: Flask, client: HttpClient) -> None:
    before = table_counts(app)
    assert_error(_post(client, b'{"device_id": "tab-amina", "ops": [}'), 400, "sync.body_invalid")
    assert table_counts(app) == before


def test_bad_gzip(app: Flask, client: HttpClient, tablet: Device) -> None:
    before = table_counts(app)
    assert_error(_post(client, b"\x1f\x8b\x08\x00 this is not deflate", gzipped=True), 400,
                 "sync.body_invalid")
    whole = gzip.compress(json.dumps(push_body(tablet, [tablet.op()])).encode())
    assert_error(_post(client, whole[:-12], gzipped=True), 400, "sync.body_invalid")
    assert table_counts(app) == before


def test_body_over_the_byte_limit(make_app: Any, tablet: Device) -> None:
    app = make_app(MAX_CONTENT_LENGTH=4096)
    from server_harness import enrol_device, publish_test_form

    publish_test_form(app)
    device = enrol_device(app, "tab-small", "small")
    with LiveServer(app) as server:
        client = HttpClient(server.port, device.token)
        before = table_counts(app)
        ops = [device.op(fields={"note": "x" * 500}) for _ in range(10)]
        raw = json.dumps(push_body(device, ops)).encode()
        error = assert_error(_post(client, raw), 413, "sync.batch_too_large")
        assert error["message"]
        # A small gzip that inflates past the limit is refused the same way.
        bomb = gzip.compress(json.dumps({"device_id": device.id,
                                         "ops": [], "pad": " " * 100_000}).encode())
        assert len(bomb) < 4096
        assert_error(_post(client, bomb, gzipped=True), 413, "sync.batch_too_large")
        assert table_counts(app) == before


def test_too_many_ops(make_app: Any) -> None:
    app = make_app(HESABU_MAX_OPS_PER_BATCH=3)
    from server_harness import enrol_device, publish_test_form

    publish_test_form(app)
    device = enrol_device(app, "tab-few", "few")
    response = app.test_client().post(
        "/api/sync/push", json=push_body(device, [device.op() for _ in range(4)]),
        headers=device.auth)
    assert response.status_code == 413
    assert response.json["error"]["code"] == "sync.batch_too_large"
    assert response.json["error"]["details"] == {"max_ops": 3}


def test_unknown_fields(app: Flask, client: HttpClient, tablet: Device) -> None:
    before = table_counts(app)
    body = {**push_body(tablet, [tablet.op()]), "priority": "high"}
    error = assert_error(client.post_json("/api/sync/push", body), 422, "request.invalid")
    assert error["details"]["fields"] == {"priority": ["Unknown field."]}
    assert table_counts(app) == before


@pytest.mark.parametrize("body", [
    {"device_id": 7, "ops": []},
    {"device_id": "tab-amina", "ops": {"not": "a list"}},
    {"device_id": "tab-amina"},
    ["not", "an", "object"],
])
def test_wrong_types(app: Flask, client: HttpClient, body: Any) -> None:
    before = table_counts(app)
    assert_error(client.post_json("/api/sync/push", body), 422, "request.invalid")
    assert table_counts(app) == before


def test_not_json_content_type(app: Flask, client: HttpClient) -> None:
    assert_error(_post(client, b"device_id=x", content_type="application/x-www-form-urlencoded"),
                 415, "request.unsupported_media_type")


def test_forged_device_id(app: Flask, client: HttpClient, tablet: Device,
                          other_tablet: Device) -> None:
    """Amina's token cannot push as Baraka's tablet."""
    before = table_counts(app)
    body = push_body(other_tablet, [other_tablet.op()])
    assert_error(client.post_json("/api/sync/push", body), 403, "auth.device_mismatch")
    assert table_counts(app) == before


def test_no_token_and_a_wrong_token(app: Flask, live: LiveServer, tablet: Device) -> None:
    before = table_counts(app)
    body = push_body(tablet, [tablet.op()])
    reply = HttpClient(live.port).post_json("/api/sync/push", body)
    assert_error(reply, 401, "auth.token_invalid")
    assert reply.headers["www-authenticate"].startswith("Bearer")
    assert_error(HttpClient(live.port, "forged").post_json("/api/sync/push", body), 401,
                 "auth.token_invalid")
    assert_error(HttpClient(live.port, "forged").pull(0), 401, "auth.token_invalid")
    assert table_counts(app) == before


def test_unknown_endpoint_and_wrong_method(live: LiveServer, tablet: Device) -> None:
    client = HttpClient(live.port, tablet.token)
    assert_error(client.request("GET", "/api/nothing-here"), 404, "request.not_found")
    reply = client.request("GET", "/api/sync/push")
    assert_error(reply, 405, "request.method_not_allowed")
    assert "POST" in reply.headers["allow"]


def test_an_unexpected_failure_is_a_500_with_the_shape(make_app: Any) -> None:
    app = make_app()

    @app.get("/api/boom")
    def boom() -> str:
        raise RuntimeError("a bug")

    app.logger.disabled = True
    import logging

    logging.getLogger("server.errors").disabled = True
    try:
        response = app.test_client().get("/api/boom")
    finally:
        logging.getLogger("server.errors").disabled = False
    assert response.status_code == 500
    assert response.json["error"]["code"] == "server.internal"
    assert "a bug" not in response.get_data(as_text=True)


def test_bad_pull_limit(client: HttpClient) -> None:
    assert_error(client.request("GET", "/api/sync/pull?cursor=0&limit=zero"), 422,
                 "request.invalid")
    assert_error(client.request("GET", "/api/sync/pull?cursor=0&since=3"), 422,
                 "request.invalid")


def test_an_unreachable_database_is_a_503_to_retry_later(tmp_path: Path) -> None:
    """The tablet keeps its outbox and tries again; nothing is half-applied."""
    import logging

    from server.app import create_app
    from server.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/x",
                      "HESABU_AUTO_UPGRADE": False, "INSTANCE_PATH": str(tmp_path)})
    logging.getLogger("server.errors").disabled = True
    try:
        response = app.test_client().get("/api/sync/pull?cursor=0",
                                         headers={"Authorization": "Bearer abc"})
    finally:
        logging.getLogger("server.errors").disabled = False
        with app.app_context():
            db.engine.dispose()
    assert response.status_code == 503
    assert response.json["error"]["code"] == "server.unavailable"
    assert response.headers["Retry-After"] == "5"


def test_text_with_an_unpaired_surrogate_is_refused_per_op(
        app: Flask, client: HttpClient, tablet: Device) -> None:
    """JSON's "\\ud800" escape decodes to text no database can store: that op is refused
    (sync.op_invalid, not a 500) and the rest of the batch applies."""
    good = tablet.op(fields={"name": "João"})
    bad_nested = tablet.op(fields={"name": "placeholder-2"})  # a new record: nested answers
    bad_flat = tablet.op(good.record_id, {"name": "placeholder-1"},  # an edit: flat fields
                         {"name": [good.op_id]})
    assert "fields" in bad_flat.to_wire() and "answers" in bad_nested.to_wire()
    body = json.dumps(push_body(tablet, [good, bad_flat, bad_nested]))
    # Put the escapes in as they arrive on the wire (json.dumps would keep them escaped).
    body = body.replace("placeholder-1", "a\\ud800b").replace("placeholder-2", "\\udfff")
    reply = _post(client, body.encode())
    assert reply.status == 200, reply.body
    answer = reply.json()
    assert answer["acked"] == [good.op_id]
    assert {r["op_id"]: r["code"] for r in answer["rejected"]} == {
        bad_flat.op_id: "sync.op_invalid", bad_nested.op_id: "sync.op_invalid"}
    assert "Unicode" in answer["rejected"][0]["message"]
