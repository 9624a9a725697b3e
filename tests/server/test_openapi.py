"""Every /api endpoint is documented in the OpenAPI spec served at /api/openapi.json,
and /api/docs shows it without any external resource."""

from __future__ import annotations

import re

from flask import Flask

from server.api.openapi import build_spec


def api_rules(app: Flask) -> list[tuple[str, str, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                out.append((path, method.lower(), rule.endpoint))
    return out


def test_every_api_endpoint_is_in_the_spec_with_a_summary_and_answers(app: Flask) -> None:
    spec = app.test_client().get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    rules = api_rules(app)
    assert len(rules) >= 8
    undocumented = []
    for path, method, endpoint in rules:
        op = spec["paths"].get(path, {}).get(method)
        if op is None or not op["summary"] or not op["responses"]:
            undocumented.append(f"{method.upper()} {path} ({endpoint})")
    assert undocumented == [], "add a docstring (and doc()/describe()) to: " + ", ".join(
        undocumented)
    documented = {(p, m) for p, methods in spec["paths"].items() for m in methods}
    assert documented == {(p, m) for p, m, _ in rules}


def test_bodies_and_errors_are_described(app: Flask) -> None:
    spec = build_spec(app)
    push = spec["paths"]["/api/sync/push"]["post"]
    body = push["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["device_id", "ops"]
    assert "sync.batch_too_large" in push["responses"]["413"]["description"]
    pull = spec["paths"]["/api/sync/pull"]["get"]
    assert {"cursor", "limit"} <= {p["name"] for p in pull["parameters"]}
    upload = spec["paths"]["/api/attachments/{sha256}"]["patch"]
    assert upload["parameters"][0]["name"] == "sha256"


def test_docs_page_lists_the_endpoints_and_loads_nothing_from_elsewhere(app: Flask) -> None:
    page = app.test_client().get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/api/sync/push" in html and "Apply a batch" in html
    assert not re.search(r"(src|href)=\"https?://", html)


def test_the_spec_says_what_the_server_does(app: Flask) -> None:
    """Found by the API fuzz test and by hand: a settlement without a boundary answers
    `boundary: null`, the session cookie is hesabu_session, ids in paths are numbers
    where the route says so, and the limits the server checks are in the spec."""
    spec = build_spec(app)
    settlement = spec["paths"]["/api/settlements"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]["properties"]["settlements"]["items"]["properties"]
    assert settlement["boundary"]["nullable"] is True
    profile = spec["paths"]["/api/settlements/{settlement_id}/profile"]["get"]["responses"][
        "200"]["content"]["application/json"]["schema"]["properties"]
    assert profile["boundary"]["nullable"] is True
    cookie = spec["components"]["securitySchemes"]["session"]
    assert cookie["name"] == app.config["SESSION_COOKIE_NAME"] == "hesabu_session"
    resolve = spec["paths"]["/api/conflicts/{conflict_id}/resolve"]["post"]
    assert resolve["parameters"][0]["schema"]["type"] == "integer"
    records = {p["name"]: p["schema"] for p in spec["paths"]["/api/records"]["get"][
        "parameters"]}
    assert (records["limit"]["minimum"], records["limit"]["maximum"]) == (1, 1000)
    assert records["offset"]["maximum"] == 2**63 - 1
    assert records["state"]["enum"] == ["approved", "has_issues", "rejected", "none"]
