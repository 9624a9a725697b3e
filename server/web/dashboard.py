"""The dashboard: today's arrivals, pending conflicts and reviews, devices."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l

from server.auth import Role, current_user, roles_required
from server.services.dashboard import dashboard

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

FORM_NAMES = {"sdi_settlement_profile": _l("Settlement profiles"),
              "sdi_structure_numbering": _l("Structures"),
              "sdi_household_enumeration": _l("Households"),
              "sdi_city_profile": _l("City profiles")}


@bp.get("/")
@roles_required(Role.ADMIN, Role.LEADER)
def index() -> str:
    """What came in today, what waits for a leader, and how the tablets sync."""
    return render_template("review/dashboard.html", board=dashboard(current_user()),
                           form_names=FORM_NAMES)
