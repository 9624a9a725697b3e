"""`POST /api/users/<user_id>/collect-access`: a leader gives one of their people access
for ODK Collect, Kobo Collect or Enketo (docs/openrosa.md); the same as
`hesabu server collect-access`."""

from __future__ import annotations

from flask import Blueprint, Response

from server.api.accounts import server_url
from server.api.openapi import doc
from server.api.wire import json_response
from server.auth import Role, acting, api_roles_required
from server.services.openrosa_auth import issue_access_for

bp = Blueprint("collect_access_api", __name__, url_prefix="/api")

_ANSWER = {"type": "object", "properties": {
    name: {"type": "string"} for name in ("username", "password", "server_url", "token_url",
                                          "device_id")}}


@bp.post("/users/<user_id>/collect-access")
@api_roles_required(Role.ADMIN, Role.LEADER)
@doc(answer=_ANSWER, status=201,
     errors=["account.invalid", "request.not_found", "auth.forbidden"])
def collect_access(user_id: str) -> Response:
    """Collect access for this user: the server URL with their key, or the URL, their
    username and a new password (shown once; the old password and key stop working).
    Admins for anyone, leaders for their federation's people; not for officials."""
    access = issue_access_for(acting(), user_id, server_url())
    return json_response({"username": access.username, "password": access.password,
                          "server_url": access.server_url, "token_url": access.token_url,
                          "device_id": access.device_id}, 201)
