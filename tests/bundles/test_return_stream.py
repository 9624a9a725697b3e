"""The return bundle is written as the changes are pulled, page by page: its changes.json
is byte for byte what serialising the whole feed at once gave, the tablet applies it as
before, and the server's memory while writing stays bounded by a page, not the feed."""

from __future__ import annotations

import gc
import json
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest
from harness import new_tablet, server_state, store_state
from server_harness import publish_test_form

from field_app.core import records
from field_app.core.bundles import export_bundle_file, import_return_file
from server.extensions import db
from server.models import Device
from server.services import bundles
from server.services.bundles import import_bundle, write_return_bundle
from server.services.devices import DeviceIdentity
from server.services.pull import pull_changes
from sync.bundle import CHANGES, FORMS
from sync.canonical import canonical_bytes

OPS = 1000
PAGE = 20


def _push_by_bundle(app, store, path: Path) -> None:
    export_bundle_file(store, path)
    with app.app_context(), path.open("rb") as fh:
        assert not import_bundle(fh).rejected


@pytest.fixture
def busy(central, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """(app, the tablet that was away, its server's feed): another tablet in its scope
    wrote OPS records, with a new form version published half way."""
    app, url = central
    monkeypatch.setattr(bundles, "_PULL_PAGE", PAGE)
    tablet = new_tablet(tmp_path / "tab.db", app, url, "Away")
    other = new_tablet(tmp_path / "other.db", app, url, "Busy")
    for n in range(OPS // 2):
        records.create_record(other, "household", "1", {"head_name": f"Head {n} " + "w" * 300,
                                               "size": n % 12}, finalized=True)
    _push_by_bundle(app, other, tmp_path / "first.hesabu")
    publish_test_form(app, version="2")
    for n in range(OPS // 2, OPS):
        records.create_record(other, "household", "2", {"head_name": f"Head {n} " + "w" * 300,
                                               "size": n % 12}, finalized=True)
    _push_by_bundle(app, other, tmp_path / "second.hesabu")
    other.close()
    yield app, tablet
    tablet.close()


def _old_changes_member(app, device_id: str, cursor: int) -> bytes:
    """changes.json as the former code built it: every page in one list, then one
    canonical_bytes of the whole."""
    with app.app_context():
        device = db.session.get(Device, device_id)
        identity = DeviceIdentity(device.id, device.name)
        db.session.rollback()
        page = pull_changes(identity, cursor, 1000)
        changes = list(page.changes)
        while page.has_more:
            page = pull_changes(identity, page.next_cursor, 1000)
            changes.extend(page.changes)
    return canonical_bytes({"changes": changes, "from_cursor": cursor,
                            "next_cursor": page.next_cursor})


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_the_streamed_return_bundle_is_what_the_whole_feed_gave_and_applies(
        busy, tmp_path: Path) -> None:
    app, tablet = busy
    back = tmp_path / "back.hesabu"
    with app.app_context(), back.open("wb") as fh:
        manifest = write_return_bundle(tablet.device_id, fh)
    members = _members(back)
    expected = _old_changes_member(app, tablet.device_id, 0)
    assert members[CHANGES] == expected  # the same bytes, so the same sha256 and size
    parsed = json.loads(members[CHANGES])
    ops = [c for c in parsed["changes"] if c["type"] == "op"]
    forms = [(c["form_id"], c["version"]) for c in parsed["changes"] if c["type"] == "form"]
    assert len(ops) == OPS and forms == [("household", "1"), ("household", "2")]
    assert manifest["changes"] == len(parsed["changes"])
    assert (manifest["from_cursor"], manifest["next_cursor"]) == \
        (0, parsed["next_cursor"]) and parsed["next_cursor"] > 0
    # forms.json holds the specs of the announced forms, in the order they came.
    specs = json.loads(members[FORMS])["forms"]
    assert [(s["id"], s["version"]) for s in specs] == forms

    result = import_return_file(tablet, back)
    assert result.received == OPS and result.forms == 2
    assert store_state(tablet) == server_state(app)
    assert tablet.cursor() == manifest["next_cursor"]

    # A cursor from another server restarts at 0, as a pull over HTTP does.
    again = tmp_path / "again.hesabu"
    with app.app_context(), again.open("wb") as fh:
        restarted = write_return_bundle(tablet.device_id, fh, cursor=10 ** 9)
    assert restarted["from_cursor"] == 0 and _members(again)[CHANGES] == expected
    # From the tablet's cursor on there is nothing more: an empty, well formed member.
    with app.app_context(), again.open("wb") as fh:
        caught_up = write_return_bundle(tablet.device_id, fh, cursor=manifest["next_cursor"])
    assert caught_up["changes"] == 0
    assert _members(again)[CHANGES] == _old_changes_member(app, tablet.device_id,
                                                           manifest["next_cursor"])


def _peak(job: Any) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        job()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_writing_a_big_return_bundle_holds_a_page_not_the_feed(busy, tmp_path: Path) -> None:
    app, tablet = busy
    back = tmp_path / "back.hesabu"

    def write(cursor: int | None = None) -> None:
        with app.app_context(), back.open("wb") as fh:
            write_return_bundle(tablet.device_id, fh, cursor=cursor)

    write()  # warm up (compiled queries, imports) before measuring
    top = json.loads(_members(back)[CHANGES])["next_cursor"]
    empty = _peak(lambda: write(top))  # the fixed cost of a bundle without changes
    streaming = _peak(write)
    size = len(_members(back)[CHANGES])
    whole = _peak(lambda: _old_changes_member(app, tablet.device_id, 0))
    assert size > 400_000, size
    # The whole feed in memory (as it was built before) costs about ten times its bytes;
    # the stream holds one page of PAGE changes (one in 50) on top of a bundle's fixed
    # cost: well below the bytes it writes.
    assert whole > 5 * size, (whole, size)
    assert streaming - empty < size / 4, (empty, streaming, size, whole)
