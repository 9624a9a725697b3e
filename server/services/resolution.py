"""Edits and conflict resolutions made on the web, through the devices' op/merge path.

The server is a replica like any tablet: its node id (HESABU_NODE_ID, "server" by
default) is the op's device id, its hybrid clock stamps the op, and the op is applied
by `push_ops`, the same service that applies a push. So a resolution is an ordinary
op in the change feed: devices pull it and their conflict closes too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from server.errors import ApiError
from server.extensions import db
from server.i18n import form_language
from server.models import Conflict, Device, Record
from server.models import Op as OpRow
from server.services.apply import decode_heads
from server.services.clock import server_clock
from server.services.corrections import checked_changes, is_computed
from server.services.forms import form_spec
from server.services.push import PushResult, push_ops
from server.services.scoping import record_visible, visible_record_ids
from sync.fields import DELETED
from sync.hlc import parse_hlc, wall_clock_ms
from sync.ops import EDIT, RESOLVE, Op, OpError, make_op


class _ServerTicks:
    """`make_op` ticks a clock; the server's shared clock is the one to tick."""

    def tick(self) -> str:
        return server_clock().now()


def node_id() -> str:
    return str(current_app.config.get("HESABU_NODE_ID", "server"))


def _apply(*ops: Op) -> PushResult:
    result = push_ops(node_id(), list(ops), now_ms=wall_clock_ms(),
                      max_drift_ms=int(current_app.config["HESABU_MAX_CLOCK_DRIFT_MS"]))
    if result.rejected:
        rejection = result.rejected[0]
        raise ApiError("request.invalid",
                       _("the change was refused: %(why)s", why=rejection.message),
                       details={"code": rejection.code})
    server_clock().receive(list(result.applied_hlcs))
    return result


def _record(record_id: str) -> Record:
    record = db.session.get(Record, record_id)
    if record is None:
        db.session.rollback()
        raise ApiError("request.not_found", _("no record %(id)s", id=record_id))
    return record


def current_heads(record_id: str, paths: list[str]) -> dict[str, list[str]]:
    """The op ids of each path's current heads (what an edit made now has seen)."""
    row = db.session.execute(select(Record.heads, Record.fields).where(
        Record.record_id == record_id)).one_or_none()
    decoded = decode_heads(row[0], row[1]) if row is not None else {}
    return {path: sorted(decoded[path]) for path in paths if path in decoded}


def _checked(record: Record, changes: Mapping[str, Any]) -> dict[str, Any]:
    """What an op must write for `changes`, checked and recomputed by the record's form
    (services/corrections); ApiError if the form refuses."""
    spec = form_spec(record.form_id, record.form_version)
    try:
        return checked_changes(spec, record.answers, record.fields, changes,
                               language=form_language(spec))
    except ApiError:
        db.session.rollback()
        raise


@dataclass(frozen=True)
class _Target:
    """What an op needs of its record, read before the write transaction starts."""

    record_id: str
    form_id: str
    form_version: str
    heads: dict[str, list[str]]

    @classmethod
    def of(cls, record: Record, paths: list[str]) -> _Target:
        return cls(record.record_id, record.form_id, record.form_version,
                   current_heads(record.record_id, [*paths, DELETED]))

    def edit(self, fields: Mapping[str, Any], user: str, via: str) -> Op:
        try:
            return make_op(EDIT, clock=_ServerTicks(), device_id=node_id(),
                           record_id=self.record_id, form_id=self.form_id,
                           form_version=self.form_version, fields=dict(fields),
                           heads={p: h for p, h in self.heads.items()
                                  if p in fields or p == DELETED},
                           meta={"user": user, "via": via})
        except OpError as exc:
            raise ApiError("request.invalid", exc.message,
                           details={"field": exc.field}) from None


def edit_record(record_id: str, fields: Mapping[str, Any], user: str, via: str = "web") -> Op:
    """Correct answers of a record as the server replica, the way the form allows
    (services/corrections: checked, then calculations recomputed); `user` goes in the
    op's meta. ApiError `record.answer_invalid` says what the form refuses."""
    record = _record(record_id)
    changed = _checked(record, fields)
    if not changed:
        db.session.rollback()
        raise ApiError("request.invalid", _("nothing to change: every answer already has "
                                             "that value"),
                       details={"fields": {"fields": ["unchanged"]}})
    target = _Target.of(record, list(changed))
    db.session.rollback()
    op = target.edit(changed, user, via)
    _apply(op)
    return op


@dataclass(frozen=True)
class Resolution:
    conflict_id: int
    record_id: str
    path: str
    value: Any
    op_id: str


def resolve_conflict(conflict_id: int, value: Any, user: str) -> Resolution:
    """Settle an open conflict with `value` (one of its values, or a new one).

    The resolve op names every conflicting head as its parent, so applying it (here
    and on each device) leaves one head and closes the conflict.
    """
    conflict = db.session.get(Conflict, conflict_id)
    if conflict is None:
        db.session.rollback()
        raise ApiError("request.not_found", _("no conflict %(id)s", id=conflict_id))
    if conflict.resolved_at_seq is not None:
        db.session.rollback()
        raise ApiError("conflict.already_resolved",
                       _("this conflict was already resolved (by someone else, or by a "
                         "newer edit); reload the conflicts page"))
    record = _record(conflict.record_id)
    path, heads = conflict.path, list(conflict.head_op_ids)
    form_id, version, record_id = record.form_id, record.form_version, record.record_id
    recomputed: dict[str, Any] = {}
    if path != DELETED:
        # The kept value is checked like a correction; a calculation is recomputed (two
        # tablets that changed different inputs of it both wrote it).
        computed = is_computed(record, path)
        recomputed = _checked(record, {} if computed else {path: value})
        value = recomputed.pop(path, record.fields.get(path)) if computed else value
        recomputed.pop(path, None)
    target = _Target.of(record, list(recomputed))
    db.session.rollback()
    try:
        op = make_op(RESOLVE, clock=_ServerTicks(), device_id=node_id(), record_id=record_id,
                     form_id=form_id, form_version=version, fields={path: value},
                     heads={path: heads}, meta={"user": user, "via": "web",
                                                "conflict_id": conflict_id})
    except OpError as exc:
        raise ApiError("request.invalid", exc.message, details={"field": exc.field}) from None
    # What the kept value changes in calculations: an edit after the resolve op (a later
    # clock), applied in the same transaction.
    follow_up = [target.edit(recomputed, user, "web")] if recomputed else []
    _apply(op, *follow_up)
    return Resolution(conflict_id, record_id, path, value, op.op_id)


def _hlc_time(hlc: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(parse_hlc(hlc).ms / 1000, UTC)
    except (ValueError, AttributeError):
        return None


def describe_versions(conflict: Conflict) -> list[dict[str, Any]]:
    """The conflict's values newest first, each with who wrote it (device name and,
    for web edits, the user) and when (the op's clock time)."""
    op_ids = [v["op_id"] for v in conflict.versions]
    metas = dict(db.session.execute(
        select(OpRow.op_id, OpRow.payload).where(OpRow.op_id.in_(op_ids))).all())
    device_ids = {v["device_id"] for v in conflict.versions}
    names = dict(db.session.execute(
        select(Device.id, Device.name).where(Device.id.in_(device_ids))).all())
    out = []
    for version in conflict.versions:
        meta = (metas.get(version["op_id"]) or {}).get("meta") or {}
        out.append({**version, "device_name": names.get(version["device_id"], ""),
                    "user": meta.get("user", ""), "written_at": _hlc_time(version["hlc"])})
    return out


def open_conflicts(record_ids: Any = None, limit: int = 200) -> list[Conflict]:
    """Open conflicts, oldest first; only of `record_ids` (a list or a query) when given."""
    query = select(Conflict).where(Conflict.resolved_at_seq.is_(None))
    if record_ids is not None:
        query = query.where(Conflict.record_id.in_(record_ids))
    return list(db.session.execute(query.order_by(Conflict.id).limit(limit)).scalars())


def count_open_conflicts(record_ids: Any = None) -> int:
    query = select(func.count()).select_from(Conflict).where(Conflict.resolved_at_seq.is_(None))
    if record_ids is not None:
        query = query.where(Conflict.record_id.in_(record_ids))
    return int(db.session.execute(query).scalar_one())


def visible_conflict(user: Any, conflict_id: int) -> Conflict:
    """The conflict if `user` may see its record, else ApiError request.not_found."""
    conflict = db.session.get(Conflict, conflict_id)
    if conflict is None or not record_visible(user, conflict.record_id):
        raise ApiError("request.not_found", f"no conflict {conflict_id}")
    return conflict


def conflict_rows(user: Any, limit: int = 1000) -> list[dict[str, Any]]:
    """The open conflicts `user` may see, each with its described versions."""
    return [{"id": c.id, "record_id": c.record_id, "path": c.path, "opened_at": c.opened_at,
             "versions": describe_versions(c)}
            for c in open_conflicts(visible_record_ids(user), limit=limit)]
