"""Fetch the next pull page while the caller applies the current one.

    ahead = PullAhead(api, limit)
    try:
        ahead.start(cursor)
        page = ahead.result()          # waits; raises the fetch's SyncError
        ahead.start(page.next_cursor)  # before applying `page`
        ...apply and save `page` with its cursor...
    finally:
        ahead.close()                  # waits for a fetch still running, drops its page

One fetch at a time, on its own short-lived thread, so at most one page is ahead of the
one being applied. The transport is not thread-safe: between `start` and `result` (or
`close`) only that thread may use `api` and its transport; the caller works on its store
meanwhile. A page fetched ahead is only held in memory: if the caller stops (cancel,
an error applying, a crash), nothing of it was saved and the next sync fetches it again
from the last saved cursor.
"""

from __future__ import annotations

import threading

from client.api import SyncApi
from sync.messages import PullPage


class PullAhead:
    def __init__(self, api: SyncApi, limit: int) -> None:
        self._api = api
        self._limit = limit
        self._thread: threading.Thread | None = None
        self._page: PullPage | None = None
        self._error: BaseException | None = None

    @property
    def busy(self) -> bool:
        """Is a fetch started and its result not yet taken?"""
        return self._thread is not None

    def start(self, cursor: int) -> None:
        """Start fetching the page after `cursor`."""
        if self._thread is not None:
            raise RuntimeError("a pull page is already being fetched")
        self._page = self._error = None
        self._thread = threading.Thread(target=self._fetch, args=(cursor,),
                                        name="hesabu-pull-ahead", daemon=True)
        self._thread.start()

    def _fetch(self, cursor: int) -> None:
        try:
            self._page = self._api.pull(cursor, self._limit)
        except BaseException as exc:  # handed to the caller's thread by `result`
            self._error = exc

    def result(self) -> PullPage:
        """The page being fetched (waits for it); its error if the fetch failed."""
        if self._thread is None:
            raise RuntimeError("no pull page is being fetched")
        self._join()
        page, error, self._page, self._error = self._page, self._error, None, None
        if error is not None:
            raise error
        assert page is not None
        return page

    def close(self) -> None:
        """Wait for a fetch still running and drop what it brings."""
        self._join()
        self._page = self._error = None

    def _join(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()
