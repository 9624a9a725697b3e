"""Device <-> server sync over real HTTP on loopback: the invariants a user relies on."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from faultproxy import FaultProxy
from flaskhub import FlaskHub
from refserver import RefServer

from client.api import PreparedPush, SyncApi
from client.transport import HttpTransport, RetryPolicy
from field_app.core import attachments, outbox, records
from field_app.core.errors import StoreFullError
from field_app.core.integrity import check_store
from field_app.core.store import Store, open_store
from field_app.core.sync_runner import SyncOptions, enrol, run_sync
from sync.ids import new_uuid7
from sync.ops import make_op

Hub = RefServer | FlaskHub
ROOT = Path(__file__).resolve().parents[2]
FAST_RETRY = RetryPolicy(attempts=5, base_s=0.01, cap_s=0.05)


@pytest.fixture(params=["flask", "reference"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RefServer | FlaskHub]:
    """The real server on SQLite, and the protocol's reference replica behind HTTP."""
    if request.param == "flask":
        s: RefServer | FlaskHub = FlaskHub(tmp_path / "instance",
                                           forms=[("hh", "1"), ("profile", "1")])
    else:
        s = RefServer()
    yield s
    s.close()


def api_for(url: str, store: Store | None = None) -> SyncApi:
    token = store.device.token if store is not None else None
    return SyncApi(HttpTransport(url, token, retry=FAST_RETRY, timeout_s=10))


def device(tmp_path: Path, name: str, server: Hub | FlaskHub, **kw: object) -> Store:
    """A new tablet store, enrolled with the server by a fresh code."""
    store = open_store(tmp_path / f"{name}.db", device_name=name, **kw)
    api = api_for(server.url)
    enrol(store, api, server.new_code())
    api.transport.close()
    return store


def sync(store: Store, url: str, **kw: object):
    api = api_for(url, store)
    try:
        return run_sync(store, api, **kw), api.transport.stats
    finally:
        api.transport.close()


def household(i: int) -> dict:
    return {"head_name": f"Head {i}", "tenure": "tenant", "rent": 1000 + i,
            "members": [{"__id": f"m{i}a", "age": 30 + i % 40},
                        {"__id": f"m{i}b", "age": i % 18}]}


def test_two_devices_share_records_through_the_server(tmp_path: Path, server: Hub) -> None:
    a = device(tmp_path, "a", server)
    b = device(tmp_path, "b", server)
    ids = [records.create_record(a, "hh", "1", household(i), finalized=True) for i in range(3)]
    draft = records.create_record(a, "hh", "1", household(99))
    summary, _ = sync(a, server.url)
    assert summary.sent == 3 and summary.ok, summary.describe()
    assert "Sent 3 changes" in summary.describe()
    assert outbox.pending(a) == [] and outbox.counts(a).held == 1
    summary, _ = sync(b, server.url)
    assert summary.received == 3
    for rid in ids:
        assert records.get_record(b, rid)["answers"] == records.get_record(a, rid)["answers"]
    assert records.get_record(b, draft) is None, "a draft stays on its tablet"


def test_a_sync_with_nothing_to_do_costs_at_most_two_requests(tmp_path: Path,
                                                              server: Hub) -> None:
    a = device(tmp_path, "a", server)
    records.create_record(a, "hh", "1", household(1), finalized=True)
    sync(a, server.url)
    summary, stats = sync(a, server.url)
    assert summary.describe() == "Everything is up to date."
    assert stats.requests <= 2


def test_concurrent_edits_become_a_conflict_on_both_devices(tmp_path: Path,
                                                            server: Hub) -> None:
    a = device(tmp_path, "a", server)
    b = device(tmp_path, "b", server)
    rid = records.create_record(a, "hh", "1", household(1), finalized=True)
    sync(a, server.url)
    sync(b, server.url)
    records.save_answer(a, rid, "rent", 2000)
    records.save_answer(b, rid, "rent", 2500)
    sync(a, server.url)
    summary, _ = sync(b, server.url)
    assert summary.conflicts == 1
    sync(a, server.url)
    mine, theirs = records.get_record(a, rid), records.get_record(b, rid)
    assert mine["conflicts"] == ["rent"] == theirs["conflicts"]
    assert mine["answers"]["rent"] == theirs["answers"]["rent"]
    # Either device writing the field again (having seen both) settles it everywhere.
    records.save_answer(a, rid, "rent", 2200)
    sync(a, server.url)
    sync(b, server.url)
    settled = records.get_record(b, rid)
    assert settled["conflicts"] == [] and settled["answers"]["rent"] == 2200


def test_lost_ack_is_resent_and_stored_once(tmp_path: Path, server: Hub) -> None:
    """(3) The server committed a batch but the answer never arrived."""
    proxy = FaultProxy(server.port)
    a = device(tmp_path, "a", server)
    ids = [records.create_record(a, "hh", "1", household(i), finalized=True) for i in range(20)]
    proxy.faults.drop_ack_for, proxy.faults.drops = b"POST /api/sync/push", 2
    summary, _ = sync(a, proxy.url, options=SyncOptions(max_ops=8))
    proxy.close()
    assert proxy.dropped_acks == 2
    assert summary.sent == 20 and outbox.pending(a) == []
    ops = {json.loads(r["op"])["op_id"] for r in a.query("SELECT op FROM outbox_ops")}
    assert len(server.log) == 20 and all(server.op_count(o) == 1 for o in ops)
    assert {op.record_id for op in server.log} == set(ids)


WORKER = """
import sys
from client.api import PreparedPush, SyncApi
from field_app.core.store import open_store
from field_app.core.sync_runner import run_sync
from client.transport import HttpTransport
store = open_store(sys.argv[1])
run_sync(store, SyncApi(HttpTransport(sys.argv[2], store.device.token, timeout_s=60)))
"""


def test_client_killed_before_reading_the_ack_resends_safely(tmp_path: Path,
                                                             server: Hub) -> None:
    """(2) The app dies after its push reached the server, before it read the answer."""
    a = device(tmp_path, "a", server)
    for i in range(10):
        records.create_record(a, "hh", "1", household(i), finalized=True)
    a.close()
    committed, release = threading.Event(), threading.Event()

    def hold_the_answer() -> None:
        committed.set()
        release.wait(10)

    server.before_push_reply = hold_the_answer
    proc = subprocess.Popen([sys.executable, "-c", WORKER, str(tmp_path / "a.db"), server.url],
                            cwd=ROOT)
    assert committed.wait(20), "the push never reached the server"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    release.set()
    server.before_push_reply = None
    assert len(server.log) == 10
    a = open_store(tmp_path / "a.db")
    assert len(outbox.pending(a)) == 10, "not acked, so still queued"
    summary, _ = sync(a, server.url)
    assert summary.sent == 10 and outbox.pending(a) == []
    assert len(server.log) == 10, "the resent batch was not stored twice"
    assert check_store(a) == []


def test_an_update_that_arrives_before_its_create(tmp_path: Path, server: Hub) -> None:
    """(5) A hub forwarded the edit of a record before the op that created it."""
    a = device(tmp_path, "a", server)
    b = device(tmp_path, "b", server)
    rid = records.create_record(a, "hh", "1", household(1), finalized=True)
    records.save_answer(a, rid, "rent", 4000)
    create, update = outbox.pending(a)
    api = api_for(server.url, a)
    from sync.ops import Op
    api.push(a.device.device_id, [Op.from_wire(update)])
    api.push(a.device.device_id, [Op.from_wire(create)])
    api.transport.close()
    summary, _ = sync(b, server.url, options=SyncOptions(pull_limit=1))
    record = records.get_record(b, rid)
    assert record["answers"] == records.get_record(a, rid)["answers"]
    assert record["answers"]["rent"] == 4000 and record["conflicts"] == []
    assert summary.received == 2


@pytest.mark.parametrize("offset_ms, accepted", [
    (-1_795_000_000_000, True),   # a tablet whose clock reset to about 1970
    (45 * 60 * 1000, True),       # 45 minutes fast
    (2_145_916_800_000 - 1_795_000_000_000, False),  # the year 2038
])
def test_device_clocks_that_are_wrong(tmp_path: Path, server: Hub, offset_ms: int,
                                      accepted: bool) -> None:
    """(6) Cursors never skip whatever the device clock says; far-future ops wait."""
    other = device(tmp_path, "other", server)
    for i in range(5):
        records.create_record(other, "hh", "1", household(i), finalized=True)
    sync(other, server.url)
    skewed = device(tmp_path, "skewed", server,
                    now_ms=lambda: int(time.time() * 1000) + offset_ms)
    rid = records.create_record(skewed, "hh", "1", household(50), finalized=True)
    summary, _ = sync(skewed, server.url, options=SyncOptions(pull_limit=2))
    assert summary.received == 5, "every change of the other device arrived"
    assert skewed.cursor() == server.seq
    for i in range(5, 8):
        records.create_record(other, "hh", "1", household(i), finalized=True)
    sync(other, server.url)
    summary2, _ = sync(skewed, server.url, options=SyncOptions(pull_limit=2))
    assert summary2.received == 3
    if accepted:
        assert summary.sent == 1 and server.op_count(outbox_op_id(skewed, rid)) == 1
    else:
        assert summary.sent == 0
        kept = outbox.pending(skewed)
        assert [op["record_id"] for op in kept] == [rid], "kept to send later"
        assert outbox.errors(skewed)[0]["last_error"]["code"] == "sync.hlc_too_far_ahead"
        assert "date and time" in summary.describe()


def outbox_op_id(store: Store, record_id: str) -> str:
    return store.query("SELECT op_id FROM outbox WHERE record_id = ?", [record_id])[0]["op_id"]


def test_a_crash_between_applying_a_page_and_saving_its_cursor(tmp_path: Path,
                                                               server: Hub,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    """(8) The page is pulled again and applying it twice changes nothing."""
    a = device(tmp_path, "a", server)
    b = device(tmp_path, "b", server)
    ids = [records.create_record(a, "hh", "1", household(i), finalized=True) for i in range(4)]
    sync(a, server.url)
    real_save = Store.save_cursor
    calls = {"n": 0}

    def dying_save(self: Store, cursor: int, peer: str = "server") -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        real_save(self, cursor, peer)

    monkeypatch.setattr(Store, "save_cursor", dying_save)
    with pytest.raises(RuntimeError, match="power cut"):
        sync(b, server.url, options=SyncOptions(pull_limit=2))
    monkeypatch.setattr(Store, "save_cursor", real_save)
    assert b.cursor() == 2
    # Even a page applied twice (as if the cursor were lost after the commit) is harmless.
    from field_app.core import inbox
    api = api_for(server.url, b)
    inbox.apply_page(b, api.pull(0, 4))
    api.transport.close()
    sync(b, server.url)
    for rid in ids:
        assert records.get_record(b, rid)["answers"] == records.get_record(a, rid)["answers"]
        assert records.get_record(b, rid)["conflicts"] == []
    assert b.cursor() == server.seq


def test_cancelling_keeps_what_was_acked(tmp_path: Path, server: Hub) -> None:
    """Stop pressed once the first batch is acked: the batch already on its way then
    (sent while the first answer was recorded) is finished and kept, no other is sent,
    and the next sync sends the rest."""
    a = device(tmp_path, "a", server)
    for i in range(30):
        records.create_record(a, "hh", "1", household(i), finalized=True)
    stop = threading.Event()

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "push" and done >= 10:
            stop.set()

    summary, _ = sync(a, server.url, options=SyncOptions(max_ops=10), progress=progress,
                      cancel=stop)
    assert summary.sent == 20 and "stopped" in summary.describe().lower()
    assert len(outbox.pending(a)) == 10 and len(server.log) == 20
    summary, _ = sync(a, server.url)
    assert summary.sent == 10 and len(server.log) == 30


def test_an_answer_not_recorded_is_acked_again(tmp_path: Path, server: Hub,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The tablet's disk fills while it records the second batch's answer: the third
    batch, already on its way, still reaches the server but its answer is dropped with
    the second's; nothing is lost, and the next sync gets both acked (the server keeps
    ops by id, so none is stored twice)."""
    a = device(tmp_path, "a", server)
    for i in range(30):
        records.create_record(a, "hh", "1", household(i), finalized=True)
    real_acked = outbox.mark_acked
    calls: list[int] = []

    def filling(store: Store, op_ids: list[str]) -> None:
        calls.append(len(op_ids))
        if len(calls) == 2:
            raise StoreFullError("The tablet's storage is full.")
        real_acked(store, op_ids)

    monkeypatch.setattr(outbox, "mark_acked", filling)
    summary, _ = sync(a, server.url, options=SyncOptions(max_ops=10))
    assert not summary.ok and "full" in summary.describe()
    assert summary.sent == 10 and len(outbox.pending(a)) == 20
    assert len(server.log) == 30  # the batch in flight arrived all the same
    monkeypatch.setattr(outbox, "mark_acked", real_acked)
    summary, _ = sync(a, server.url)
    assert summary.ok and summary.sent == 20 and not outbox.pending(a)
    assert len(server.log) == 30 and all(server.op_count(op.op_id) == 1 for op in server.log)


def test_attachment_upload_resumes_after_drops(tmp_path: Path, server: Hub) -> None:
    """(7) The link dies mid-upload: offsets only grow, the file arrives intact."""
    photo = tmp_path / "house.jpg"
    photo.write_bytes(os.urandom(1_300_000))
    a = device(tmp_path, "a", server)
    rid = records.create_record(a, "hh", "1", household(1), finalized=True)
    sha = attachments.add_attachment(a, photo, rid)
    proxy = FaultProxy(server.port)
    proxy.faults.cut_after_bytes, proxy.faults.cuts = 300_000, 3
    offsets: list[int] = []
    real_chunk = SyncApi.attachment_chunk

    def watching(self: SyncApi, sha256: str, offset: int, *args: object):
        offsets.append(offset)
        return real_chunk(self, sha256, offset, *args)

    SyncApi.attachment_chunk = watching  # type: ignore[method-assign]
    try:
        summary, _ = sync(a, proxy.url, options=SyncOptions(chunk_size=128 * 1024))
    finally:
        SyncApi.attachment_chunk = real_chunk  # type: ignore[method-assign]
        proxy.close()
    assert summary.ok, summary.describe()
    assert proxy.cut_count == 3
    blob = server.blob(sha)
    assert blob is not None and hashlib.sha256(blob).hexdigest() == sha
    chunks = -(-1_300_000 // (128 * 1024))
    resent = len(offsets) - chunks
    assert 0 <= resent <= proxy.cut_count, "at most one chunk re-sent per drop"
    assert attachments.pending_uploads(a) == []
    row = a.query("SELECT uploaded_offset FROM attachments")[0]
    assert row["uploaded_offset"] == 1_300_000


def test_unenrolled_device_and_bad_code(tmp_path: Path, server: Hub) -> None:
    from client.errors import SyncError
    from field_app.core.errors import NotEnrolledError
    store = open_store(tmp_path / "x.db")
    api = api_for(server.url)
    with pytest.raises(NotEnrolledError):
        run_sync(store, api)
    with pytest.raises(SyncError) as err:
        enrol(store, api, "WRONG-CODE-1234")
    assert err.value.code == "auth.enrolment_code_invalid"
    api.transport.close()


def test_ops_the_server_refuses_for_good_are_parked(tmp_path: Path, server: Hub) -> None:
    a = device(tmp_path, "a", server)
    rid = records.create_record(a, "hh", "1", household(1), finalized=True)
    sync(a, server.url)
    # Another op claims the same record under a different form: never acceptable.
    op = make_op("edit", clock=a.clock, device_id=a.device.device_id, record_id=rid,
                 form_id="profile", form_version="1", fields={"x": 1}, heads={})
    with a.transaction():
        outbox.append(a, op, ready=True)
    summary, _ = sync(a, server.url)
    assert not summary.ok and "refused" in summary.describe()
    assert outbox.counts(a).parked == 1
    assert new_uuid7()  # ids still come from the protocol module


@contextlib.contextmanager
def push_sizes() -> Iterator[list[int]]:
    """The number of ops of every push request sent meanwhile, in order."""
    sizes: list[int] = []
    real_send = SyncApi.send_push

    def watching(self: SyncApi, prepared: PreparedPush, attempts: int | None = None):
        sizes.append(len(prepared.op_ids))
        return real_send(self, prepared, attempts)

    SyncApi.send_push = watching  # type: ignore[method-assign]
    try:
        yield sizes
    finally:
        SyncApi.send_push = real_send  # type: ignore[method-assign]


def test_every_batch_is_marked_attempted_in_the_store_before_it_is_sent(
        tmp_path: Path, server: Hub) -> None:
    """An op that may reach the server is never folded into a later one: each batch's
    ops are counted as attempted, and committed, before its request leaves, and each
    once. (Read from another connection, as after a crash at that moment.)"""
    import sqlite3

    a = device(tmp_path, "a", server)
    for i in range(10):
        records.create_record(a, "hh", "1", household(i), finalized=True)
    seen: list[list[int]] = []
    real_send = SyncApi.send_push

    def checking(self: SyncApi, prepared: PreparedPush, attempts: int | None = None):
        other = sqlite3.connect(tmp_path / "a.db")
        try:
            marks = dict(other.execute(
                f"SELECT op_id, attempts FROM outbox WHERE op_id IN "
                f"({','.join('?' * len(prepared.op_ids))})", prepared.op_ids).fetchall())
        finally:
            other.close()
        seen.append([marks[i] for i in prepared.op_ids])
        return real_send(self, prepared, attempts)

    SyncApi.send_push = checking  # type: ignore[method-assign]
    try:
        summary, _ = sync(a, server.url, options=SyncOptions(max_ops=3))
    finally:
        SyncApi.send_push = real_send  # type: ignore[method-assign]
    assert summary.ok and summary.sent == 10, summary.describe()
    assert [len(batch) for batch in seen] == [3, 3, 3, 1]
    assert all(n == 1 for batch in seen for n in batch), seen


def test_batches_shrink_when_the_server_is_slower_than_the_timeout(tmp_path: Path,
                                                                   server: Hub) -> None:
    """A big batch takes the server longer than the tablet waits: smaller batches get
    through, and what the server applied from the timed-out batches is not doubled."""
    a = device(tmp_path, "a", server)
    for i in range(24):
        records.create_record(a, "hh", "1", household(i), finalized=True)
    api = SyncApi(HttpTransport(server.url, a.device.token, retry=FAST_RETRY, timeout_s=1))
    with push_sizes() as sizes:

        def slow_for_big_batches() -> None:
            if sizes and sizes[-1] > 6:
                time.sleep(1.5)

        server.before_push_reply = slow_for_big_batches
        try:
            summary = run_sync(a, api)
        finally:
            server.before_push_reply = None
            api.transport.close()
    assert summary.ok and summary.sent == 24, summary.describe()
    assert sizes[0] == 24 and min(sizes) <= 6
    assert len(server.log) == 24 and outbox.pending(a) == []


def test_editing_while_a_sync_runs_in_the_background(tmp_path: Path, server: Hub) -> None:
    """The app keeps saving while the sync thread pushes and pulls on the same store."""
    a = device(tmp_path, "a", server)
    ids = [records.create_record(a, "hh", "1", household(i), finalized=True) for i in range(5)]
    stop = threading.Event()
    errors: list[BaseException] = []

    def background() -> None:
        while not stop.is_set():
            try:
                sync(a, server.url, options=SyncOptions(max_ops=3))
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)
                return

    thread = threading.Thread(target=background)
    thread.start()
    saved = []
    for i in range(60):
        saved.append(records.save_answer(a, ids[i % 5], "rent", 2000 + i))
    stop.set()
    thread.join(30)
    assert not errors, errors
    summary, _ = sync(a, server.url)
    assert summary.ok and outbox.pending(a) == []
    assert check_store(a) == []
    assert all(server.op_count(op_id) == 1 for op_id in saved)
    for i, rid in enumerate(ids):
        assert records.get_record(a, rid)["answers"]["rent"] == 2000 + 55 + i


def test_a_cut_link_does_not_shrink_the_batches(tmp_path: Path, server: Hub) -> None:
    """A reset connection is the link going away, not a batch too big: the batch goes
    again whole (a timeout, above, is what shrinks batches)."""
    proxy = FaultProxy(server.port)
    a = device(tmp_path, "a", server)
    for i in range(40):
        records.create_record(a, "hh", "1", household(i), finalized=True)
    # Both tries of the first push are cut (reset) mid-way through the body.
    proxy.faults.cut_after_bytes, proxy.faults.cuts, proxy.faults.reset = 1_500, 2, True
    try:
        with push_sizes() as sizes:
            first, _ = sync(a, proxy.url)
            assert proxy.cut_count == 2 and not first.ok
            assert sizes == [40]  # no halving: the sync ends, nothing is lost
            second, _ = sync(a, proxy.url)
    finally:
        proxy.close()
    assert second.ok and second.sent == 40, second.describe()
    assert sizes == [40, 40]  # the next sync sends the batch again whole
    assert len(server.log) == 40


def test_a_household_saved_while_the_push_runs_goes_with_it(tmp_path: Path,
                                                            server: Hub) -> None:
    """The outbox is read a page at a time as batches are made: what the enumerator
    saves while the first batches are on their way is sent by the same sync, after
    them, and nothing is sent twice."""
    a = device(tmp_path, "a", server)
    first = [records.create_record(a, "hh", "1", household(i), finalized=True)
             for i in range(7)]
    later: list[str] = []
    real_send = SyncApi.send_push

    def saving_meanwhile(self: SyncApi, prepared: PreparedPush, attempts: int | None = None):
        if not later:  # while the first batch is on its way
            later.append(records.create_record(a, "hh", "1", household(99), finalized=True))
        return real_send(self, prepared, attempts)

    SyncApi.send_push = saving_meanwhile  # type: ignore[method-assign]
    try:
        with push_sizes() as sizes:
            summary, _ = sync(a, server.url, options=SyncOptions(max_ops=3))
    finally:
        SyncApi.send_push = real_send  # type: ignore[method-assign]
    assert summary.ok and summary.sent == 8, summary.describe()
    # In outbox order: the later household travels in the last request (with the
    # seventh, or after it, as the sync found it when it read that far).
    assert sizes[:2] == [3, 3] and sum(sizes) == 8 and sizes[-1] in (1, 2), sizes
    assert outbox.pending(a) == [] and len(server.log) == 8
    assert [op.record_id for op in server.log][-1] == later[0]
    assert {op.record_id for op in server.log} == {*first, *later}
