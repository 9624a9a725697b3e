"""Pull pages are bounded by bytes as well as by count (docs/sync-protocol.md, Pull):
a page's JSON never passes `max_bytes` unless it is one change bigger than that, and
paging with any budget delivers every change once, in order, as one big page would."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from flask import Flask
from server_harness import Device, enrol_device, publish_test_form, push_ok

from sync.ids import new_uuid7


def _pull(app: Flask, device: Device, cursor: int, **params: Any) -> tuple[bytes, dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in {"cursor": cursor, **params}.items())
    reply = app.test_client().get(f"/api/sync/pull?{query}", headers=device.auth)
    assert reply.status_code == 200, reply.json
    return reply.data, json.loads(reply.data)


def _pull_all(app: Flask, device: Device, **params: Any) -> list[tuple[bytes, dict[str, Any]]]:
    pages, cursor = [], 0
    while True:
        body, page = _pull(app, device, cursor, **params)
        pages.append((body, page))
        assert page["next_cursor"] >= cursor
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return pages
        assert page["changes"], "a page with more to come moves the cursor"


@pytest.fixture
def varied(app: Flask) -> tuple[Device, Device]:
    """Ops from a few fields to 1,500 (one of ~150 kB), on records edited again later."""
    publish_test_form(app)
    tablet = enrol_device(app, "tab-amina", "Amina's tablet")
    reader = enrol_device(app, "tab-baraka", "Baraka's tablet")
    rng = random.Random(20)
    records = [new_uuid7() for _ in range(6)]
    ops = []
    for i in range(40):
        size = 1500 if i == 17 else rng.choice([1, 3, 10, 40, 200])
        fields = {f"q{n}": "Nyumba ya Amina " * rng.randint(0, 6) + "é" for n in range(size)}
        ops.append(tablet.op(records[i % len(records)] if i % 3 else None, fields))
    for start in range(0, len(ops), 10):
        push_ok(app, tablet, ops[start:start + 10])
    return tablet, reader


@pytest.mark.parametrize("records", ["0", "1"])
def test_pages_stay_within_the_byte_budget_and_lose_nothing(
        app: Flask, varied: tuple[Device, Device], records: str) -> None:
    _, reader = varied
    ((_, whole),) = _pull_all(app, reader, limit=1000, max_bytes=16 * 1024 * 1024,
                              records=records)
    everything = whole["changes"]
    assert len(everything) == 41  # the form and 40 ops
    biggest = max(len(json.dumps(c, ensure_ascii=False, separators=(",", ":")).encode())
                  for c in everything)
    assert biggest > 100_000
    for budget in (1, 1500, 6000, 40_000, 200_000):
        pages = _pull_all(app, reader, limit=1000, max_bytes=budget, records=records)
        for body, page in pages:
            assert len(body) <= budget or len(page["changes"]) == 1, (budget, len(body))
        got = [c for _, page in pages for c in page["changes"]]
        assert got == everything, budget  # each once, in order, exactly
        if records == "1":
            shown: dict[str, Any] = {}
            for _, page in pages:
                touched = {c["op"]["record_id"] for c in page["changes"] if c["type"] == "op"}
                assert set(page["records"]) == touched
                shown.update(page["records"])
            assert shown == whole["records"]
        else:
            assert all("records" not in page for _, page in pages)
        if budget == 1:
            assert len(pages) == len(everything)  # one change a page, never stuck
        if budget == 200_000 and records == "0":
            assert len(pages) < 6  # filled, not one change a page


def test_the_count_limit_still_holds_under_a_big_budget(
        app: Flask, varied: tuple[Device, Device]) -> None:
    _, reader = varied
    pages = _pull_all(app, reader, limit=7, max_bytes=16 * 1024 * 1024)
    assert [len(page["changes"]) for _, page in pages] == [7] * 5 + [6]


def test_the_default_and_the_cap_of_the_budget_are_the_servers(
        make_app: Any, tmp_path: Any) -> None:
    app = make_app(HESABU_DEFAULT_PULL_BYTES=3000, HESABU_MAX_PULL_BYTES=10_000)
    publish_test_form(app)
    tablet = enrol_device(app, "tab-amina", "Amina's tablet")
    push_ok(app, tablet, [tablet.op(fields={f"q{n}": "x" * 40 for n in range(20)})
                          for _ in range(30)])
    for params, most in (({}, 3000), ({"max_bytes": 1_000_000}, 10_000),
                         ({"max_bytes": 5000}, 5000)):
        pages = _pull_all(app, tablet, limit=1000, records=0, **params)
        sizes = [len(body) for body, _ in pages]
        change = len(json.dumps(pages[-1][1]["changes"][-1]))  # ~1.1 kB each
        assert most - change - 256 < max(sizes) <= most, (params, sizes)
        assert sum(len(page["changes"]) for _, page in pages) == 31


@pytest.mark.parametrize("bad", ["0", "-5", "lots"])
def test_a_bad_budget_is_refused(app: Flask, bad: str) -> None:
    tablet = enrol_device(app, "tab-amina", "Amina's tablet")
    reply = app.test_client().get(f"/api/sync/pull?cursor=0&max_bytes={bad}",
                                  headers=tablet.auth)
    assert reply.status_code == 422
    assert "max_bytes" in reply.json["error"]["details"]["fields"]
