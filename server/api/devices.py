"""`/api/devices`: enrolment."""

from __future__ import annotations

from flask import Blueprint, Response, request

from server.api.wire import json_body, json_response, load
from server.schemas.devices import EnrolRequest
from server.services.bundles import register_device_key, server_public_key
from server.services.clock import server_clock
from server.services.device_takeover import EnrolProof
from server.services.devices import enrol_device

bp = Blueprint("devices", __name__, url_prefix="/api/devices")


@bp.post("/enrol")
def enrol() -> Response:
    """Spend a one-time enrolment code: `{code, device_id, name[, public_key,
    signature]}` -> `{device_id, token, server_hlc, bundle_key}`.

    Enrolling an id that is already enrolled needs a code of its own federation (or an
    admin's) and, once it has a key, the device's signature or its current token
    (`auth.device_taken` otherwise).

    The token goes in `Authorization: Bearer <token>` on every sync request; the server
    keeps only its hash, so it is shown this once.
    """
    body = load(EnrolRequest(), json_body())
    proof = EnrolProof(body["code"], body["public_key"], body["signature"],
                       request.headers.get("Authorization"))
    token = enrol_device(body["code"], body["device_id"], body["name"],
                         client=request.remote_addr or "", proof=proof)
    if body["public_key"]:
        register_device_key(body["device_id"], body["public_key"])
    # `bundle_key`: the server's public key, which signs the device's return bundles.
    return json_response({"device_id": body["device_id"], "token": token,
                          "server_hlc": server_clock().now(),
                          "bundle_key": server_public_key()}, status=201)
