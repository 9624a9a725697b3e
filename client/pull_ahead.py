"""Fetch the next pull page while the caller applies the current one.

    ahead = PullAhead(api, limit)
    try:
        ahead.start(cursor)
        page = ahead.result()          # waits; raises the fetch's SyncError
        ahead.start(page.next_cursor)  # before applying `page`
        ...apply and save `page` with its cursor...
    finally:
        ahead.close()                  # waits for a fetch still running, drops its page

One fetch at a time (`client.ahead`), so at most one page is ahead of the one being
applied; only the fetch's thread uses `api` meanwhile. A page fetched ahead is only
held in memory: if the caller stops (cancel, an error applying, a crash), nothing of it
was saved and the next sync fetches it again from the last saved cursor.
"""

from __future__ import annotations

from client.ahead import Ahead
from client.api import SyncApi
from sync.messages import PullPage


class PullAhead(Ahead[PullPage]):
    def __init__(self, api: SyncApi, limit: int) -> None:
        super().__init__("hesabu-pull-ahead")
        self._api = api
        self._limit = limit

    def start(self, cursor: int) -> None:  # type: ignore[override]
        """Start fetching the page after `cursor`."""
        super().start(lambda: self._api.pull(cursor, self._limit))
