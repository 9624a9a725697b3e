"""Named errors of the device store (each says what a user can do).

The sync client's errors (`SyncError`, `SyncCancelled`) are in client/errors.py."""

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


class StoreLockedError(StoreError):
    """The store is encrypted and not unlocked yet: type the PIN (or the recovery key)."""


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
