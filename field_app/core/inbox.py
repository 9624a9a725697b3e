"""Applying pulled pages: each page and its cursor are saved in one transaction.

If the app dies after applying a page but before its cursor is saved, the whole
transaction is gone and the page is fetched again; even applied twice, ops merge
idempotently (by op id and parents), so a re-pull is harmless either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from field_app.core import records
from field_app.core.reviews import save_review_changes
from field_app.core.store import SERVER_PEER
from sync.messages import PullPage

if TYPE_CHECKING:
    from field_app.core.store import Store


@dataclass(frozen=True)
class PageResult:
    """What one page did here: ops that changed something, forms announced."""

    received: int
    forms: tuple[tuple[str, str], ...]


def apply_page(store: Store, page: PullPage, peer: str = SERVER_PEER) -> PageResult:
    """Merge a page's ops, note its forms and move the cursor, all or nothing."""
    with store.transaction():
        received = records.apply_ops(store, page.ops)
        save_review_changes(store, page.changes)  # leaders' review comments
        clock_source = page.server_hlc or max((op.hlc for op in page.ops), default=None)
        # Adopt the server's time if ours is behind (a tablet reset to 1970), so new
        # local edits order after what everybody else has seen. The server refuses
        # far-future ops, so what it sends cannot drag our clock years ahead.
        if clock_source is not None and clock_source > (store.clock.last or ""):
            store.receive_hlc(clock_source)
        store.save_cursor(page.next_cursor, peer)
    return PageResult(received, tuple(page.forms))
