"""Records, reviews and conflicts at the wire (server/api/review.py, conflicts.py)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.models.review import REVIEW_STATES
from server.schemas.values import Int, JsonObject, JsonValue, Text


class RecordQuery(Schema):
    form_id = Text(load_default=None)
    settlement_id = Text(load_default=None)
    state = Text(load_default=None, validate=validate.OneOf(
        [*REVIEW_STATES, "none"]), metadata={"description": "review state; none: not reviewed"})
    q = Text(load_default=None, validate=validate.Length(max=100),
             metadata={"description": "text to look for in the answers"})
    limit = Int(load_default=100, validate=validate.Range(min=1, max=1000))
    offset = Int(load_default=0, validate=validate.Range(min=0))


class RecordRowSchema(Schema):
    record_id = fields.String()
    form_id = fields.String()
    title = fields.String()
    settlement_id = fields.String(allow_none=True)
    review_state = fields.String(metadata={"description": "empty: not reviewed"})
    server_seq = fields.Integer()
    deleted = fields.Boolean()


class RecordListSchema(Schema):
    records = fields.List(fields.Nested(RecordRowSchema))
    total = fields.Integer()


class ReviewSchema(Schema):
    record_id = fields.String(dump_only=True)
    state = Text(required=True, validate=validate.OneOf(REVIEW_STATES))
    comment = Text(load_default="", validate=validate.Length(max=4000),
                   metadata={"description": "needed unless approved"})
    reviewer = fields.String(dump_only=True)
    reviewed_at = fields.DateTime(dump_only=True)


class RecordSchema(Schema):
    record_id = fields.String()
    form_id = fields.String()
    form_version = fields.String()
    settlement_id = fields.String(allow_none=True)
    deleted = fields.Boolean()
    answers = fields.Dict(metadata={"description": "nested as the form is"})
    fields_ = fields.Dict(data_key="fields", metadata={"description": "by field path"})
    reviews = fields.List(fields.Nested(ReviewSchema), metadata={"description": "newest first"})
    conflicts = fields.List(fields.String(), metadata={"description": "paths in conflict"})


class EditSchema(Schema):
    fields_ = JsonObject(data_key="fields", required=True, keys=Text(),
                         metadata={"description": "field path -> new value"})


class VersionSchema(Schema):
    op_id = fields.String()
    hlc = fields.String()
    device_id = fields.String()
    device_name = fields.String()
    user = fields.String()
    written_at = fields.DateTime(allow_none=True)
    value = fields.Raw(allow_none=True)


class ConflictSchema(Schema):
    id = fields.Integer()
    record_id = fields.String()
    path = fields.String()
    opened_at = fields.DateTime()
    versions = fields.List(fields.Nested(VersionSchema), metadata={"description": "newest first"})


class ConflictListSchema(Schema):
    conflicts = fields.List(fields.Nested(ConflictSchema))


class ResolveSchema(Schema):
    value = JsonValue(required=True, allow_none=True,
                      metadata={"description": "one of the versions' values or a new one"})


class ResolutionSchema(Schema):
    conflict_id = fields.Integer()
    record_id = fields.String()
    path = fields.String()
    value = fields.Raw(allow_none=True)
    op_id = fields.String()
