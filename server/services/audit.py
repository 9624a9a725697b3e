"""The audit log: who did what, when, from where.

    audit(actor, "export.records", target=settlement_id, format="csv", rows=1200)

The caller says who acts (as ODK Central's `Audit.log(actor, ...)`): a view passes
`server.auth.acting()`, the user of the request and its address; the command line and
imports pass `NOBODY`. This module reads no request.

Call it after the action succeeded. It commits, so call it after your own commit (or
pass `commit=False` to make the event part of the transaction you are about to commit).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent

_ACTORS = object()


@dataclass(frozen=True)
class Actor:
    """Who acts, as the log records them: a user (none for the command line, an import,
    a device enrolling) and the address the request came from ("" outside a request).

    It reads like a user (`id`, `role`, `federation_id`), so the rules of
    `server.auth.roles` apply to it: services take one actor for both the rules and
    the log.
    """

    id: str | None = None
    username: str = ""
    role: str | None = None
    federation_id: str | None = None
    ip: str = ""

    @classmethod
    def of(cls, user: Any, ip: str | None = "") -> Actor:
        """The actor for `user` (a User, or anything with its columns; None: no user)
        calling from `ip`."""
        return cls(getattr(user, "id", None), getattr(user, "username", "") or "",
                   getattr(user, "role", None), getattr(user, "federation_id", None),
                   (ip or "")[:64])


#: No user: the command line, an import, the server itself.
NOBODY = Actor()


def audit(actor: Actor, action: str, target: str = "", *, commit: bool = True,
          in_federation: Any = _ACTORS, **details: Any) -> None:
    """Record `action` on `target` by `actor` with `details` (JSON-serialisable values).
    The event shows in the log of `in_federation` (default: the actor's federation;
    give the target's when an admin acts on a federation)."""
    db.session.add(AuditEvent(
        user_id=actor.id, username=actor.username,
        federation_id=actor.federation_id if in_federation is _ACTORS else in_federation,
        action=action[:100], target=str(target)[:300], details=details, ip=actor.ip))
    if commit:
        db.session.commit()


def audit_events(federation_ids: set[str] | None, limit: int = 100,
                 before_id: int | None = None, action: str | None = None
                 ) -> list[dict[str, Any]]:
    """Newest first. `federation_ids` None: every event (admin); else only events of
    users in those federations."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if federation_ids is not None:
        query = query.where(AuditEvent.federation_id.in_(federation_ids))
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    rows = [_event(e) for e in db.session.execute(query).scalars()]
    db.session.rollback()
    return rows


def _event(e: AuditEvent) -> dict[str, Any]:
    at: datetime = e.at
    return {"id": e.id, "at": at.isoformat(), "user_id": e.user_id, "username": e.username,
            "federation_id": e.federation_id, "action": e.action, "target": e.target,
            "details": e.details, "ip": e.ip}
