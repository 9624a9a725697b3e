"""Push and pull at the wire."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.schemas.values import Int, Text
from sync.hlc import NODE_RE
from sync.messages import PROTOCOL_VERSION


def _protocol() -> Int:
    """The protocol version the client speaks (absent: 1); see sync.messages."""
    return Int(load_default=1, strict=False,
               validate=validate.Range(min=1, max=PROTOCOL_VERSION))


class PushEnvelope(Schema):
    """The envelope of a push body; its ops are decoded by `sync.messages.PushRequest`."""

    device_id = Text(required=True, validate=validate.Regexp(
        NODE_RE, error="must be 1-64 characters of A-Z a-z 0-9 _ . : -"))
    #: Each op is checked by the protocol's own rules (`sync.messages.PushRequest.
    #: from_wire`), so one malformed op is rejected on its own (`sync.op_invalid`) and
    #: the rest apply.
    ops = fields.List(fields.Raw(allow_none=True), required=True)
    protocol = _protocol()


class PullQuery(Schema):
    cursor = Int(load_default=0, validate=validate.Range(min=0), strict=False)
    limit = Int(load_default=None, allow_none=True, validate=validate.Range(min=1))
    #: The most bytes of JSON the page may take (before gzip); at least one change is
    #: sent however big. Absent: HESABU_DEFAULT_PULL_BYTES; capped at HESABU_MAX_PULL_BYTES.
    max_bytes = Int(load_default=None, allow_none=True, validate=validate.Range(min=1),
                    metadata={"description": "most bytes of JSON in the page (before "
                              "gzip); at least one change is sent however big"})
    protocol = _protocol()
    #: `records=0`: leave out the records block (the field app merges ops itself).
    records = fields.Boolean(load_default=True)
