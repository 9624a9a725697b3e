"""`/api/records`: browse records, read one, review it, correct answers (scripts and
tools; the web pages do the same through server/web/records.py)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from server.api.openapi import doc, schema_json
from server.api.wire import json_body, json_response, load
from server.auth import Role, acting, api_roles_required, current_user
from server.errors import ApiError
from server.schemas.review import (
    EditSchema,
    RecordListSchema,
    RecordQuery,
    RecordSchema,
    ReviewSchema,
)
from server.services.audit import audit
from server.services.resolution import edit_record
from server.services.review import list_records, record_detail, set_review
from server.services.scoping import visible_record, visible_record_ids

bp = Blueprint("review_api", __name__, url_prefix="/api/records")
_READERS = (Role.ADMIN, Role.LEADER, Role.ENUMERATOR)
_STAFF = (Role.ADMIN, Role.LEADER)


@bp.get("")
@api_roles_required(*_READERS)
@doc(query=RecordQuery, answer=schema_json(RecordListSchema()), errors=["request.invalid"])
def index() -> Response:
    """Records you may see, newest first, filtered by form, settlement and review state.

    Leaders see their federation's records, enumerators their assignments'."""
    args = load(RecordQuery(), request.args.to_dict())
    state = {"none": ""}.get(args["state"], args["state"])
    rows, total = list_records(visible=visible_record_ids(current_user()),
                               form_id=args["form_id"], settlement_id=args["settlement_id"],
                               state=state, text=args["q"], limit=args["limit"],
                               offset=args["offset"])
    return json_response(RecordListSchema().dump({"records": rows, "total": total}))


@bp.get("/<record_id>")
@api_roles_required(*_READERS)
@doc(answer=schema_json(RecordSchema()), errors=["request.not_found"])
def show(record_id: str) -> Response:
    """One record: answers, fields, its reviews (newest first) and conflicted paths."""
    record = visible_record(current_user(), record_id)
    data = record_detail(record)
    return json_response(RecordSchema().dump(data))


@bp.post("/<record_id>/review")
@api_roles_required(*_STAFF)
@doc(body=ReviewSchema, status=201, answer=schema_json(ReviewSchema()),
     errors=["request.invalid", "request.not_found"])
def review(record_id: str) -> Response:
    """Mark a record approved, has_issues or rejected, with a comment (needed unless
    approved). The enumerators' tablets get it at their next pull."""
    visible_record(current_user(), record_id)
    body = load(ReviewSchema(), json_body())
    reviewer = current_user().username
    saved = set_review(record_id, body["state"], body["comment"], reviewer=reviewer)
    answer = ReviewSchema().dump(saved)
    audit(acting(), "record.review", record_id, state=body["state"],
          comment=body["comment"][:500])
    return json_response(answer, status=201)


@bp.patch("/<record_id>")
@api_roles_required(*_STAFF)
@doc(body=EditSchema, answer={"type": "object", "properties": {"op_id": {"type": "string"}}},
     status=200, errors=["request.invalid", "request.not_found", "record.answer_invalid",
                         "record.form_unknown"])
def edit(record_id: str) -> Response:
    """Correct answers (`{"fields": {path: value}}`), checked by the record's form as a
    tablet checks them (type, choice, length, relevance, required, constraint), then its
    calculations recomputed: one op made by the server's replica, merged like a tablet's
    edit and pulled by the tablets. A refusal (`record.answer_invalid`) lists each
    question, rule and message in the request's language."""
    visible_record(current_user(), record_id)
    body = load(EditSchema(), json_body())
    if not body["fields_"]:
        raise ApiError("request.invalid", "say which fields to change",
                       details={"fields": {"fields": ["empty"]}})
    editor = current_user().username
    op = edit_record(record_id, body["fields_"], user=editor, via="api")
    audit(acting(), "record.edit", record_id, fields=sorted(body["fields_"]),
          op_id=op.op_id)
    return json_response({"op_id": op.op_id})
