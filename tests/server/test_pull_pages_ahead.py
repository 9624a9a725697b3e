"""The next pull page is made while the device stores the last one
(server/services/pull_ahead.py): the device gets exactly the pages it would have got
otherwise, and a page made ahead is never served once it may be out of date."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from server_harness import Device, enrol_device, publish_test_form, push_ok

from server.extensions import db
from server.models import DeviceRescan
from server.services.pull_ahead import pages_ahead, settle


def _pull(app: Flask, device: Device, cursor: int, **params: Any) -> dict[str, Any]:
    query = "&".join(f"{k}={v}" for k, v in {"cursor": cursor, **params}.items())
    reply = app.test_client().get(f"/api/sync/pull?{query}", headers=device.auth)
    assert reply.status_code == 200, reply.json
    settle(app)  # the page after it is made (or not) before the test goes on
    return json.loads(reply.data)


def _pull_all(app: Flask, device: Device, **params: Any) -> list[dict[str, Any]]:
    pages, cursor = [], 0
    while True:
        page = _pull(app, device, cursor, **params)
        pages.append(page)
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return pages


def _served(app: Flask) -> int:
    with app.app_context():
        ahead = pages_ahead()
        assert ahead is not None
        return ahead.served


def _pages_without_clock(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in page.items() if k != "server_hlc"} for page in pages]


@pytest.fixture
def pushed(make_app: Any) -> tuple[Flask, Flask, Device, Device]:
    """Two apps on one database, one making pages ahead and one not; 25 ops of a
    tablet, and a second tablet to pull them."""
    app = make_app()
    plain = make_app(HESABU_PULL_AHEAD=False)
    publish_test_form(app)
    tablet = enrol_device(app, "tab-amina", "Amina's tablet")
    reader = enrol_device(app, "tab-baraka", "Baraka's tablet")
    push_ok(app, tablet, [tablet.op(fields={"name": f"Household {i}", "size": i})
                          for i in range(25)])
    return app, plain, tablet, reader


@pytest.mark.parametrize("params", [{"limit": 4}, {"limit": 1000, "max_bytes": 600},
                                    {"limit": 3, "records": 0}])
def test_pages_made_ahead_are_the_pages_made_on_request(
        pushed: tuple[Flask, Flask, Device, Device], params: dict[str, Any]) -> None:
    app, plain, _, reader = pushed
    ahead = _pull_all(app, reader, **params)
    assert len(ahead) > 3
    assert _served(app) == len(ahead) - 1  # every page but the first was ready
    assert _pages_without_clock(ahead) == _pages_without_clock(
        _pull_all(plain, reader, **params))


def test_a_change_committed_meanwhile_drops_the_page_made_ahead(
        pushed: tuple[Flask, Flask, Device, Device]) -> None:
    """The last page, made ahead before a push, would have ended the pull without the
    pushed op: the device gets a page made on request instead, with it."""
    app, _, tablet, reader = pushed
    first = _pull(app, reader, 0, limit=20)
    assert first["has_more"]
    late = tablet.op(fields={"name": "Pushed meanwhile"})
    push_ok(app, tablet, [late])
    second = _pull(app, reader, first["next_cursor"], limit=20)
    assert _served(app) == 0
    ids = [c["op"]["op_id"] for c in second["changes"] if c["type"] == "op"]
    assert ids[-1] == late.op_id and not second["has_more"]


def test_a_page_made_ahead_is_only_for_its_own_request(
        pushed: tuple[Flask, Flask, Device, Device]) -> None:
    """Another limit, another device or a cursor asked again: made on request."""
    app, plain, tablet, reader = pushed
    first = _pull(app, reader, 0, limit=5)
    _pull(app, tablet, first["next_cursor"], limit=5)  # another device
    _pull(app, reader, first["next_cursor"], limit=6)  # another limit
    again = _pull(app, reader, 0, limit=5)  # the same page again
    assert _served(app) == 0
    assert _pages_without_clock([again]) == _pages_without_clock(
        [_pull(plain, reader, 0, limit=5)])


def test_a_device_told_to_pull_from_zero_is_told_so_first(
        pushed: tuple[Flask, Flask, Device, Device]) -> None:
    app, _, _, reader = pushed
    first = _pull(app, reader, 0, limit=5)
    with app.app_context():
        db.session.add(DeviceRescan(device_id=reader.id, reason="a new settlement"))
        db.session.commit()
    reply = app.test_client().get(f"/api/sync/pull?cursor={first['next_cursor']}&limit=5",
                                  headers=reader.auth)
    assert reply.status_code == 400, reply.json
    assert reply.json["error"]["code"] == "sync.cursor_invalid"
    assert _served(app) == 0
