"""Review comments pulled from the server are kept on the device for the app to show."""

from __future__ import annotations

from pathlib import Path

from field_app.core import inbox
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
