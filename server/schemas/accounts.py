"""Bodies and answers of the accounts API (/api/users, /api/devices, /api/tokens ...).
Unknown fields are refused (marshmallow's default), server-owned fields are dump_only."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.schemas.values import Int, Text

_ROLES = validate.OneOf(["admin", "leader", "enumerator", "official"])
_ID = validate.Length(min=1, max=64)


class FederationSchema(Schema):
    id = fields.String(dump_only=True)
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    country = Text(load_default="", validate=validate.Length(max=100))
    city = Text(load_default="", validate=validate.Length(max=100))
    created_at = fields.String(dump_only=True)


class UserSchema(Schema):
    id = fields.String(dump_only=True)
    username = Text(required=True, validate=validate.Length(min=1, max=100))
    display_name = Text(load_default="", validate=validate.Length(max=200))
    role = Text(required=True, validate=_ROLES)
    federation_id = Text(load_default=None, allow_none=True, validate=_ID)
    password = Text(required=True, load_only=True,
                    validate=validate.Length(min=10, max=500),
                    metadata={"description": "at least 10 characters"})
    active = fields.Boolean(dump_only=True)
    created_at = fields.String(dump_only=True)
    last_login = fields.String(dump_only=True, allow_none=True)


class UserUpdateSchema(Schema):
    """Every field optional: only what is sent changes."""

    display_name = Text(validate=validate.Length(max=200))
    role = Text(validate=_ROLES)
    federation_id = Text(validate=_ID)
    active = fields.Boolean()
    password = Text(load_only=True, validate=validate.Length(min=10, max=500))


class SettlementSchema(Schema):
    id = fields.String(dump_only=True)
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    city = Text(load_default="", validate=validate.Length(max=100))
    federation_id = Text(load_default=None, allow_none=True, validate=_ID)
    created_at = fields.String(dump_only=True)


class AssignmentSchema(Schema):
    user_id = Text(required=True, validate=_ID)
    settlement_id = Text(required=True, validate=_ID)
    username = fields.String(dump_only=True)
    settlement_name = fields.String(dump_only=True)
    federation_id = fields.String(dump_only=True)
    created_at = fields.String(dump_only=True)


class EnrolmentCodeRequest(Schema):
    ttl_hours = fields.Float(load_default=24.0, validate=validate.Range(min=0.1, max=24 * 14))


class EnrolmentCodeSchema(Schema):
    code = fields.String(metadata={"description": "one-time code, shown once"})
    expires_at = fields.String()
    payload = fields.String(metadata={"description": "QR text: hesabu://enrol?server=&code= "
                                                     "(and &pin= for a --tls server)"})
    pin = fields.String(allow_none=True, metadata={
        "description": "the server certificate's pin the QR text carries (sha256/...), "
                       "null when the server needs none (plain http, an authority's "
                       "certificate)"})
    qr_svg = fields.String(metadata={"description": "the QR code as an SVG document"})
    user_id = fields.String()
    federation_id = fields.String(allow_none=True)


class RefusalGroupSchema(Schema):
    code = fields.String()
    count = fields.Integer()
    #: Whether the device sends these again by itself (they pass once a leader fixes
    #: the cause, e.g. publishes the form or allows the hub); else it keeps them aside
    #: until someone sends them again from the tablet.
    retryable = fields.Boolean()
    #: Refused by the upstream server (on a hub, for the ops it relays).
    upstream = fields.Boolean()
    #: The latest of these refusals' messages.
    message = fields.String()


class DeviceSchema(Schema):
    id = fields.String()
    name = fields.String()
    user_id = fields.String(allow_none=True)
    username = fields.String(allow_none=True)
    federation_id = fields.String(allow_none=True)
    enrolled_at = fields.String()
    last_seen = fields.String(allow_none=True)
    revoked = fields.Boolean()
    #: Changes of this device the server (on a hub: its upstream) refused, by reason.
    refused = fields.List(fields.Nested(RefusalGroupSchema))


class TokenSchema(Schema):
    id = fields.String(dump_only=True)
    user_id = fields.String(dump_only=True)
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    created_at = fields.String(dump_only=True)
    last_used = fields.String(dump_only=True, allow_none=True)
    revoked = fields.Boolean(dump_only=True)
    token = fields.String(dump_only=True, metadata={"description": "shown once, on creation"})


class AuditQuery(Schema):
    limit = Int(load_default=100, validate=validate.Range(min=1, max=1000))
    before_id = Int(load_default=None, validate=validate.Range(min=1))
    action = Text(load_default=None, validate=validate.Length(max=100))


class AuditEventSchema(Schema):
    id = fields.Integer()
    at = fields.String()
    user_id = fields.String(allow_none=True)
    username = fields.String()
    federation_id = fields.String(allow_none=True)
    action = fields.String()
    target = fields.String()
    details = fields.Dict()
    ip = fields.String()
