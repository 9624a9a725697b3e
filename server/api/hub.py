"""`/api/hub`: the office hub's upstream link, for the web page and monitoring."""

from __future__ import annotations

from flask import Blueprint, Response

from server.api.wire import json_response
from server.services.hub import hub_status

bp = Blueprint("hub", __name__, url_prefix="/api/hub")


@bp.get("/status")
def status() -> Response:
    """`{linked, upstream_url, last_success, last_attempt, last_error, waiting_ops,
    waiting_files, push_seq, pull_cursor}`; `{linked: false}` on a server that is not a
    hub. No personal data, so no login: an office screen can poll it."""
    return json_response(hub_status())
