"""Input that used to be a 500 is a clear 4xx with the one error shape, stores nothing,
and leaves the server answering: numbers past 64 bits, JSON nested past Python's
recursion limit, lone surrogates and NUL characters in text, Unicode digits in headers.
Against a real server on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from marshmallow import Schema, fields
from personas import People
from server_harness import (
    HttpClient,
    LiveServer,
    enrol_device,
    publish_test_form,
    table_counts,
)
from server_harness import push_ok as push
from test_bad_input import assert_error

from server.api.openapi import ENDPOINT_DOCS
from server.schemas.values import JsonObject, JsonValue
from server.services.devices import create_enrolment_code

HUGE = "99999999999999999999"
SURROGATE = "\\ud800"  # as it arrives on the wire: a JSON escape
MARK = "§"  # where a test puts the escape (in no id, code or token)


@pytest.fixture
def server(app: Flask, people: People) -> Iterator[LiveServer]:
    with LiveServer(app) as live:
        yield live


@pytest.fixture
def admin(server: LiveServer, people: People) -> HttpClient:
    return HttpClient(server.port, people.admin.api.token)


def raw_json(client: HttpClient, method: str, path: str, text: str) -> Any:
    """Send `text` as the JSON body exactly as written (escapes and all)."""
    return client.request(method, path, text.encode(), {"Content-Type": "application/json"})


def with_escape(value: dict[str, Any], escape: str) -> str:
    """`value` as JSON text with MARK replaced by a raw JSON escape."""
    return json.dumps(value, ensure_ascii=False).replace(MARK, escape)


def a_record_and_a_conflict(app: Flask, people: People) -> tuple[str, int]:
    """A household record with an open conflict on `name` (two tablets, same parents)."""
    publish_test_form(app)
    tablet, other = people.tablet_a, enrol_device(app, "tab-other", "Other tablet")
    first = tablet.op(fields={"name": "Amina"})
    push(app, tablet, [first])
    heads = {"name": [first.op_id], "__deleted__": [first.op_id]}
    push(app, tablet, [tablet.op(first.record_id, {"name": "Amina W."}, heads)])
    push(app, other, [other.op(first.record_id, {"name": "Amina Wanjiru"}, heads)])
    conflicts = people.admin.api.get("/api/conflicts").json["conflicts"]
    assert len(conflicts) == 1
    return first.record_id, conflicts[0]["id"]


def test_every_integer_query_parameter_refuses_numbers_past_64_bits(
        app: Flask, admin: HttpClient, server: LiveServer, people: People) -> None:
    spec = admin.request("GET", "/api/openapi.json").json()
    device = HttpClient(server.port, people.tablet_a.token)
    checked = []
    before = table_counts(app)
    for path, methods in spec["paths"].items():
        if "{" in path:
            continue
        for method, op in methods.items():
            for param in op["parameters"]:
                if param["in"] != "query" or param["schema"].get("type") != "integer":
                    continue
                caller = device if op["security"] == [{"deviceToken": []}] else admin
                for bad in (HUGE, "-" + HUGE, quote("²")):
                    reply = caller.request(method.upper(), f"{path}?{param['name']}={bad}")
                    assert reply.status in (400, 422), (path, param["name"], bad, reply.body)
                    assert_error(reply, reply.status, reply.json()["error"]["code"])
                checked.append(f"{path}?{param['name']}")
    assert {"/api/records?offset", "/api/records?limit", "/api/audit?before_id",
            "/api/sync/pull?cursor", "/api/sync/pull?limit"} <= set(checked)
    assert table_counts(app) == before
    assert admin.request("GET", "/api/me").status == 200


def test_integers_in_paths_and_web_pages_past_64_bits(
        admin: HttpClient, people: People) -> None:
    assert_error(raw_json(admin, "POST", f"/api/conflicts/{HUGE}/resolve", '{"value": 1}'),
                 404, "request.not_found")
    leader = people.leader_a.client
    assert leader.post(f"/conflicts/{HUGE}/resolve", data={"choice": "0"}).status_code == 404
    assert leader.get(f"/audit?before={HUGE}").status_code == 200
    assert leader.get(f"/records/?page={HUGE}").status_code == 200


def test_json_nested_past_the_recursion_limit_is_400_body_invalid(
        app: Flask, admin: HttpClient, server: LiveServer, people: People) -> None:
    spec = admin.request("GET", "/api/openapi.json").json()
    ids = {"user_id": people.enumerator_a.user_id, "record_id": "no-such-record",
           "conflict_id": "1"}
    device = HttpClient(server.port, people.tablet_a.token)
    before = table_counts(app)
    seen = 0
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            if "application/json" not in op.get("requestBody", {}).get("content", {}):
                continue
            caller = device if op["security"] == [{"deviceToken": []}] else admin
            reply = caller.request(method.upper(), path.format(**ids), b"[" * 100_000,
                                   {"Content-Type": "application/json"})
            # A view that looks its object up first may answer 404 before reading the body.
            if reply.status != 404:
                assert_error(reply, 400, "sync.body_invalid")
                seen += 1
    assert seen >= 8
    assert table_counts(app) == before


def test_lone_surrogates_and_nul_in_text_fields_are_422_and_store_nothing(
        app: Flask, admin: HttpClient, people: People) -> None:
    record_id, conflict_id = a_record_and_a_conflict(app, people)
    user = people.enumerator_a.user_id
    cases = [
        ("POST", "/api/tokens", {"name": MARK}, "name"),
        ("POST", "/api/federations", {"name": f"Fed {MARK}"}, "name"),
        ("POST", "/api/settlements", {"name": f"Place {MARK}", "federation_id":
                                      people.federation_a}, "name"),
        ("POST", "/api/users", {"username": "newbie", "password": f"long enough {MARK}",
                                "role": "enumerator", "federation_id": people.federation_a},
         "password"),
        ("PATCH", f"/api/users/{user}", {"display_name": f"Baraka {MARK}"}, "display_name"),
        ("PATCH", f"/api/users/{user}", {"password": f"long enough {MARK}"}, "password"),
        ("POST", f"/api/records/{record_id}/review", {"state": "has_issues",
                                                      "comment": f"see {MARK}"}, "comment"),
        ("PATCH", f"/api/records/{record_id}", {"fields": {"name": MARK}}, "fields"),
        ("PATCH", f"/api/records/{record_id}", {"fields": {MARK: "a"}}, "fields"),
        ("POST", f"/api/conflicts/{conflict_id}/resolve", {"value": [MARK]}, "value"),
    ]
    before = table_counts(app)
    for method, path, body, field in cases:
        for escape in (SURROGATE, "\\udfff", "\\u0000"):
            reply = raw_json(admin, method, path, with_escape(body, escape))
            error = assert_error(reply, 422, "request.invalid")
            assert field in error["details"]["fields"], (path, escape, error)
    assert table_counts(app) == before
    # The server still works, and the record is reviewable with good text.
    assert admin.post_json(f"/api/records/{record_id}/review", {
        "state": "approved", "comment": "ok"}, gzipped=False).status == 201


def test_a_bad_enrolment_name_does_not_use_up_the_code(
        app: Flask, server: LiveServer) -> None:
    with app.app_context():
        code, _ = create_enrolment_code(1)
    client = HttpClient(server.port)
    body = {"code": code, "device_id": "tab-new", "name": f"Tablet {MARK}"}
    for escape in (SURROGATE, "\\u0000"):
        reply = raw_json(client, "POST", "/api/devices/enrol", with_escape(body, escape))
        error = assert_error(reply, 422, "request.invalid")
        assert set(error["details"]["fields"]) == {"name"}, error
    good = client.post_json("/api/devices/enrol", {**body, "name": "Tablet 7"}, gzipped=False)
    assert good.status == 201, good.body


def test_nul_in_an_address_or_a_form_field_is_400(
        app: Flask, admin: HttpClient, server: LiveServer) -> None:
    """PostgreSQL refuses NUL in text: a query with it was a 500 there."""
    before = table_counts(app)
    assert_error(admin.request("GET", "/api/users/ab%00cd"), 400, "request.bad")
    assert_error(admin.request("GET", "/api/settlements?city=%00"), 400, "request.bad")
    assert_error(admin.request("GET", "/api/records?q=a%00"), 400, "request.bad")
    page = HttpClient(server.port).request(
        "POST", "/login", b"username=a%00b&password=x",
        {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"})
    assert page.status == 400 and page.headers["content-type"].startswith("text/html")
    assert table_counts(app) == before


def test_unicode_digits_in_upload_headers_are_400(server: LiveServer, people: People) -> None:
    device = HttpClient(server.port, people.tablet_a.token)
    sha = "ab" * 32
    for headers in ({"Upload-Offset": "²", "Upload-Length": "5"},
                    {"Upload-Offset": "0", "Upload-Length": "¹²"},
                    {"Upload-Offset": "0", "Upload-Length": "9" * 5000}):
        reply = device.request("PATCH", f"/api/attachments/{sha}", b"hello",
                               {**headers, "Chunk-SHA256": "00" * 32})
        assert_error(reply, 400, "request.bad")


def _loading_schemas() -> Iterator[tuple[str, Schema]]:
    from server.app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "HESABU_AUTO_UPGRADE": False})
    for endpoint, view in app.view_functions.items():
        extra = {**ENDPOINT_DOCS.get(endpoint, {}), **(getattr(view, "hesabu_openapi", {}))}
        for key in ("body", "query"):
            schema = extra.get(key)
            if isinstance(schema, type) and issubclass(schema, Schema):
                yield f"{endpoint} {key}", schema()


def _plain_fields(field: fields.Field) -> Iterator[fields.Field]:
    from server.schemas.values import Int, Text

    if field.dump_only:
        return
    if isinstance(field, fields.List):
        yield from _plain_fields(field.inner)
    elif isinstance(field, JsonObject | JsonValue | Int | Text):
        return
    elif isinstance(field, fields.String | fields.Integer | fields.Raw | fields.Dict):
        yield field


def test_every_body_and_query_schema_uses_the_storable_fields() -> None:
    """A new schema field of plain String/Integer/Raw/Dict would let the 500s back in.
    The push's ops are the exception: each op is checked on its own by the protocol
    (sync.admission), so one bad op is refused and the others apply."""
    plain = []
    for where, schema in _loading_schemas():
        for name, field in schema.fields.items():
            if where == "sync.push body" and name == "ops":
                continue
            plain += [f"{where}: {name}" for _ in _plain_fields(field)]
    assert plain == []
