"""Named errors of the device store and the sync client (each says what a user can do)."""

from __future__ import annotations

import sqlite3


class StoreError(Exception):
    """The device store could not complete an operation."""


class StoreFullError(StoreError):
    """The device storage is full: the edit was not saved (free some space and retry)."""


class StoreIOError(StoreError):
    """The device storage failed to read or write: the edit was not saved."""


class SchemaTooNewError(StoreError):
    """The store was written by a newer app version than this one."""


class UnknownRecordError(StoreError):
    """No record with that id exists on this device."""


class NotEnrolledError(StoreError):
    """The device has no server token yet: enrol it with a code first."""


#: The codes the sync client gives itself, when no server answer says what happened
#: (the server's codes are in server/errors.py; docs/errors.md lists both).
CLIENT_CODES: dict[str, str] = {
    "attachment.changed": "A photo file on the tablet is shorter than when it was added.",
    "sync.bad_response": "The server's answer is not readable or breaks the protocol.",
    "sync.bad_server_url": "The server address is not an http:// or https:// address.",
    "sync.cancelled": "The person (or the app) stopped the sync; what was sent is kept.",
    "sync.certificate_pin_mismatch": "The server showed a certificate whose pin is not the "
                                     "one this device was enrolled with: another machine may "
                                     "pretend to be the server. Nothing was sent.",
    "sync.certificate_untrusted": "The server's certificate does not check out against the "
                                  "trusted authorities (CA bundle). Nothing was sent.",
    "sync.failed": "The sync failed for a reason without a code of its own.",
    "sync.network": "The server could not be reached (after retries).",
}


class StoreLockedError(StoreError):
    """The store is encrypted and not unlocked yet: type the PIN (or the recovery key)."""


class SyncError(Exception):
    """A sync failed; `code` is the server's stable error code when there is one."""

    def __init__(self, message: str, code: str = "sync.failed", retryable: bool = False,
                 status: int | None = None, details: dict | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable
        self.status = status
        self.details = details or {}


class SyncCancelled(SyncError):
    """The person (or the app) stopped the sync; what was acked so far is kept."""

    def __init__(self) -> None:
        super().__init__("Sync stopped before it finished.", code="sync.cancelled")


# SQLite result codes (the low byte of an extended code) that mean the disk let us down.
_SQLITE_IOERR = 10
_SQLITE_FULL = 13


def translate_sqlite_error(exc: sqlite3.Error) -> StoreError | None:
    """Map a disk-level sqlite3 error to a named store error, or None if it is something else."""
    code = getattr(exc, "sqlite_errorcode", None)
    text = str(exc).lower()
    if (code is not None and code & 0xFF == _SQLITE_FULL) or "database or disk is full" in text:
        return StoreFullError(
            "The tablet's storage is full, so this change was not saved. "
            "Free some space (delete old photos or apps) and try again."
        )
    if (code is not None and code & 0xFF == _SQLITE_IOERR) or "disk i/o error" in text:
        return StoreIOError(
            "The tablet could not write to its storage, so this change was not saved. "
            "Try again; if it keeps failing, restart the tablet."
        )
    return None
