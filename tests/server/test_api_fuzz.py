"""The API fuzzed from its own OpenAPI spec (schemathesis), as every role.

A real server on loopback holds the demo dataset (`hesabu server demo-data`: two
federations, every role, six settlements, ~1,000 households, conflicts, reviews) plus a
settlement profile without a boundary. For each role (admin, leader, enumerator,
official by API token; a tablet by device token; nobody, for the public endpoints)
schemathesis generates requests to every operation that role may call, valid ones and
invalid ones, from /api/openapi.json. Any 5xx, or an answer that does not match the
schema the spec declares for it, fails the test. Generation is derandomized (the same
requests every run: no flaky failures) and bounded: about a minute in all here
(HESABU_FUZZ_EXAMPLES raises the examples per operation and mode, to look harder).
SQLite only, with the strict write-lock check on (a GET that writes without the lock is
a 500).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance
from server_harness import LiveServer, enrol_device
from sqlalchemy import select

from server.app import create_app
from server.extensions import db
from server.models import Record, User
from server.services.accounts import create_api_token
from server.services.demo import load_demo
from server.services.resolution import edit_record

EXAMPLES = int(os.environ.get("HESABU_FUZZ_EXAMPLES", "6"))
CHECKS = [not_a_server_error, response_schema_conformance]
USER_ROLES = ("admin", "leader", "enumerator", "official")


def _demo_app(folder: Path) -> tuple[Flask, dict[str, str]]:
    """The demo dataset on SQLite, and a token for each caller."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'demo.db'}",
                      "INSTANCE_PATH": str(folder / "instance"),
                      "HESABU_SQLITE_STRICT_WRITES": True})
    with app.app_context():
        load_demo()
        tokens = {}
        for role in USER_ROLES:
            user = db.session.execute(select(User).where(User.role == role)
                                      .order_by(User.username)).scalars().first()
            assert user is not None
            tokens[role] = create_api_token(user.id, f"fuzz {role}")[1]
        # A settlement profile without a boundary (its answer removed as a correction).
        profile = db.session.execute(select(Record.record_id).where(
            Record.form_id == "sdi_settlement_profile").order_by(Record.record_id)
        ).scalars().first()
        db.session.rollback()
        edit_record(profile, {"verification/A0_Boundary": None}, user="fuzz")
    tokens["device"] = enrol_device(app, "tab-fuzz", "Fuzz tablet").token
    return app, tokens


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[tuple[int, dict[str, str]]]:
    app, tokens = _demo_app(tmp_path_factory.mktemp("fuzz"))
    try:
        with LiveServer(app) as live:
            yield live.port, tokens
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _callers(operation: Any) -> list[str]:
    """Who calls `operation`: its declared security (device, users, or anyone)."""
    kinds = {name for entry in operation.definition.raw.get("security", []) for name in entry}
    if "deviceToken" in kinds:
        return ["device"]
    if "apiToken" in kinds:
        return list(USER_ROLES)
    return ["anonymous"]


def _fuzz(operation: Any, caller: str, token: str | None, base_url: str,
          mode: GenerationMode) -> str | None:
    """Run `operation`'s generated cases; the first failure as text, or None."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
              print_blob=False)
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=60)

    try:
        run()
    except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
        return None
    except (Exception, FailureGroup) as exc:  # a check failed: report it with the others
        return f"{operation.label} as {caller} ({mode.value}): {str(exc)[:1500]}"
    return None


def test_no_5xx_and_no_answer_outside_the_spec_for_any_role(
        demo_server: tuple[int, dict[str, str]]) -> None:
    port, tokens = demo_server
    base_url = f"http://127.0.0.1:{port}"
    schema = schemathesis.openapi.from_url(f"{base_url}/api/openapi.json")
    started = time.monotonic()
    failures, runs = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for caller in _callers(operation):
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                failure = _fuzz(operation, caller, tokens.get(caller), base_url, mode)
                runs += 1
                if failure:
                    failures.append(failure)
    took = time.monotonic() - started
    assert runs > 100
    assert failures == [], "\n\n".join(failures)
    assert took < 300, f"the fuzz test took {took:.0f} s: keep it to about a minute"
