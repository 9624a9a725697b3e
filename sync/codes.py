"""The stable codes of sync problems, and rejections as values.

Codes are part of the protocol (docs/sync-protocol.md): clients branch on them and
people look them up. A *retryable* rejection means "not now": the device keeps the op
in its outbox and sends it again later (after updating its forms, once the
receiver's clock has caught up, or once a leader fixed what a leader can fix: a form
published, a hub allowed to relay). A non-retryable one means the op cannot be
accepted as it is; the device keeps it aside ("parked") and shows it to a person, who
can send it again once the cause is dealt with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

OP_INVALID = "sync.op_invalid"
OP_ID_REUSED = "sync.op_id_reused"
HLC_TOO_FAR_AHEAD = "sync.hlc_too_far_ahead"
FORM_VERSION_UNKNOWN = "sync.form_version_unknown"
RECORD_FORM_MISMATCH = "sync.record_form_mismatch"
RESOLVE_FORBIDDEN = "sync.resolve_forbidden"
RECORD_FORBIDDEN = "sync.record_forbidden"
RELAY_FORBIDDEN = "hub.relay_forbidden"
BUNDLE_OP_FOREIGN = "bundle.op_foreign"
# Request-level codes (the whole HTTP request fails; see the HTTP contract).
BATCH_TOO_LARGE = "sync.batch_too_large"
BODY_INVALID = "sync.body_invalid"
CURSOR_INVALID = "sync.cursor_invalid"
AUTH_TOKEN_INVALID = "auth.token_invalid"
AUTH_ENROLMENT_CODE_INVALID = "auth.enrolment_code_invalid"
DEVICE_REVOKED = "auth.device_revoked"
ATTACHMENT_OFFSET_MISMATCH = "attachment.offset_mismatch"
ATTACHMENT_CHECKSUM_MISMATCH = "attachment.checksum_mismatch"
ATTACHMENT_TOO_LARGE = "attachment.too_large"


@dataclass(frozen=True)
class CodeInfo:
    code: str
    http_status: int
    retryable: bool
    meaning: str


#: Every code with its HTTP status, whether retrying later can succeed, and its meaning.
CODES: dict[str, CodeInfo] = {
    c.code: c
    for c in (
        CodeInfo(OP_INVALID, 422, False, "The op does not follow the op format."),
        CodeInfo(OP_ID_REUSED, 409, False,
                 "An op with this op_id but different content was already received."),
        CodeInfo(HLC_TOO_FAR_AHEAD, 422, True,
                 "The op's clock is too far ahead of the receiver's; fix the device clock."),
        CodeInfo(FORM_VERSION_UNKNOWN, 422, True,
                 "The receiver does not know this form version yet."),
        CodeInfo(RECORD_FORM_MISMATCH, 409, False,
                 "The record already exists with a different form."),
        CodeInfo(RESOLVE_FORBIDDEN, 403, False,
                 "Only the device of a federation leader or admin, or an allowed hub, "
                 "may send resolve ops."),
        CodeInfo(RECORD_FORBIDDEN, 403, False,
                 "This device may not write to this record (it belongs to another federation)."),
        # Retryable: a leader fixes it (`hesabu hub allow`), and then the same op passes.
        CodeInfo(RELAY_FORBIDDEN, 403, True,
                 "The op was written by another device, and the device that sent it is not "
                 "(yet) allowed to relay: a leader runs `hesabu hub allow` for a hub."),
        CodeInfo(BUNDLE_OP_FOREIGN, 403, False,
                 "A device bundle may carry only ops written by the device that signed it."),
        CodeInfo(BATCH_TOO_LARGE, 413, False, "The request has too many ops or bytes."),
        CodeInfo(BODY_INVALID, 400, False, "The request body is not the expected JSON."),
        CodeInfo(CURSOR_INVALID, 400, False, "The pull cursor is not a valid position."),
        CodeInfo(AUTH_TOKEN_INVALID, 401, False, "The device token is missing or wrong."),
        CodeInfo(AUTH_ENROLMENT_CODE_INVALID, 401, False,
                 "The enrolment code is wrong, used or expired."),
        CodeInfo(DEVICE_REVOKED, 403, False, "This device was revoked by a leader."),
        CodeInfo(ATTACHMENT_OFFSET_MISMATCH, 409, True,
                 "The chunk does not start at the received offset; ask HEAD again."),
        CodeInfo(ATTACHMENT_CHECKSUM_MISMATCH, 422, True,
                 "A chunk or the whole file does not match its SHA-256."),
        CodeInfo(ATTACHMENT_TOO_LARGE, 413, False, "The attachment exceeds the size limit."),
    )
}


@dataclass(frozen=True)
class Rejection:
    """One op the receiver did not apply, and why."""

    op_id: str
    code: str
    message: str
    retryable: bool

    @classmethod
    def of(cls, op_id: str, code: str, message: str) -> Rejection:
        """A rejection whose retryability comes from the code registry."""
        return cls(op_id, code, message, CODES[code].retryable)

    def to_wire(self) -> dict[str, Any]:
        return {"op_id": self.op_id, "code": self.code, "message": self.message,
                "retryable": self.retryable}

    @classmethod
    def from_wire(cls, data: Any) -> Rejection:
        if not isinstance(data, dict):
            raise ValueError("a rejection must be an object")
        retryable = data.get("retryable")
        if not isinstance(retryable, bool):
            info = CODES.get(str(data.get("code")))
            retryable = info.retryable if info else False
        return cls(str(data.get("op_id", "")), str(data.get("code", "")),
                   str(data.get("message", "")), retryable)
