"""Which device may send which kind of op (checked on pushes and bundle imports).

A `resolve` op settles a conflict between other people's answers: only a federation
leader (or an admin) may make that choice. On the web a leader resolves through
`services/resolution.py`, which applies the op as the server itself (not through
here). A device may send `resolve` ops if it is

- a relay (`RelayDevice`, `hesabu hub allow HUB_ID`): a hub passes on the resolutions
  its leaders made on the hub's web, or
- bound at enrolment (`DeviceAccount`) to an active user whose role is leader or admin.

Every other device (an enumerator's tablet, a device enrolled with a command-line code,
the device of a deactivated user) has its `resolve` ops rejected one by one with
`sync.resolve_forbidden` (not retryable); the rest of its batch applies. Where the
operator lets any device relay (`HESABU_RELAY_ONLY_FROM_HUBS = False`), resolve ops
written by another node pass on as relayed; a device's own are still checked.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import current_app
from sqlalchemy import select

from server.auth.roles import Role
from server.extensions import db
from server.models import DeviceAccount, RelayDevice, User
from sync.codes import RESOLVE_FORBIDDEN, Rejection
from sync.ops import RESOLVE, Op

#: Roles whose devices may send `resolve` ops.
RESOLVER_ROLES = (Role.LEADER.value, Role.ADMIN.value)


def may_resolve(device_id: str) -> bool:
    """Whether `device_id` may send `resolve` ops (one or two primary-key lookups).
    Ends the read transaction it opened, as the caller's write starts afresh."""
    session = db.session
    try:
        if session.get(RelayDevice, device_id) is not None:
            return True
        role = session.execute(
            select(User.role).join(DeviceAccount, DeviceAccount.user_id == User.id)
            .where(DeviceAccount.device_id == device_id, User.active.is_(True))
        ).scalar_one_or_none()
        return role in RESOLVER_ROLES
    finally:
        session.rollback()


def resolve_rejections(pusher: str, ops: Sequence[Op]) -> tuple[list[Op], list[Rejection]]:
    """Split a push from device `pusher`: the ops it may send, and a rejection for each
    `resolve` op when it may not send those. Looks at each op's kind only; the database
    is asked once, and only when the batch holds a `resolve` op."""
    if not any(op.kind == RESOLVE for op in ops) or may_resolve(pusher):
        return list(ops), []
    if not current_app.config.get("HESABU_RELAY_ONLY_FROM_HUBS", True):
        # Any device may relay (the operator turned the hub check off): a resolve that
        # another node wrote passes on as relayed, so a hub's resolutions are not lost.
        refused = [op for op in ops if op.kind == RESOLVE and op.device_id == pusher]
    else:
        refused = [op for op in ops if op.kind == RESOLVE]
    if not refused:
        return list(ops), []
    ids = {op.op_id for op in refused}
    return ([op for op in ops if op.op_id not in ids],
            [Rejection.of(op.op_id, RESOLVE_FORBIDDEN,
                          f"op {op.op_id} resolves a conflict; only the device of a federation "
                          f"leader or admin, or a hub allowed with `hesabu hub allow`, may send "
                          f"resolve ops, and {pusher} is neither")
             for op in refused])
