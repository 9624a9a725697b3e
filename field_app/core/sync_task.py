"""Sync from the app: on a worker thread, cancellable, with progress and plain words.

    task = SyncTask(store_path, post=ui_clock_call)
    task.start(on_progress=..., on_done=...)    # both called through `post`
    task.cancel()                               # stops between batches; nothing is lost

The worker opens its own connection to the store (SQLite in WAL mode lets the screens
keep reading and saving while it runs). `post(fn, *args)` is how results get back to
the UI thread: the Kivy app passes a function that schedules on its clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from client.api import SyncApi
from client.errors import SyncCancelled, SyncError
from client.transport import HttpTransport
from field_app.core import outbox
from field_app.core.errors import StoreError, StoreFullError
from field_app.core.i18n import _
from field_app.core.pins import server_pins
from field_app.core.store import Store, open_store
from field_app.core.sync_runner import SyncRunner, enrol
from sync.summary import SyncSummary

Post = Callable[..., None]

#: Phases as the sync screen names them, in order.
PHASES = ("push", "pull", "forms", "attachments")


def phase_label(phase: str) -> str:
    return {"push": _("Sending records"), "pull": _("Receiving updates"),
            "forms": _("Receiving forms"), "attachments": _("Sending photos")}.get(phase, phase)


@dataclass(frozen=True)
class Outcome:
    """How a sync ended, in words for the enumerator."""

    ok: bool
    headline: str
    advice: str = ""
    summary: SyncSummary | None = None
    details: tuple[str, ...] = field(default=())


def describe(summary: SyncSummary) -> str:
    """What a finished sync did, in the app's language (SyncSummary.describe is English)."""
    if not (summary.sent or summary.received or summary.conflicts or summary.rejected
            or summary.errors or summary.parked):
        return _("Everything is up to date.")
    lines = [_("Sent: {sent}. Received: {received}.").format(sent=summary.sent,
                                                             received=summary.received)]
    if summary.conflicts:
        lines.append(_("Answers changed on two tablets: {n}. A leader will choose.").format(
            n=summary.conflicts))
    if summary.waiting:
        lines.append(_("Kept on this tablet to send later: {n}.").format(
            n=len(summary.waiting)))
    if summary.refused:
        lines.append(_("Refused by the server: {n}. Tell your leader: {why}").format(
            n=len(summary.refused), why=summary.refused[0].message))
    earlier = summary.parked - len(summary.refused)
    if earlier > 0:
        lines.append(_("Refused earlier and kept on this tablet: {n}.").format(n=earlier))
    lines.extend(summary.errors)
    return " ".join(lines)


#: Reasons shown under a sync's outcome, at most.
MAX_REASONS = 3


def refusal_details(store: Store) -> tuple[str, ...]:
    """Why changes are kept aside on this tablet, one line per reason (the server's
    words, which name the change), and what to do about them."""
    parked: dict[str, tuple[int, str]] = {}
    for row in outbox.errors(store):
        if row["ready"] == outbox.PARKED:
            code = str(row["last_error"].get("code"))
            count, message = parked.get(code, (0, str(row["last_error"].get("message"))))
            parked[code] = (count + 1, message)
    if not parked:
        return ()
    lines = [_("Kept aside: {n}. {why}").format(n=count, why=message)
             for count, message in sorted(parked.values(), key=lambda p: -p[0])[:MAX_REASONS]]
    lines.append(_("Once your leader has fixed the cause, press \"Send refused changes "
                   "again\"."))
    return tuple(lines)


def explain(error: BaseException | None) -> tuple[str, str]:
    """(what happened, what to do) for a sync or store error."""
    code = getattr(error, "code", "")
    status = getattr(error, "status", None)
    if isinstance(error, SyncCancelled):
        return (_("Sync stopped."), _("Nothing was lost. Press Sync to continue later."))
    if isinstance(error, StoreFullError):
        return (_("The tablet's storage is full."),
                _("Delete old photos or apps you do not need, then sync again."))
    if code == "sync.certificate_untrusted":
        return (_("The server's certificate is not trusted."),
                _("Nothing was sent. Check the server address with your leader: it must be "
                  "exactly the one they gave. If it is, enrol by reading your leader's QR "
                  "code: it tells the tablet which certificate the server has. Your records "
                  "are safe on this tablet."))
    if code == "sync.certificate_pin_mismatch":
        return (_("This is not your server."),
                _("Nothing was sent. The machine that answered does not have your server's "
                  "certificate: someone may be pretending to be the server on this network. "
                  "Use the office Wi-Fi or mobile data and try again. If the server got a "
                  "new certificate, ask your leader for a new enrolment code. Your records "
                  "are safe on this tablet."))
    if code == "sync.network":
        return (_("No connection to the server."),
                _("Check Wi-Fi or mobile data, move to where the signal is better, "
                  "then press Sync again. Your records are safe on this tablet."))
    if code == "auth.enrolment_code_invalid":
        return (_("The enrolment code was not accepted."),
                _("Check the code, or ask your leader for a new one (codes expire)."))
    if code in ("auth.token_invalid", "auth.device_revoked") or status == 401:
        return (_("The server no longer accepts this tablet."),
                _("Ask your federation leader for a new enrolment code."))
    if code in ("sync.form_version_unknown", "sync.hlc_too_far_ahead") or status == 426:
        return (_("The server refused this version."),
                _("Check the tablet's date and time, and update the app if the leader "
                  "asks you to. Your records are kept and sent later."))
    if code == "sync.bad_server_url":
        return (_("The server address is not right."),
                _("Type the address exactly as your leader gave it."))
    if status is not None and status >= 500:
        return (_("The server has a problem right now."), _("Try again in a few minutes."))
    return (_("Sync did not finish."), _("Try again. If it keeps failing, tell your leader:")
            + f" {error}")


class _Runner(SyncRunner):
    """The sync runner, keeping the error that ended it (to explain it)."""

    error: BaseException | None = None

    def _keep(self, step: Callable[[], None]) -> None:
        try:
            step()
        except (SyncError, StoreError) as exc:
            self.error = exc
            raise

    def push(self) -> None:
        self._keep(super().push)

    def pull(self) -> None:
        self._keep(super().pull)

    def fetch_forms(self) -> None:
        self._keep(super().fetch_forms)

    def upload_attachments(self) -> None:
        self._keep(super().upload_attachments)


def sync_once(store: Store, progress: Callable[[str, int, int], None] | None = None,
              cancel: threading.Event | None = None) -> Outcome:
    """One sync with the enrolled server, explained (used by the worker and by tests)."""
    device = store.device
    if not device.enrolled or not device.server_url:
        return Outcome(False, _("This tablet is not enrolled yet."),
                       _("Enter the code from your federation leader first."))
    api = SyncApi(HttpTransport(device.server_url, device.token,
                                pins=server_pins(store, device.server_url)))
    runner = _Runner(store, api, progress=progress, cancel=cancel)
    try:
        summary = runner.run()
    except StoreError as exc:
        return Outcome(False, *explain(exc))
    finally:
        api.transport.close()
    if runner.error is not None:
        # Our explanation replaces the runner's English message for the same error.
        return Outcome(False, *explain(runner.error), summary=summary,
                       details=refusal_details(store))
    store.set_setting("app:last_sync", store.now())
    return Outcome(summary.ok, describe(summary), summary=summary,
                   details=refusal_details(store))


def send_refused_again(store: Store) -> int:
    """Put the changes kept aside after a refusal back in the queue, for the next sync
    (once a leader fixed what made the server refuse them). Returns how many."""
    return outbox.send_again(store)


def enrol_device(store: Store, server: str, code: str, pin: str = "") -> Outcome:
    """Exchange an enrolment code for a token (then the first sync gets the forms).
    `pin`: the server's certificate pin from the QR code (trusted instead of the CA
    bundle, on this and every later connection)."""
    api = SyncApi(HttpTransport(server, pins=(pin,) if pin else ()))
    try:
        enrol(store, api, code)
    except (SyncError, StoreError) as exc:
        return Outcome(False, *explain(exc))
    finally:
        api.transport.close()
    return Outcome(True, _("This tablet is enrolled."))


class SyncTask:
    """One background sync at a time, reporting through `post` on the UI thread."""

    def __init__(self, store_path: str | Path, post: Post,
                 key_source: Callable[[], bytes | None] | None = None) -> None:
        self.store_path = Path(store_path)
        self.post = post
        #: The data key of the app's unlocked store (its worker opens a second connection).
        self.key_source = key_source
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, on_progress: Callable[[str, int, int], Any],
              on_done: Callable[[Outcome], Any]) -> bool:
        """Start a sync, reporting to these callbacks. If one is running already (the
        first sync after enrolment), the callbacks follow that one instead: False."""
        self._on_progress, self._on_done = on_progress, on_done
        if self.running:
            return False
        self._cancel.clear()

        def work() -> None:
            # The callbacks are looked up when used: a screen may take over a running sync.
            try:
                store = open_store(self.store_path, key_source=self.key_source)
            except StoreError as exc:
                self.post(self._finish, Outcome(False, *explain(exc)))
                return
            try:
                outcome = sync_once(store, lambda phase, done, total: self.post(
                    self._report, phase, done, total), self._cancel)
            except Exception as exc:  # a bug must not leave the screen spinning forever
                outcome = Outcome(False, *explain(exc))
            finally:
                store.close()
            self.post(self._finish, outcome)

        self._thread = threading.Thread(target=work, name="hesabu-sync", daemon=True)
        self._thread.start()
        return True

    def _report(self, phase: str, done: int, total: int) -> None:
        self._on_progress(phase, done, total)

    def _finish(self, outcome: Outcome) -> None:
        self._on_done(outcome)

    def cancel(self) -> None:
        self._cancel.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
