"""Review comments pulled from the server are kept on the device for the app to show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from field_app.core import inbox, records
from field_app.core.reviews import mark_seen, review_note, review_notes
from field_app.core.store import open_store
from sync.messages import PullPage


def page(changes: list[dict], cursor: int) -> PullPage:
    return PullPage.from_wire({"changes": changes, "next_cursor": cursor, "has_more": False})


def review(seq: int, record_id: str, state: str, comment: str) -> dict:
    return {"seq": seq, "type": "review", "record_id": record_id, "state": state,
            "comment": comment, "reviewer": "neema", "reviewed_at": "2026-11-27T08:00:00+00:00"}


def test_a_pulled_review_is_stored_and_the_newest_one_wins(tmp_path: Path) -> None:
    store = open_store(tmp_path / "device.db")
    rid = "01964c02-9a1b-7e3c-8d5f-112233445566"
    inbox.apply_page(store, page([review(5, rid, "has_issues", "Ages are missing")], 5))
    note = review_note(store, rid)
    assert note is not None
    assert (note["state"], note["comment"], note["reviewer"]) == (
        "has_issues", "Ages are missing", "neema")
    assert store.cursor() == 5
    assert [n["record_id"] for n in review_notes(store, unseen_only=True)] == [rid]
    mark_seen(store, rid)
    assert review_notes(store, unseen_only=True) == []
    # A re-pulled older page does not overwrite the newer review; a newer one does.
    inbox.apply_page(store, page([review(9, rid, "approved", "Thanks")], 9))
    inbox.apply_page(store, page([review(5, rid, "has_issues", "Ages are missing")], 9))
    note = review_note(store, rid)
    assert note is not None and (note["state"], note["seen_at"]) == ("approved", None)
    assert review_note(store, "01964c02-0000-7e3c-8d5f-112233445566") is None
    store.close()


# -- end to end with the real server -------------------------------------------------

def _tablet(tmp_path: Path, name: str, hub: Any) -> Any:
    from client.api import SyncApi
    from client.transport import HttpTransport
    from field_app.core.sync_runner import enrol

    store = open_store(tmp_path / f"{name}.db", device_name=name)
    api = SyncApi(HttpTransport(hub.url))
    enrol(store, api, hub.new_code())
    api.transport.close()
    return store


def _sync(store: Any, hub: Any) -> Any:
    from client.api import SyncApi
    from client.transport import HttpTransport, RetryPolicy
    from field_app.core.sync_runner import run_sync

    api = SyncApi(HttpTransport(hub.url, store.device.token,
                                retry=RetryPolicy(attempts=3, base_s=0.01)))
    try:
        summary = run_sync(store, api)
    finally:
        api.transport.close()
    assert summary.ok, summary.describe()
    return summary


def test_a_leaders_resolution_and_review_close_the_conflict_on_every_tablet(
        tmp_path: Path) -> None:
    from flaskhub import FlaskHub
    from sqlalchemy import select

    from server.extensions import db
    from server.models import Conflict
    from server.services.resolution import resolve_conflict
    from server.services.review import set_review

    hub = FlaskHub(tmp_path / "instance", forms=[("hh", "1")], questions=["head_name"])
    try:
        a, b = _tablet(tmp_path, "a", hub), _tablet(tmp_path, "b", hub)
        rid = records.create_record(a, "hh", "1", {"head_name": "Amina"}, finalized=True)
        _sync(a, hub)
        _sync(b, hub)
        records.save_answer(a, rid, "head_name", "Amina W.")
        records.save_answer(b, rid, "head_name", "Amina Wanjiru")
        _sync(a, hub)
        _sync(b, hub)
        _sync(a, hub)
        assert records.get_record(a, rid)["conflicts"] == ["head_name"]
        with hub.app.app_context():
            cid = db.session.execute(select(Conflict.id).where(
                Conflict.resolved_at_seq.is_(None))).scalar_one()
            db.session.rollback()
            resolve_conflict(cid, "Amina Wanjiru Otieno", user="neema")
            set_review(rid, "has_issues", "Phone number missing", reviewer="neema")
        for store in (a, b):
            _sync(store, hub)
            shown = records.get_record(store, rid)
            assert shown["conflicts"] == []
            assert shown["answers"]["head_name"] == "Amina Wanjiru Otieno"
            note = review_note(store, rid)
            assert note is not None and note["comment"] == "Phone number missing"
            assert store.query("SELECT count(*) AS n FROM conflict_notices")[0]["n"] == 0
            store.close()
    finally:
        hub.close()
