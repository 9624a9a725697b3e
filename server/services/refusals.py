"""The ops this server refused, per device that sent them: what a leader sees on the
devices page while the tablet keeps those ops aside with the same reason.

`push_ops` notes the rejections of every push and bundle import from an enrolled
device, and forgets an op's refusal once that device's op is accepted (sent again
after the cause was fixed). A hub notes its upstream's refusals of the ops it relays
for its tablets (`upstream=True`) and forgets them once upstream accepts them.
Only refusals of real op ids are kept: an op too malformed to have one
(`sync.op_invalid` labels it `#index`) has no identity to show or to clear.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from server.models import OpRefusal
from server.models.types import utcnow
from server.services.id_lists import among
from sync.codes import Rejection
from sync.ids import is_uuid7


def note_refusals(session: Session, device_id: str, rejected: Sequence[Rejection],
                  accepted: Sequence[str] = (), *, upstream: bool = False) -> None:
    """Inside the caller's transaction: keep `rejected` as refusals of ops that came
    from `device_id`, and forget the refusals of the `accepted` ops. Costs one small
    query when nothing was refused before and nothing is now."""
    if accepted and session.execute(select(OpRefusal.op_id).where(
            OpRefusal.device_id == device_id,
            OpRefusal.upstream.is_(upstream)).limit(1)).first() is not None:
        ids = sorted(set(accepted))
        for part in among(OpRefusal.op_id, ids):
            session.execute(delete(OpRefusal).where(
                OpRefusal.device_id == device_id, OpRefusal.upstream.is_(upstream), part))
    latest = {r.op_id: r for r in rejected if is_uuid7(r.op_id)}
    if not latest:
        return
    ids = sorted(latest)
    kept: dict[str, OpRefusal] = {}
    for part in among(OpRefusal.op_id, ids):
        kept.update((row.op_id, row) for row in session.execute(select(OpRefusal).where(
            OpRefusal.device_id == device_id, part)).scalars())
    now = utcnow()
    for op_id in ids:
        r = latest[op_id]
        row = kept.get(op_id)
        if row is None:
            session.add(OpRefusal(device_id=device_id, op_id=op_id, code=r.code,
                                  message=r.message, retryable=r.retryable,
                                  upstream=upstream, refused_at=now))
        else:
            row.code, row.message, row.retryable, row.upstream, row.refused_at = \
                r.code, r.message, r.retryable, upstream, now


@dataclass(frozen=True)
class RefusalGroup:
    """The refusals of one device with one code: how many, whether they pass once a
    leader fixes the cause, whether the upstream server refused them, the latest
    message (it names an op and says why)."""

    code: str
    count: int
    retryable: bool
    upstream: bool
    message: str

    def to_wire(self) -> dict[str, object]:
        return {"code": self.code, "count": self.count, "retryable": self.retryable,
                "upstream": self.upstream, "message": self.message}


def refusals_by_device(session: Session, device_ids: Iterable[str]
                       ) -> Mapping[str, list[RefusalGroup]]:
    """The refusals of these devices, grouped by code (most frequent first)."""
    ids = sorted(set(device_ids))
    groups: dict[str, list[RefusalGroup]] = {}
    for part in among(OpRefusal.device_id, ids):
        counts = session.execute(
            select(OpRefusal.device_id, OpRefusal.code, OpRefusal.upstream,
                   OpRefusal.retryable, func.count())
            .where(part)
            .group_by(OpRefusal.device_id, OpRefusal.code, OpRefusal.upstream,
                      OpRefusal.retryable)).all()
        for device_id, code, upstream, retryable, count in counts:
            message = session.execute(
                select(OpRefusal.message).where(
                    OpRefusal.device_id == device_id, OpRefusal.code == code,
                    OpRefusal.upstream.is_(upstream), OpRefusal.retryable.is_(retryable))
                .order_by(OpRefusal.refused_at.desc(), OpRefusal.op_id).limit(1)).scalar_one()
            groups.setdefault(device_id, []).append(
                RefusalGroup(code, count, retryable, upstream, message))
    for found in groups.values():
        found.sort(key=lambda g: (-g.count, g.code, g.upstream))
    return groups
