"""One sync of a device with its server: push the outbox, pull changes, upload files.

    summary = run_sync(store, api, progress=show, cancel=stop_event)

Safe to stop at any point (the `cancel` event is checked between batches, pages and
chunks; the app being killed is covered by the store's transactions):
- an op leaves the outbox only when the server acked it; a batch that was sent but
  not acked is sent again and the server re-acks it without storing it twice;
- a pulled page and its cursor are saved together, once the page is applied (the next
  page, fetched meanwhile, is only in memory until then);
- an attachment resumes from the offset the server reports.
Progress is reported as `progress(phase, done, total)` with phase one of
"push", "pull", "forms", "attachments".
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from client.ahead import Ahead
from client.api import PreparedPush, SyncApi
from client.errors import SyncCancelled, SyncError
from client.pull_ahead import PullAhead
from field_app.core import attachments, bundles, inbox, outbox
from field_app.core.errors import NotEnrolledError, StoreError
from field_app.core.pins import keep_pins, learn_pins
from field_app.core.store import Store
from sync.batching import DEFAULT_MAX_BYTES, DEFAULT_MAX_OPS, plan_batches
from sync.codes import BATCH_TOO_LARGE, CURSOR_INVALID, Rejection
from sync.messages import PushResponse, QueuedOp
from sync.summary import SyncSummary

ProgressFn = Callable[[str, int, int], None]

#: Push failures that a smaller batch may get through: a body over the server's limit,
#: or a timeout (the server may take longer than the tablet waits on a big batch; see
#: `_worth_shrinking`).
SHRINK_ON = frozenset({"sync.network", BATCH_TOO_LARGE, "request.too_large", "http.413"})
#: Halvings per sync (1000 ops -> 62): beyond that the link is down, not the batch too big.
MAX_SHRINKS = 4


@dataclass(frozen=True)
class SyncOptions:
    max_ops: int = DEFAULT_MAX_OPS
    max_bytes: int = DEFAULT_MAX_BYTES
    pull_limit: int = 1000
    chunk_size: int = attachments.DEFAULT_CHUNK


class _Outgoing:
    """The outbox's ready ops as push batches, read a page at a time as the batches
    are made: a tablet with 10,000 households waiting starts sending once the first
    1,000 are read (reading all of them took ~40 ms of a push of 1.2 s). An op queued
    while the push runs (a household saved meanwhile) goes out with it."""

    def __init__(self, store: Store, max_ops: int, max_bytes: int) -> None:
        self.store, self.max_ops, self.max_bytes = store, max_ops, max_bytes
        self.page = max_ops
        self.queue: list[QueuedOp] = []  # read, not yet in a batch
        self.after = 0  # the outbox position of the last op read
        self.read_all = False  # the last page read was short: no need to read on yet

    def next_batch(self) -> list[QueuedOp] | None:
        """The next batch within the limits, in outbox order; None when none is left."""
        if not self.queue:
            self.read_all = False  # look again: ops may have been queued since
        while len(self.queue) < self.max_ops and not self.read_all:
            ops, self.after = outbox.pending_page(self.store, self.after, self.page)
            self.queue.extend(ops)
            self.read_all = len(ops) < self.page
        if not self.queue:
            return None
        # A batch never holds more than max_ops ops: planning those is enough.
        batch = plan_batches(self.queue[:self.max_ops], self.max_ops, self.max_bytes)[0]
        del self.queue[:len(batch)]
        return batch

    def put_back(self, batches: list[list[QueuedOp]], max_ops: int) -> None:
        """Batches made but not delivered go first again, in batches of `max_ops`."""
        self.queue[:0] = [op for batch in batches for op in batch]
        self.max_ops = max_ops


@dataclass
class _Tally:
    sent: int = 0
    received: int = 0
    server_conflicts: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    forms: set[tuple[str, str]] = field(default_factory=set)


def _conflicted(store: Store) -> set[tuple[str, str]]:
    # conflict_notices has a row exactly for the fields whose conflict flag is set, and
    # is small; the fields table has a row per answer (a scan took ~40 ms per 5,000
    # households, twice per sync).
    return {(r["record_id"], r["path"]) for r in store.query(
        "SELECT record_id, path FROM conflict_notices")}


def _worth_shrinking(exc: SyncError) -> bool:
    """A network failure shrinks the batches only when the batch may be what failed: a
    timeout, or the server hanging up without an answer (a worker killed for taking too
    long does that). A reset or refused connection is the link going away: a smaller
    batch is no more likely to get through, and halving after a cut made the rest of the
    sync 16 requests instead of 1 (3G benchmark). The batch goes again whole, now or at
    the next sync."""
    if exc.code == "sync.network":
        return isinstance(exc.__cause__, TimeoutError | http.client.RemoteDisconnected)
    return exc.code in SHRINK_ON


class SyncRunner:
    def __init__(self, store: Store, api: SyncApi, options: SyncOptions = SyncOptions(),
                 progress: ProgressFn | None = None,
                 cancel: threading.Event | None = None) -> None:
        self.store = store
        self.api = api
        self.options = options
        self.progress = progress or (lambda phase, done, total: None)
        self.cancel = cancel or threading.Event()
        self.tally = _Tally()
        restore_network(store, api)  # what earlier syncs measured decides the compression

    def _check_cancel(self) -> None:
        if self.cancel.is_set():
            raise SyncCancelled()

    def run(self) -> SyncSummary:
        """Push, pull, fetch announced forms, upload files; never raises for sync errors."""
        if not self.store.device.enrolled:
            raise NotEnrolledError("This tablet is not enrolled yet: enter the code from "
                                   "your federation leader first.")
        before = _conflicted(self.store)
        try:
            self.push()
            self.pull()
            self.fetch_forms()
            self.upload_attachments()
        except (SyncError, StoreError) as exc:
            self.tally.errors.append(str(exc))
        finally:
            save_network(self.store, self.api)
            with contextlib.suppress(StoreError):  # a full disk: learnt at the next sync
                learn_pins(self.store, self.api.transport)
        new_conflicts = len(_conflicted(self.store) - before)
        t = self.tally
        return SyncSummary(sent=t.sent, received=t.received, conflicts=new_conflicts,
                           rejected=tuple(t.rejected), errors=tuple(t.errors),
                           parked=outbox.counts(self.store).parked)

    # -- phases ---------------------------------------------------------------------------
    def push(self) -> None:
        """Send the outbox in batches. While one batch is sent, the next one's body is
        made (its compression: bzip2 on a slow link is seconds of a tablet's CPU) and
        the answer to the previous one is recorded, so the tablet's work overlaps the
        server's and the link's (client.ahead). The outbox is read a page at a time as
        batches are made (`_Outgoing`): the first batch leaves once its own ops are read,
        not the whole outbox. Each batch is marked attempted, in the store, when its body
        is made, before it is sent (a batch made and then dropped, by Stop or by halving
        the batches after a failure, counts as an attempt too); an answer not recorded (a
        crash, a full disk) leaves its ops pending, and the server acks them again at the
        next sync."""
        total = outbox.counts(self.store).ready
        if not total:
            return  # nothing to send: no request (a no-op sync is a single pull)
        self.progress("push", 0, total)
        sender: Ahead[PushResponse] = Ahead("hesabu-push-ahead")
        try:
            self._push_batches(self.store.device.device_id, total, sender)
        finally:
            sender.close()  # an answer not recorded: those ops are sent again next time

    def _push_batches(self, device_id: str, total: int, sender: Ahead[PushResponse]) -> None:
        done, shrinks = 0, 0
        outgoing = _Outgoing(self.store, self.options.max_ops, self.options.max_bytes)

        def prepare() -> tuple[list[QueuedOp], PreparedPush] | None:
            # The next batch, marked attempted as its body is made (before it is sent,
            # as the outbox requires; its ops are never folded from now on), while the
            # batch before it is on its way: the store's work is then not between two
            # requests.
            batch = outgoing.next_batch()
            if batch is None:
                return None
            outbox.mark_attempted(self.store, [op.op_id for op in batch])
            return batch, self.api.prepare_push(device_id, batch)

        ready = prepare()
        flight: list[QueuedOp] | None = None  # the batch being sent

        def send_next() -> None:
            nonlocal ready, flight
            assert ready is not None
            flight, body = ready
            # Two tries here: a batch that keeps failing is split rather than resent whole.
            sender.start(functools.partial(self.api.send_push, body, attempts=2))
            ready = prepare()

        while ready is not None or flight is not None:
            if flight is None:
                self._check_cancel()
                send_next()
            batch = flight
            assert batch is not None
            try:
                answer = sender.result()
            except SyncError as exc:
                flight = None
                if not _worth_shrinking(exc) or len(batch) == 1 or shrinks >= MAX_SHRINKS:
                    raise
                shrinks += 1
                # Too slow or too big for this link or server: halve the batches from
                # here on. The server may have applied the failed batch; it re-acks it.
                outgoing.put_back([batch, *([ready[0]] if ready is not None else [])],
                                  max(1, len(batch) // 2))
                ready = prepare()
                continue
            flight = None
            if ready is not None and not self.cancel.is_set():
                send_next()  # before recording this answer: the two overlap
            self._record_push(batch, answer)
            done += len(batch)
            self.progress("push", done, max(total, done))

    def _record_push(self, batch: list[QueuedOp], answer: PushResponse) -> None:
        ids = [op.op_id for op in batch]
        outbox.mark_acked(self.store, list(answer.acked))
        if answer.rejected:
            outbox.mark_rejected(self.store, [r.to_wire() for r in answer.rejected])
            self.tally.rejected.extend(answer.rejected)
        self.tally.sent += len(set(answer.acked) & set(ids))
        self.tally.server_conflicts += answer.conflicts
        if answer.server_hlc:
            with self.store.transaction():
                if answer.server_hlc > (self.store.clock.last or ""):
                    self.store.receive_hlc(answer.server_hlc)

    def pull(self) -> None:
        """Pull pages until the server has no more. The next page is fetched while this
        one is applied (client.pull_ahead: on a slow link its transfer overlaps the
        store's work); a page and its cursor are saved together, only once applied."""
        ahead = PullAhead(self.api, self.options.pull_limit)
        try:
            self._pull_pages(ahead)
        finally:
            ahead.close()  # a page fetched ahead and not applied is fetched again

    def _pull_pages(self, ahead: PullAhead) -> None:
        cursor = self.store.cursor()
        pages = 0
        while True:
            self._check_cancel()
            if not ahead.busy:
                ahead.start(cursor)
            try:
                page = ahead.result()
            except SyncError as exc:
                if exc.code != CURSOR_INVALID or cursor == 0:
                    raise
                # Our cursor is beyond the server's changes (a restored server, another
                # server): start again from 0; re-applying what we have is harmless.
                cursor = 0
                continue
            if page.has_more and page.next_cursor == cursor:
                raise SyncError("The server said there is more but gave nothing; "
                                "try again later.", code="sync.bad_response", retryable=True)
            if page.has_more and not self.cancel.is_set():
                ahead.start(page.next_cursor)
            result = inbox.apply_page(self.store, page)
            self.tally.received += result.received
            self.tally.forms.update(result.forms)
            pages += 1
            cursor = page.next_cursor
            self.progress("pull", pages, pages + (1 if page.has_more else 0))
            if not page.has_more:
                return

    def fetch_forms(self) -> None:
        wanted = sorted(f for f in self.tally.forms if self.store.form(*f) is None)
        for i, (form_id, version) in enumerate(wanted, start=1):
            self._check_cancel()
            self.store.save_form(self.api.form(form_id, version))
            self.progress("forms", i, len(wanted))

    def upload_attachments(self) -> None:
        rows = attachments.pending_uploads(self.store)
        for i, row in enumerate(rows, start=1):
            self._check_cancel()
            name = Path(row["path"]).name
            try:
                attachments.upload_attachment(self.store, self.api, row,
                                              chunk_size=self.options.chunk_size,
                                              cancel=self.cancel)
            except OSError:
                # One missing file must not hold back the others (or the next sync).
                self.tally.errors.append(f"The file {name} is no longer on this tablet, "
                                         "so it could not be sent.")
            except SyncError as exc:
                if exc.retryable or isinstance(exc, SyncCancelled):
                    raise
                self.tally.errors.append(f"The server refused the file {name}: {exc}")
            self.progress("attachments", i, len(rows))


def _network_key(api: SyncApi) -> str:
    # "link <url>": the settings key of stores written before the meter was renamed.
    return f"link {api.transport.base_url}"


def restore_network(store: Store, api: SyncApi) -> None:
    """What earlier syncs learned about this server's network (see client.network)."""
    api.transport.network.restore(store.get_setting(_network_key(api)))


def save_network(store: Store, api: SyncApi) -> None:
    with contextlib.suppress(StoreError):  # a full disk: the next sync measures again
        store.set_setting(_network_key(api), api.transport.network.state())


def run_sync(store: Store, api: SyncApi, *, options: SyncOptions = SyncOptions(),
             progress: ProgressFn | None = None,
             cancel: threading.Event | None = None) -> SyncSummary:
    """Sync once; the summary says in plain words what happened and what to do."""
    return SyncRunner(store, api, options, progress, cancel).run()


def enrol(store: Store, api: SyncApi, code: str) -> None:
    """Exchange an enrolment code for a token and keep it in the store."""
    device = store.device
    answer = api.enrol(code, device.device_id, device.name or device.device_id[:8],
                       public_key=bundles.device_public_key(store),
                       private_key=bundles.device_private_key(store))
    if device.server_url and device.server_url != api.transport.base_url.rstrip("/"):
        # Another server (e.g. the central one after a hub) numbers its changes
        # differently: pull it from the start; re-applying what we have is harmless.
        store.save_cursor(0)
    store.set_server(url=api.transport.base_url, token=answer["token"])
    keep_pins(store, api.transport.base_url, api.transport.pins)
    bundles.remember_server_key(store, answer.get("bundle_key"))
    save_network(store, api)  # the enrolment told the server's protocol and round trip
