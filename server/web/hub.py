"""The office hub's page: is the link to the central server working, what is waiting."""

from __future__ import annotations

from flask import Blueprint, render_template

from server.auth import Role, roles_required
from server.services.hub import hub_status

bp = Blueprint("hub_web", __name__)


@bp.get("/hub")
@roles_required(Role.ADMIN, Role.LEADER)
def status() -> str:
    """Upstream link: last success, last error, ops and files waiting to go up."""
    return render_template("hub/status.html", status=hub_status())
