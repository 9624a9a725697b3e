"""The office hub: a Hesabu server on SQLite that tablets sync with, relaying to the
central (upstream) server with the same protocol whenever a link appears.

- Push: every op the hub received from its tablets (HTTP or bundle) goes upstream
  exactly as it was written (same op id, same device id), in the hub's sequence order,
  with the hub's own device token. `push_seq` moves past a batch only once upstream
  answered for it, so an interrupted push resumes where it stopped and a batch that was
  applied but whose answer was lost is simply acked again.
- Files: complete attachments are uploaded with the resumable chunk protocol.
- Pull: the hub pulls upstream's change feed with its own cursor (forms first, then
  ops) and applies it through the same `push_ops` path, marked as pushed by
  `UPSTREAM`, so conflicts found upstream exist on the hub and reach its tablets.

Upstream, a device may only push ops written by other devices if it is a relay
(`RelayDevice`, created with `hesabu hub allow HUB_ID`): see `relay_rejections`.
`HESABU_RELAY_ONLY_FROM_HUBS = False` turns the check off.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from flask import Flask, current_app
from sqlalchemy import Text, cast, func, select

from client.ahead import Ahead
from client.api import SyncApi
from client.errors import SyncError
from client.transport import HttpTransport, RetryPolicy
from client.uploads import offset_after
from server.errors import ApiError
from server.extensions import begin_write, db
from server.models import Attachment, HubLink, HubUpload, RelayDevice
from server.models import Op as OpRow
from server.models.attachments import COMPLETE
from server.models.types import utcnow
from server.services.clock import server_clock
from server.services.forms import KnownForms, publish_form
from server.services.push import push_ops
from server.services.refusals import note_refusals
from sync.codes import CURSOR_INVALID, RELAY_FORBIDDEN, Rejection
from sync.hlc import wall_clock_ms
from sync.messages import PushResponse, QueuedOp
from sync.ops import Op
from sync.pins import pins_after

log = logging.getLogger(__name__)

#: `pushed_by` of the ops a hub pulled from its upstream (never pushed back).
UPSTREAM = "upstream"
_LINK = 1
#: The upstream is the time authority: its ops are not refused for clock drift.
_NO_DRIFT_LIMIT = 10 * 365 * 24 * 60 * 60 * 1000
CHUNK = 256 * 1024
#: What each upstream link taught this process (client.network: the server's
#: protocol, round trip, upload rate), by URL: the worker's next round starts from it.
_networks: dict[str, Any] = {}
#: (upstream URL, file) pairs this process has sent a chunk of; a file not in it goes
#: without a HEAD first.
_tried: set[tuple[str, str]] = set()


# -- upstream side: who may relay -------------------------------------------------------------
def allow_relay(device_id: str) -> None:
    """Let `device_id` (a hub enrolled here) push ops written by other devices."""
    session = db.session
    begin_write(session)
    if session.get(RelayDevice, device_id) is None:
        session.add(RelayDevice(device_id=device_id))
    session.commit()


def relay_rejections(pusher: str, ops: Sequence[Op]) -> tuple[list[Op], list[Rejection]]:
    """Split a push: ops the pusher may send, and rejections of ops written by other
    devices when the pusher is not a relay. Costs nothing when every op is its own."""
    foreign = [op for op in ops if op.device_id != pusher]
    if not foreign or not current_app.config.get("HESABU_RELAY_ONLY_FROM_HUBS", True):
        return list(ops), []
    allowed = db.session.get(RelayDevice, pusher) is not None
    db.session.rollback()
    if allowed:
        return list(ops), []
    return ([op for op in ops if op.device_id == pusher],
            [Rejection.of(op.op_id, RELAY_FORBIDDEN,
                          f"op {op.op_id} was written by {op.device_id}; only a hub allowed "
                          "with `hesabu hub allow` may relay other devices' ops")
             for op in foreign])


# -- hub side: the link ------------------------------------------------------------------------
def link_hub(upstream_url: str, code: str, hub_id: str, name: str,
             public_key: str | None = None, private_key: str | None = None,
             pin: str | None = None) -> None:
    """Enrol this hub as a device of the upstream server and keep its token (signing
    the enrolment with `private_key`, so the same hub id can link again) and the pin of
    the upstream's certificate, trusted from now on instead of an authority."""
    pins = [pin] if pin else None
    with HttpTransport(upstream_url, None, pins=pins or ()) as transport:
        answer = SyncApi(transport).enrol(code, hub_id, name, public_key=public_key,
                                          private_key=private_key)
    session = db.session
    begin_write(session)
    link = session.get(HubLink, _LINK)
    if link is None:
        session.add(HubLink(id=_LINK, upstream_url=upstream_url.rstrip("/"), device_id=hub_id,
                            token=answer["token"], push_seq=0, pull_cursor=0, tls_pins=pins))
    else:
        link.upstream_url, link.device_id, link.token = upstream_url.rstrip("/"), hub_id, \
            answer["token"]
        link.tls_pins = pins
    session.commit()


def set_upstream(url: str) -> None:
    """Point a linked hub at a new address of its upstream (e.g. a new IP)."""
    session = db.session
    begin_write(session)
    link = session.get(HubLink, _LINK)
    if link is None:
        session.rollback()
        raise ApiError("hub.not_linked", "this hub is not linked yet: run `hesabu hub link "
                                         "--upstream URL --code CODE` first")
    link.upstream_url = url.rstrip("/")
    session.commit()


def hub_status() -> dict[str, Any]:
    """Upstream link, last success, waiting ops and files, last error (JSON-ready)."""
    session = db.session
    link = session.get(HubLink, _LINK)
    if link is None:
        session.rollback()
        return {"linked": False}
    waiting = session.execute(select(func.count()).select_from(OpRow).where(
        OpRow.server_seq > link.push_seq, OpRow.pushed_by != UPSTREAM)).scalar_one()
    files = session.execute(select(func.count()).select_from(Attachment).where(
        Attachment.status == COMPLETE, Attachment.uploaded_by != UPSTREAM,
        Attachment.sha256.not_in(select(HubUpload.sha256)))).scalar_one()
    status = {
        "linked": True, "upstream_url": link.upstream_url, "hub_device_id": link.device_id,
        "last_attempt": _iso(link.last_attempt), "last_success": _iso(link.last_success),
        "last_error": link.last_error, "waiting_ops": waiting, "waiting_files": files,
        "push_seq": link.push_seq, "pull_cursor": link.pull_cursor,
    }
    session.rollback()
    return status


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass
class HubSyncResult:
    pushed: int = 0
    pulled: int = 0
    files: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    #: Seconds spent pushing ops, uploading files and pulling.
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_wire(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def _update_link(**values: Any) -> None:
    session = db.session
    begin_write(session)
    link = session.get(HubLink, _LINK)
    for key, value in values.items():
        setattr(link, key, value)
    session.commit()


class _Upstream(NamedTuple):
    """The hub's link as stored: where upstream is, who the hub is there, how far it got."""

    url: str
    hub_id: str
    token: str
    push_seq: int
    pull_cursor: int
    pins: tuple[str, ...]  # the certificate's pins (none: an authority's, or HTTP)


def _link() -> _Upstream:
    link = db.session.get(HubLink, _LINK)
    if link is None:
        db.session.rollback()
        raise ApiError("hub.not_linked", "this hub is not linked to an upstream server: run "
                                         "`hesabu hub link --upstream URL --code CODE`")
    found = _Upstream(link.upstream_url, link.device_id, link.token, link.push_seq,
                      link.pull_cursor, tuple(link.tls_pins or ()))
    db.session.rollback()
    return found


def sync_once(*, batch: int = 500, retry: RetryPolicy | None = None,
              timeout_s: float = 60.0) -> HubSyncResult:
    """Push what the tablets sent, upload files, pull what they need; safe to interrupt
    anywhere and to repeat. Network failures end up in the result (and the status)."""
    url, hub_id, token, _, _, pins = _link()
    result = HubSyncResult()
    _update_link(last_attempt=utcnow())
    try:
        with HttpTransport(url, token, timeout_s=timeout_s, pins=pins,
                           retry=retry or RetryPolicy(attempts=3)) as transport:
            transport.network.restore(_networks.get(url))
            api = SyncApi(transport)
            try:
                for phase, step in (("push", lambda: _push(api, hub_id, batch, result)),
                                    ("files", lambda: _upload_files(api, result)),
                                    ("pull", lambda: _pull(api, result))):
                    started = time.perf_counter()
                    step()
                    result.seconds[phase] = round(time.perf_counter() - started, 3)
            finally:
                _networks[url] = transport.network.state()
                learned = pins_after(pins, transport.pin_used, transport.next_pin)
                if learned != pins:  # the upstream announced its next certificate
                    _update_link(tls_pins=list(learned))
    except (SyncError, OSError) as exc:
        result.error = str(exc) or type(exc).__name__
        _update_link(last_error=result.error)
        return result
    if result.error is None:
        _update_link(last_success=utcnow(), last_error=None)
    else:
        _update_link(last_error=result.error)
    return result


def _push(api: SyncApi, hub_id: str, batch: int, result: HubSyncResult) -> None:
    """Relay the ops tablets sent, in batches, in server order. As on a tablet
    (field_app/core/sync_runner.py) the link stays busy: while batch N is on its way
    the next one is read and compressed, and once N is answered it is sent at once and
    N's answer recorded meanwhile (`client.ahead`: the HTTP call is the only work on the
    other thread; the database stays on this one)."""
    rows = _relay_rows(_link().push_seq, batch)
    if not rows:
        return
    sender: Ahead[PushResponse] = Ahead("hesabu-hub-push")
    try:
        sender.start(functools.partial(api.send_push, api.prepare_push(hub_id, _queued(rows))))
        flight = rows
        while flight:
            rows = _relay_rows(flight[-1].server_seq, batch)
            body = api.prepare_push(hub_id, _queued(rows)) if rows else None
            answer = sender.result()
            if body is not None:
                sender.start(functools.partial(api.send_push, body))  # before recording
            if not _record_relay(flight, answer, result):
                return  # upstream asks to wait: what is on its way is relayed again later
            flight = rows
    finally:
        sender.close()  # an answer not recorded: those ops are relayed again next time


def _relay_rows(after_seq: int, batch: int) -> list[Any]:
    """The next `batch` ops to relay after `after_seq`, with their stored JSON text as it
    is (the op's wire form, as received): decoding and re-encoding it in canonical form
    was a fifth of a relay."""
    rows = db.session.execute(
        select(OpRow.server_seq, OpRow.op_id, cast(OpRow.payload, Text).label("text"),
               OpRow.pushed_by)
        .where(OpRow.server_seq > after_seq, OpRow.pushed_by != UPSTREAM)
        .order_by(OpRow.server_seq).limit(batch)).all()
    db.session.rollback()
    return list(rows)


def _queued(rows: Sequence[Any]) -> list[QueuedOp]:
    return [QueuedOp(r.op_id, r.text) for r in rows]


def _record_relay(rows: Sequence[Any], answer: PushResponse, result: HubSyncResult) -> bool:
    """Keep upstream's answer to a relayed batch; False if it asks to retry later (the
    relay then stops there, to keep the order)."""
    if answer.server_hlc:
        server_clock().receive([answer.server_hlc])
    waiting = {r.op_id for r in answer.rejected if r.retryable}
    result.rejected.extend(r.to_wire() for r in answer.rejected if not r.retryable)
    done = _link().push_seq
    for row in rows:
        if row.op_id in waiting:
            break  # keep order: retry from here next time
        done = row.server_seq
    result.pushed += sum(1 for r in rows if r.server_seq <= done)
    _note_upstream_refusals(rows, answer.acked, answer.rejected)
    _update_link(push_seq=done)
    if waiting:
        first = next(r for r in answer.rejected if r.retryable)
        result.error = f"upstream asks to retry later: [{first.code}] {first.message}"
        return False
    return True


def _note_upstream_refusals(rows: Sequence[Any], acked: Sequence[str],
                            rejected: Sequence[Rejection]) -> None:
    """Keep upstream's refusals with the tablet each op came from, so the hub's leader
    sees them on the devices page; forget those upstream now accepted."""
    came_from = {row.op_id: row.pushed_by for row in rows}
    by_device: dict[str, tuple[list[str], list[Rejection]]] = {}
    for op_id in acked:
        if op_id in came_from:
            by_device.setdefault(came_from[op_id], ([], []))[0].append(op_id)
    for rejection in rejected:
        if rejection.op_id in came_from:
            by_device.setdefault(came_from[rejection.op_id], ([], []))[1].append(rejection)
    session = db.session
    begin_write(session)
    for device_id, (accepted, refused) in by_device.items():
        note_refusals(session, device_id, refused, accepted, upstream=True)
    session.commit()


def _upload_files(api: SyncApi, result: HubSyncResult) -> None:
    root = Path(current_app.instance_path)
    rows = db.session.execute(select(Attachment.sha256, Attachment.size,
                                     Attachment.storage_path).where(
        Attachment.status == COMPLETE, Attachment.uploaded_by != UPSTREAM,
        Attachment.sha256.not_in(select(HubUpload.sha256)))
        .order_by(Attachment.sha256)).all()
    db.session.rollback()
    for sha, size, storage_path in rows:
        try:
            _upload_file(api, root / storage_path, sha, size)
        except (OSError, SyncError) as exc:
            if isinstance(exc, SyncError) and exc.retryable:
                raise  # the link: stop here, resume next round
            # One unreadable or refused file must not hold back the others or the pull.
            result.error = f"file {sha} was not sent: {exc}"
            continue
        session = db.session
        begin_write(session)
        if session.get(HubUpload, sha) is None:
            session.add(HubUpload(sha256=sha))
        session.commit()
        result.files += 1


def _upload_file(api: SyncApi, path: Path, sha: str, size: int) -> None:
    """Send one file from where upstream has it. A file this process never sent a chunk
    of starts at 0 without asking (a 409 names upstream's offset), as tablets do."""
    key = (api.transport.base_url, sha)
    offset = api.attachment_offset(sha) if key in _tried else 0
    _tried.add(key)
    with open(path, "rb") as fh:
        while offset < size:
            fh.seek(offset)
            chunk = fh.read(CHUNK)
            if not chunk:
                raise OSError(f"{path} is shorter than its {size} bytes")
            resp = api.attachment_chunk(sha, offset, size, chunk,
                                        hashlib.sha256(chunk).hexdigest())
            offset = offset_after(api, sha, offset, len(chunk), resp, path)


def _pull(api: SyncApi, result: HubSyncResult) -> None:
    cursor = _link().pull_cursor
    while True:
        try:
            page = api.pull(cursor, 1000)
        except SyncError as exc:
            if exc.code != CURSOR_INVALID or cursor == 0:
                raise
            cursor = 0  # upstream was restored: re-pull, re-applying is harmless
            continue
        known = KnownForms(db.session)
        for form_id, version in page.forms:
            if not known(form_id, version):
                db.session.rollback()
                publish_form(api.form(form_id, version))
        db.session.rollback()
        if page.ops:
            applied = push_ops(UPSTREAM, page.ops, now_ms=wall_clock_ms(),
                               max_drift_ms=_NO_DRIFT_LIMIT)
            server_clock().receive(list(applied.applied_hlcs))
            result.pulled += len(applied.applied_hlcs)
            result.rejected.extend(r.to_wire() for r in applied.rejected)
        if page.server_hlc:
            server_clock().receive([page.server_hlc])
        _update_link(pull_cursor=page.next_cursor)
        cursor = page.next_cursor
        if not page.has_more:
            return


class HubWorker:
    """Syncs upstream in the background: every `interval_s` while it works, backing off
    (doubling up to `max_backoff_s`) while the link is down."""

    def __init__(self, app: Flask, interval_s: float = 30.0, max_backoff_s: float = 600.0,
                 retry: RetryPolicy | None = None) -> None:
        self.app = app
        self.retry = retry
        self.interval_s = interval_s
        self.max_backoff_s = max_backoff_s
        self.stop_event = threading.Event()
        self.wake_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="hesabu-hub", daemon=True)

    def start(self) -> HubWorker:
        self.thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        self.wake_event.set()
        self.thread.join(timeout)

    def _run(self) -> None:
        delay = self.interval_s
        while not self.stop_event.is_set():
            with self.app.app_context():
                try:
                    outcome = sync_once(retry=self.retry)
                    ok = outcome.ok
                except Exception:  # keep the worker alive; the status shows the error
                    log.exception("hub sync failed")
                    ok = False
                finally:
                    db.session.remove()
            delay = self.interval_s if ok else min(self.max_backoff_s, max(delay, 1.0) * 2)
            self.wake_event.wait(delay)
            self.wake_event.clear()
