"""The sync client's errors and the codes it gives itself (each says what a user can do)."""

from __future__ import annotations

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
