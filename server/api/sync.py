"""`/api/sync`: push ops, pull changes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request
from marshmallow import ValidationError

from server.api.wire import (
    current_device,
    json_bytes,
    json_bytes_response,
    json_response,
    load,
    parse_json,
    require_device,
)
from server.errors import ApiError
from server.schemas.sync import PullQuery, PushEnvelope
from server.services.clock import server_clock
from server.services.hub import relay_rejections
from server.services.permissions import resolve_rejections
from server.services.pull import pull_changes
from server.services.pull_ahead import ReadyPage, page_key, pages_ahead
from server.services.push import gc_paused, push_ops
from sync.hlc import wall_clock_ms
from sync.messages import PROTOCOL_3, PushRequest, PushResponse

bp = Blueprint("sync", __name__, url_prefix="/api/sync")


@bp.post("/push")
@require_device
def push() -> Response:
    """Apply a batch `{device_id, ops}` in one transaction.

    Answers `{acked, rejected, server_seq, conflicts, server_hlc}`; replayed ops are
    acked again, invalid ops are rejected one by one (`sync.op_invalid`). To a protocol 3
    client `"acked_rest": true` stands for every op of the request not rejected.
    """
    # The body first: on a slow link (or a client that stalls) reading it takes seconds,
    # and the cycle collector must not stay paused for the whole process meanwhile.
    raw = json_bytes()
    with gc_paused():  # a big batch allocates many objects; see gc_paused
        return _push(parse_json(raw))


def _push(data: Any) -> Response:
    limit = int(current_app.config["HESABU_MAX_OPS_PER_BATCH"])
    if isinstance(data, dict) and isinstance(data.get("ops"), list) and len(data["ops"]) > limit:
        raise ApiError("sync.batch_too_large",
                       f"at most {limit} ops per push; this one has {len(data['ops'])}",
                       details={"max_ops": limit})
    if isinstance(data, dict) and type(data.get("ops")) is list:
        # The schema takes each op as it is (fields.Raw): its 1,000 calls are skipped.
        body = {**load(PushEnvelope(), {**data, "ops": []}), "ops": data["ops"]}
    else:
        body = load(PushEnvelope(), data)  # its errors: ops missing or not a list
    device = current_device()
    if body["device_id"] != device.id:
        raise ApiError("auth.device_mismatch",
                       f"this token belongs to device {device.id!r}, not {body['device_id']!r}")
    # The ops by the protocol's own rules (sync.messages, as the client encoded them).
    pushed, invalid = PushRequest.from_wire(body)
    ops = list(pushed.ops)
    # Only a hub allowed with `hesabu hub allow` may send ops written by other devices.
    ops, foreign = relay_rejections(device.id, ops)
    # Only a leader's or admin's device, or an allowed hub, may send `resolve` ops.
    ops, unresolvable = resolve_rejections(device.id, ops)
    result = push_ops(device.id, ops, invalid=[*invalid, *foreign, *unresolvable],
                      now_ms=wall_clock_ms(),
                      max_drift_ms=int(current_app.config["HESABU_MAX_CLOCK_DRIFT_MS"]))
    clock = server_clock()
    clock.receive(list(result.applied_hlcs))
    answer = PushResponse(result.acked, result.rejected, result.server_seq, result.conflicts,
                          clock.now())
    # Protocol 3 clients know which ops they sent: "acked_rest" spares the id list.
    sent = [op.get("op_id") if isinstance(op, dict) else None for op in body["ops"]]
    compact = body["protocol"] >= PROTOCOL_3 and all(isinstance(i, str) for i in sent)
    return json_response(answer.to_wire(sent if compact else None))


@bp.get("/pull")
@require_device
def pull() -> Response:
    """Changes after `cursor` (a server sequence number), at most `limit` of them and
    no more than fit in `max_bytes` of JSON (at least one):
    `{changes, records, next_cursor, has_more, server_hlc}`."""
    try:
        query = PullQuery().load(request.args.to_dict())
    except ValidationError as exc:
        code = "sync.cursor_invalid" if "cursor" in exc.messages else "request.invalid"
        raise ApiError(code, "bad pull parameters", details={"fields": exc.messages}) from None
    max_limit = int(current_app.config["HESABU_MAX_PULL_LIMIT"])
    limit = min(query["limit"] or int(current_app.config["HESABU_DEFAULT_PULL_LIMIT"]),
                max_limit)
    max_bytes = min(query["max_bytes"] or int(current_app.config["HESABU_DEFAULT_PULL_BYTES"]),
                    int(current_app.config["HESABU_MAX_PULL_BYTES"]))
    device = current_device()
    key = page_key(device.id, query, limit, max_bytes)
    ahead = pages_ahead()
    ready = ahead.take(key) if ahead is not None else None
    if ready is None:
        page = pull_changes(device, query["cursor"], limit, protocol=query["protocol"],
                            with_records=query["records"], max_bytes=max_bytes)
        ready = ReadyPage(page.to_json(server_hlc=server_clock().now()), None,
                          page.next_cursor, page.has_more)
    if ahead is not None and ready.has_more:
        # The device stores this page before it asks for the next: that one is made
        # meanwhile (services/pull_ahead.py).
        ahead.start(current_app._get_current_object(), device,
                    key._replace(cursor=ready.next_cursor),
                    gzip_it=request.accept_encodings["gzip"] > 0)
    return json_bytes_response(ready.body, gzipped=ready.gzipped)
