"""One network call at a time, run ahead on a short-lived thread while the caller
works on its store: the pull fetches the next page while it applies this one
(`client.pull_ahead`), the push sends the next batch while it records the answer to
the last one (field_app/core/sync_runner.py).

    ahead = Ahead()
    try:
        ahead.start(lambda: api.pull(cursor, limit))
        ...the caller's own work, not touching `api`...
        page = ahead.result()          # waits; raises the call's error
    finally:
        ahead.close()                  # waits for a call still running, drops its result

The transport is not thread-safe: between `start` and `result` (or `close`) only the
call's thread may use it. What a call brings is only held in memory until the caller
takes it: if the caller stops first (cancel, an error, a crash), it is dropped, and
nothing the protocol needs was lost (a page is fetched again from the saved cursor; a
pushed batch is acked again, since the server keeps ops by id).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Ahead(Generic[T]):
    def __init__(self, name: str = "hesabu-ahead") -> None:
        self._name = name
        self._thread: threading.Thread | None = None
        self._value: T | None = None
        self._error: BaseException | None = None

    @property
    def busy(self) -> bool:
        """Is a call started and its result not yet taken?"""
        return self._thread is not None

    def start(self, call: Callable[[], T]) -> None:
        if self._thread is not None:
            raise RuntimeError(f"{self._name}: a call is already running")
        self._value = self._error = None
        self._thread = threading.Thread(target=self._run, args=(call,), name=self._name,
                                        daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[], T]) -> None:
        try:
            self._value = call()
        except BaseException as exc:  # handed to the caller's thread by `result`
            self._error = exc

    def result(self) -> T:
        """What the call returned (waits for it); its error if it failed."""
        if self._thread is None:
            raise RuntimeError(f"{self._name}: no call is running")
        self._join()
        value, error, self._value, self._error = self._value, self._error, None, None
        if error is not None:
            raise error
        return value  # type: ignore[return-value]

    def close(self) -> None:
        """Wait for a call still running and drop what it brings."""
        self._join()
        self._value = self._error = None

    def _join(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()
