"""`/api/conflicts`: the open conflicts you may see, and resolving one."""

from __future__ import annotations

from flask import Blueprint, Response

from server.api.openapi import doc, schema_json
from server.api.wire import json_body, json_response, load
from server.auth import Role, acting, api_roles_required, current_user
from server.schemas.review import ConflictListSchema, ResolutionSchema, ResolveSchema
from server.services.audit import audit
from server.services.resolution import conflict_rows, resolve_conflict, visible_conflict

bp = Blueprint("conflicts_api", __name__, url_prefix="/api/conflicts")
_STAFF = (Role.ADMIN, Role.LEADER)


@bp.get("")
@api_roles_required(*_STAFF)
@doc(answer=schema_json(ConflictListSchema()))
def index() -> Response:
    """Open conflicts of the records you may see, oldest first, each with every value,
    the device (and user) that wrote it and when."""
    rows = conflict_rows(current_user())
    return json_response(ConflictListSchema().dump({"conflicts": rows}))


@bp.post("/<int:conflict_id>/resolve")
@api_roles_required(*_STAFF)
@doc(body=ResolveSchema, answer=schema_json(ResolutionSchema()),
     errors=["request.invalid", "request.not_found", "conflict.already_resolved",
             "record.answer_invalid", "record.form_unknown"])
def resolve(conflict_id: int) -> Response:
    """Settle a conflict with `value`: a resolve op whose parents are the conflicting
    heads, so it closes the conflict here and on every tablet at its next pull. The value
    is checked by the form like a correction, and calculations that depend on it are
    recomputed in the same transaction."""
    visible_conflict(current_user(), conflict_id)
    body = load(ResolveSchema(), json_body())
    resolver = current_user().username
    done = resolve_conflict(conflict_id, body["value"], user=resolver)
    audit(acting(), "conflict.resolve", done.record_id, path=done.path, value=done.value,
          conflict_id=conflict_id, op_id=done.op_id)
    return json_response(ResolutionSchema().dump(done))
