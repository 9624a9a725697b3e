"""The pipelined pull over real HTTP on loopback: the next page is fetched while the
current one is applied, and nothing of a page fetched ahead counts until it is applied."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy
from flaskhub import FlaskHub
from marshmallow import ValidationError
from refserver import RefServer
from tablets import enrolled_tablet

from client.api import SyncApi
from client.errors import SyncError
from client.transport import HttpTransport, RetryPolicy
from field_app.core import inbox, records
from field_app.core.store import Store
from field_app.core.sync_runner import SyncOptions, SyncRunner, run_sync
from server.schemas.sync import PullQuery

FAST_RETRY = RetryPolicy(attempts=3, base_s=0.01, cap_s=0.05)
WAIT_S = 10.0  # only a failing test waits this long


@pytest.fixture(params=["flask", "reference"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RefServer | FlaskHub]:
    s: RefServer | FlaskHub = (FlaskHub(tmp_path / "instance") if request.param == "flask"
                               else RefServer())
    yield s
    s.close()


def pull_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "hesabu-pull-ahead"]


def api_for(url: str, store: Store) -> SyncApi:
    return SyncApi(HttpTransport(url, store.device.token, retry=FAST_RETRY, timeout_s=10))


def household(i: int) -> dict[str, Any]:
    return {"head_name": f"Head {i} " + "of a long name " * 20, "rent": 1000 + i}


def writer_and_reader(tmp_path: Path, server: RefServer | FlaskHub,
                      households: int) -> tuple[Store, Store, list[str]]:
    """Tablet a syncs `households` new households; tablet b has pulled nothing yet."""
    a = enrolled_tablet(tmp_path, "a", server)
    b = enrolled_tablet(tmp_path, "b", server)
    ids = [records.create_record(a, "hh", "1", household(i), finalized=True)
           for i in range(households)]
    api = api_for(server.url, a)
    assert run_sync(a, api).sent == households
    api.transport.close()
    return a, b, ids


class WatchedApi(SyncApi):
    """A SyncApi that tells when each page arrived, and checks that its transport is
    never used by two threads at once."""

    def __init__(self, transport: HttpTransport) -> None:
        super().__init__(transport)
        self.fetched: dict[int, threading.Event] = {}
        self.in_use = 0
        self.most_in_use = 0
        self._lock = threading.Lock()
        real = transport.request

        def request(*args: Any, **kw: Any) -> Any:
            with self._lock:
                self.in_use += 1
                self.most_in_use = max(self.most_in_use, self.in_use)
            try:
                return real(*args, **kw)
            finally:
                with self._lock:
                    self.in_use -= 1

        transport.request = request  # type: ignore[method-assign]

    def arrived(self, cursor: int) -> threading.Event:
        with self._lock:
            return self.fetched.setdefault(cursor, threading.Event())

    def pull(self, cursor: int, limit: int, max_bytes: int | None = None) -> Any:
        page = super().pull(cursor, limit, max_bytes)
        self.arrived(cursor).set()
        return page


def test_the_next_page_arrives_while_this_one_is_applied(
        tmp_path: Path, server: RefServer | FlaskHub, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, ids = writer_and_reader(tmp_path, server, 6)
    api = WatchedApi(HttpTransport(server.url, b.device.token, retry=FAST_RETRY))
    real_apply = inbox.apply_page
    seen: list[tuple[int, int, bool]] = []

    def apply_page(store: Store, page: Any, *args: Any, **kw: Any) -> Any:
        # While page N is applied (its cursor not saved yet), page N+1 comes in.
        if page.has_more:
            ahead = api.arrived(page.next_cursor).wait(WAIT_S)
            seen.append((store.cursor(), page.next_cursor, ahead))
        return real_apply(store, page, *args, **kw)

    monkeypatch.setattr(inbox, "apply_page", apply_page)
    progress: list[tuple[str, int, int]] = []
    summary = run_sync(b, api, options=SyncOptions(pull_limit=2),
                       progress=lambda *p: progress.append(p))
    api.transport.close()
    assert summary.errors == () and summary.received == 6
    assert len(seen) >= 2 and all(ahead for _, _, ahead in seen)
    # The page being applied was not saved before, and the one fetched ahead not at all.
    assert [cursor for cursor, _, _ in seen] == [0] + [nxt for _, nxt, _ in seen[:-1]]
    assert api.most_in_use == 1
    pages = len(api.fetched)
    assert [p for p in progress if p[0] == "pull"] == [
        ("pull", n, n + 1) for n in range(1, pages)] + [("pull", pages, pages)]
    assert b.cursor() == server.seq and not pull_threads()
    for rid in ids:
        assert records.get_record(b, rid)["answers"] == records.get_record(a, rid)["answers"]


def test_a_page_fetched_ahead_that_fails_loses_nothing(
        tmp_path: Path, server: RefServer | FlaskHub) -> None:
    """The fetch of page 3 fails while page 2 is applied: page 2 and its cursor are
    saved, the error is the transport's own (retryable) SyncError, and the next sync
    starts from page 2's cursor."""
    _, b, ids = writer_and_reader(tmp_path, server, 6)
    proxy = FaultProxy(server.port)
    api = api_for(server.url, b)
    first = api.pull(0, 2)
    second = api.pull(first.next_cursor, 2)
    api.transport.close()
    proxy.faults.drop_ack_for = f"GET /api/sync/pull?cursor={second.next_cursor}&".encode()
    proxy.faults.drops = FAST_RETRY.attempts
    api = api_for(proxy.url, b)
    try:
        with pytest.raises(SyncError) as failed:
            SyncRunner(b, api, SyncOptions(pull_limit=2)).pull()
    finally:
        api.transport.close()
        proxy.close()
    assert failed.value.code == "sync.network" and failed.value.retryable
    assert proxy.dropped_acks == FAST_RETRY.attempts and not pull_threads()
    assert b.cursor() == second.next_cursor
    kept = len(first.ops) + len(second.ops)
    assert sum(records.get_record(b, rid) is not None for rid in ids) == kept
    api = WatchedApi(HttpTransport(server.url, b.device.token, retry=FAST_RETRY))
    summary = run_sync(b, api, options=SyncOptions(pull_limit=2))
    api.transport.close()
    assert summary.received == 6 - kept and b.cursor() == server.seq
    assert min(api.fetched) == second.next_cursor  # resumed, nothing pulled twice


def test_cancel_and_errors_while_a_page_is_fetched_ahead(
        tmp_path: Path, server: RefServer | FlaskHub, monkeypatch: pytest.MonkeyPatch) -> None:
    _, b, ids = writer_and_reader(tmp_path, server, 6)
    stop = threading.Event()
    api = WatchedApi(HttpTransport(server.url, b.device.token, retry=FAST_RETRY))

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "pull":
            assert api.arrived(b.cursor()).wait(WAIT_S)
            stop.set()  # page 2 is in memory, fetched ahead

    summary = run_sync(b, api, options=SyncOptions(pull_limit=2), progress=progress,
                       cancel=stop)
    assert "stopped" in summary.describe().lower() and not pull_threads()
    after_first = b.cursor()
    assert 0 < after_first < server.seq and summary.received <= 2
    received = summary.received
    # An error applying a page: the page fetched ahead is waited for and dropped.
    real_apply = inbox.apply_page

    def broken_apply(store: Store, page: Any, *args: Any, **kw: Any) -> Any:
        api.arrived(page.next_cursor).wait(WAIT_S)
        raise RuntimeError("disk gone")

    monkeypatch.setattr(inbox, "apply_page", broken_apply)
    with pytest.raises(RuntimeError, match="disk gone"):
        SyncRunner(b, api, SyncOptions(pull_limit=2)).pull()
    assert b.cursor() == after_first and not pull_threads()
    monkeypatch.setattr(inbox, "apply_page", real_apply)
    summary = run_sync(b, api, options=SyncOptions(pull_limit=2))
    api.transport.close()
    assert summary.errors == () and received + summary.received == 6
    assert b.cursor() == server.seq
    assert all(records.get_record(b, rid) is not None for rid in ids)


def test_pages_are_sized_by_the_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = FlaskHub(tmp_path / "instance")
    try:
        _, b, _ = writer_and_reader(tmp_path, server, 200)
        api = api_for(server.url, b)
        api.transport.network.rtt_s = 0.002  # a LAN: the server's default, one page
        page = api.pull(0, 1000)
        assert not page.has_more and len(page.ops) == 200
        api.transport.network.download_rate = 1.0  # a crawling link: the smallest pages
        page = api.pull(0, 1000)
        assert page.has_more and 0 < len(page.ops) < 200
        small = len(page.ops)

        # A server from before `max_bytes` refuses it as an unknown parameter: the
        # client asks again without it, and from then on.
        class OldPullQuery(PullQuery):
            def load(self, data: Any, **kw: Any) -> Any:  # type: ignore[override]
                if "max_bytes" in data:
                    raise ValidationError({"max_bytes": ["Unknown field."]})
                return super().load(data, **kw)

        monkeypatch.setattr("server.api.sync.PullQuery", OldPullQuery)
        before = api.transport.stats.requests
        page = api.pull(0, 1000)
        assert len(page.ops) == 200 and api.transport.network.pull_bytes_refused
        page = api.pull(0, 1000)
        assert len(page.ops) == 200 and api.transport.stats.requests == before + 3
        monkeypatch.undo()
        fresh = api_for(server.url, b)
        fresh.transport.network.download_rate = 1.0
        assert len(fresh.pull(0, 1000).ops) == small
        api.transport.close()
        fresh.transport.close()
    finally:
        server.close()
