"""`/api/forms`: the FormSpec JSON of published versions, for devices to download."""

from __future__ import annotations

from flask import Blueprint, Response

from server.api.wire import json_response, require_device
from server.errors import ApiError
from server.services.forms import form_version

bp = Blueprint("forms", __name__, url_prefix="/api/forms")


@bp.get("/<form_id>/versions/<version>")
@require_device
def get_version(form_id: str, version: str) -> Response:
    """`{form_id, version, title, published_at, spec}`; pull pages announce new versions."""
    found = form_version(form_id, version)
    if found is None:
        raise ApiError("request.not_found", f"form {form_id!r} has no version {version!r}")
    return json_response(found)
