"""Device enrolment bodies."""

from __future__ import annotations

from marshmallow import Schema, validate

from server.schemas.values import Text
from sync.hlc import NODE_RE


class EnrolRequest(Schema):
    code = Text(required=True, validate=validate.Length(min=1, max=64))
    #: Device ids become HLC node ids, so they follow the node id alphabet.
    device_id = Text(required=True, validate=validate.Regexp(
        NODE_RE, error="must be 1-64 characters of A-Z a-z 0-9 _ . : -"))
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    #: The device's Ed25519 public key (hex): it signs the device's USB bundles.
    public_key = Text(load_default=None, validate=validate.Regexp(
        r"^[0-9a-f]{64}$", error="must be an Ed25519 public key in 64 lowercase hex digits"))
    #: Ed25519 signature (hex) of sync.bundle_crypto.enrolment_proof_message by that key:
    #: the device proves it holds the key (needed to enrol an id that has one again).
    signature = Text(load_default=None, validate=validate.Regexp(
        r"^[0-9a-f]{128}$", error="must be an Ed25519 signature in 128 lowercase hex digits"))
