"""Review notes from the server: a leader's state and comment on a record.

A pull page carries them as changes `{"seq", "type": "review", "record_id", "state",
"comment", "reviewer", "reviewed_at"}` (states: approved, has_issues, rejected).
`save_review_changes` keeps the newest per record in the `review_notes` table, inside
the page's transaction; the app lists them with `review_notes` / `review_note` and
marks them read with `mark_seen`. See docs/web.md ("Review comments on the device").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sync.messages import Change

if TYPE_CHECKING:
    from field_app.core.store import Store

REVIEW_CHANGE = "review"


def save_review_changes(store: Store, changes: Iterable[Change]) -> int:
    """Store the review changes of a page (newer seq wins); returns how many."""
    saved = 0
    with store.transaction() as db:
        for change in changes:
            if change.type != REVIEW_CHANGE:
                continue
            data = change.data
            if not isinstance(data.get("record_id"), str) or not isinstance(data.get("state"),
                                                                             str):
                continue  # a malformed note is not worth failing a whole sync over
            db.execute(
                "INSERT INTO review_notes (record_id, state, comment, reviewer, reviewed_at, seq)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (record_id) DO UPDATE SET"
                " state = excluded.state, comment = excluded.comment,"
                " reviewer = excluded.reviewer, reviewed_at = excluded.reviewed_at,"
                " seq = excluded.seq, seen_at = NULL WHERE excluded.seq > review_notes.seq",
                [data["record_id"], data["state"], store.seal(str(data.get("comment") or "")),
                 str(data.get("reviewer") or ""), str(data.get("reviewed_at") or ""),
                 change.seq])
            saved += 1
    return saved


def review_note(store: Store, record_id: str) -> dict[str, Any] | None:
    """The newest review of a record, or None if it was never reviewed."""
    rows = store.query("SELECT * FROM review_notes WHERE record_id = ?", [record_id])
    return {**rows[0], "comment": store.unseal(rows[0]["comment"])} if rows else None


def review_notes(store: Store, *, unseen_only: bool = False) -> list[dict[str, Any]]:
    """Every review note, newest first (only unread ones if `unseen_only`)."""
    where = " WHERE seen_at IS NULL" if unseen_only else ""
    return [{**r, "comment": store.unseal(r["comment"])}
            for r in store.query(f"SELECT * FROM review_notes{where} ORDER BY seq DESC")]


def mark_seen(store: Store, record_id: str) -> None:
    with store.transaction() as db:
        db.execute("UPDATE review_notes SET seen_at = ? WHERE record_id = ?",
                   [datetime.now(UTC).isoformat(), record_id])
