"""What a receiver checks before applying an op, as values rather than exceptions.

Servers and hubs check every op they receive (push, bundle import). A device applying
a pull page does not check the clock: its server is its time authority, and a tablet
whose clock says 1970 would otherwise reject everything.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Any

from sync.codes import (
    FORM_VERSION_UNKNOWN,
    HLC_TOO_FAR_AHEAD,
    OP_ID_REUSED,
    OP_INVALID,
    RECORD_FORM_MISMATCH,
    Rejection,
)
from sync.hlc import MS_DIGITS
from sync.ops import Op, OpError

DAY_MS = 24 * 60 * 60 * 1000
#: How far an op's HLC may run ahead of the receiver's clock (configurable per receiver).
DEFAULT_MAX_DRIFT_MS = DAY_MS

FormKnown = Callable[[str, str], bool] | Collection[tuple[str, str]]


def _knows(form_known: FormKnown, form_id: str, version: str) -> bool:
    if callable(form_known):
        return bool(form_known(form_id, version))
    return (form_id, version) in form_known


def check_admission(
    op: Op,
    *,
    now_ms: int,
    form_known: FormKnown,
    max_drift_ms: int = DEFAULT_MAX_DRIFT_MS,
    record_form_id: str | None = None,
) -> Rejection | None:
    """None if the receiver may apply `op`, else why not.

    `form_known(form_id, version)` (or a set of pairs) says which form versions the
    receiver has; `record_form_id` is the form of the record if the receiver already has
    it (a record never changes form).
    """
    ahead = int(op.hlc[:MS_DIGITS]) - now_ms  # an op's HLC is valid (sync.ops)
    if ahead > max_drift_ms:
        return Rejection.of(
            op.op_id, HLC_TOO_FAR_AHEAD,
            f"the op's clock is {ahead // 60000} minutes ahead of the receiver's "
            f"(at most {max_drift_ms // 60000} allowed); check the device's date and time",
        )
    if record_form_id is not None and record_form_id != op.form_id:
        return Rejection.of(
            op.op_id, RECORD_FORM_MISMATCH,
            f"record {op.record_id} belongs to form {record_form_id!r}, not {op.form_id!r}",
        )
    if not _knows(form_known, op.form_id, op.form_version):
        return Rejection.of(
            op.op_id, FORM_VERSION_UNKNOWN,
            f"form {op.form_id!r} version {op.form_version!r} is not known here yet",
        )
    return None


def check_reuse(op: Op, stored: Op | None) -> Rejection | None:
    """A rejection if `stored` has the same op_id but different content.

    Same id and same content is a replay: the receiver acks it and changes nothing.
    """
    if stored is None or stored.canonical() == op.canonical():
        return None
    if stored.device_id != op.device_id:  # a leader should know whose op holds the id
        return Rejection.of(op.op_id, OP_ID_REUSED,
                            f"op {op.op_id} was already received from {stored.device_id}, "
                            f"not {op.device_id}, with different content")
    return Rejection.of(op.op_id, OP_ID_REUSED,
                        f"op {op.op_id} was already received with different content")


def decode_ops(items: Iterable[Any]) -> tuple[list[Op], list[Rejection]]:
    """Validate a list of wire ops: the valid ones, and a rejection for each invalid one."""
    ops: list[Op] = []
    rejected: list[Rejection] = []
    for index, item in enumerate(items):
        try:
            ops.append(Op.from_wire(item))
        except OpError as exc:
            op_id = item.get("op_id") if isinstance(item, dict) else None
            label = op_id if isinstance(op_id, str) else f"#{index}"
            rejected.append(Rejection.of(label, OP_INVALID, str(exc)))
    return ops, rejected
