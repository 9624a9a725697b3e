"""Push and pull at the wire: each op is validated by the protocol's own rules."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from sync.hlc import NODE_RE
from sync.ops import Op, OpError


class OpField(fields.Field):
    """An op in its wire form, loaded into `sync.ops.Op` (so the server and devices
    validate ops with one set of rules)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Op:
        try:
            return Op.from_wire(value)
        except OpError as exc:
            raise ValidationError({exc.field: [exc.message]}) from None


class PushRequest(Schema):
    device_id = fields.String(required=True, validate=validate.Regexp(
        NODE_RE, error="must be 1-64 characters of A-Z a-z 0-9 _ . : -"))
    ops = fields.List(OpField(), required=True)


class PullQuery(Schema):
    cursor = fields.Integer(load_default=0, validate=validate.Range(min=0),
                            strict=False)
    limit = fields.Integer(load_default=None, allow_none=True,
                           validate=validate.Range(min=1))
