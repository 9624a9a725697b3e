"""The downloads page: profile files for everyone who sees profiles, record-level
tables for leaders and admins. The files themselves come from /api/exports/."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l

from server.auth import current_user, roles_required
from server.services.exports import PROFILE_FORMATS, RECORD_FORMATS
from server.services.exports.records import LINKED_FORMS
from server.services.indicators.profiles import list_cities
from server.services.indicators.viewer import PROFILE_ROLES, can_export_records, viewer_for

bp = Blueprint("downloads", __name__)

FORM_TITLES = {"sdi_settlement_profile": _l("Settlement profiles"),
               "sdi_structure_numbering": _l("Structure numbering"),
               "sdi_household_enumeration": _l("Household enumeration")}


@bp.get("/downloads")
@roles_required(*PROFILE_ROLES)
def index() -> str:
    """Links to every download the current user may take."""
    user = current_user()
    viewer = viewer_for(user)
    return render_template(
        "downloads/index.html", viewer=viewer, cities=list_cities(viewer),
        profile_formats=PROFILE_FORMATS, record_formats=RECORD_FORMATS,
        record_forms=[(f, FORM_TITLES[f]) for f in LINKED_FORMS] if can_export_records(user)
        else [])
