"""The audit log: who did what, when, from where.

    audit("export.records", target=settlement_id, format="csv", rows=1200)

Call it after the action succeeded. It commits, so call it after your own commit (or
pass `commit=False` to make the event part of the transaction you are about to commit).
Outside a request (the command line) the event has no user unless `user` is given.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent

_ACTORS = object()


def audit(action: str, target: str = "", *, user: Any = None, commit: bool = True,
          in_federation: Any = _ACTORS, **details: Any) -> None:
    """Record `action` on `target` by `user` (default: the current user) with `details`
    (JSON-serialisable values). The event shows in the log of `in_federation` (default:
    the user's federation; give the target's when an admin acts on a federation)."""
    ip = ""
    if has_request_context():
        if user is None:
            from server.auth import current_user

            user = current_user()
        ip = (request.remote_addr or "")[:64]
    db.session.add(AuditEvent(
        user_id=getattr(user, "id", None), username=getattr(user, "username", "") or "",
        federation_id=getattr(user, "federation_id", None) if in_federation is _ACTORS
        else in_federation, action=action[:100],
        target=str(target)[:300], details=details, ip=ip))
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
