"""People pages: users, devices (enrol with a code and a QR code, revoke), assignments,
the audit log, and everyone's own API tokens. The rules are in
services/account_admin.py; these views only turn forms into calls and errors into
messages."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from server.auth import Role, acting, login_required, roles_required
from server.auth import visible_federation_ids as _visible
from server.errors import ApiError
from server.schemas.values import whole_number
from server.services import account_admin as admin
from server.services.audit import audit_events
from server.services.device_accounts import qr_png, qr_svg

bp = Blueprint("accounts_web", __name__)

_STAFF = (Role.ADMIN, Role.LEADER)
AUDIT_PAGE = 100


def _attempt(job: Callable[[], Any], done: str) -> bool:
    """Run a change; flash `done` or the reason it was refused."""
    try:
        job()
    except ApiError as err:
        flash(err.message, "error")
        return False
    flash(done, "success")
    return True


def _no_store(html: str) -> Response:
    """A page showing a secret once: browsers must not keep it in their cache."""
    response = make_response(html)
    response.headers["Cache-Control"] = "no-store"
    return response


def _form(name: str) -> str:
    return request.form.get(name, "").strip()


@bp.get("/users")
@roles_required(*_STAFF)
def users() -> str:
    """People of your federation (admins: everyone) and a form to add one."""
    user = acting()
    return render_template("accounts/users.html", users=admin.list_users(user),
                           federations={f["id"]: f["name"]
                                        for f in admin.list_federations(user)},
                           roles=[r.value for r in Role], is_admin=user.role == "admin")


@bp.post("/users")
@roles_required(*_STAFF)
def create_user() -> Response:
    """Add a person (leaders: an enumerator of their federation)."""
    user = acting()
    _attempt(lambda: admin.create_user(
        user, _form("username"), request.form.get("password", ""),
        _form("role") or Role.ENUMERATOR.value, _form("federation_id") or None,
        _form("display_name")), _("Added %(name)s.", name=_form("username").lower()))
    return redirect(url_for(".users"))


@bp.post("/users/<user_id>")
@roles_required(*_STAFF)
def update_user(user_id: str) -> Response:
    """Change a role (admins), deactivate or reactivate, set a new password."""
    changes: dict[str, Any] = {}
    if _form("role"):
        changes["role"] = _form("role")
    if _form("federation_id"):
        changes["federation_id"] = _form("federation_id")
    if _form("active") in ("0", "1"):
        changes["active"] = _form("active") == "1"
    if request.form.get("password"):
        changes["password"] = request.form["password"]
    _attempt(lambda: admin.update_user(acting(), user_id, **changes), _("Saved."))
    return redirect(url_for(".users"))


@bp.post("/federations")
@roles_required(Role.ADMIN)
def create_federation() -> Response:
    """Add a federation (admins)."""
    _attempt(lambda: admin.create_federation(acting(), _form("name"), _form("country"),
                                             _form("city")),
             _("Added federation %(name)s.", name=_form("name")))
    return redirect(url_for(".users"))


@bp.get("/devices")
@roles_required(*_STAFF)
def devices() -> str:
    """Tablets with their person and last sync; enrol a new one, revoke a lost one."""
    user = acting()
    people = [u for u in admin.list_users(user)
              if u["active"] and u["role"] in ("enumerator", "leader")]
    return render_template("accounts/devices.html", devices=admin.list_devices(user),
                           people=people)


@bp.post("/devices/enrol")
@roles_required(*_STAFF)
def enrol() -> Response:
    """A one-time code for a person's tablet, with its QR code, shown once."""
    try:
        hours = min(max(float(_form("ttl_hours") or 24), 0.1), 24 * 14)
    except ValueError:
        hours = 24.0
    server = str(current_app.config.get("HESABU_PUBLIC_URL") or request.url_root)
    try:
        offer = admin.enrolment_code(acting(), _form("user_id"), server.rstrip("/"),
                                     hours)
    except ApiError as err:
        flash(err.message, "error")
        return redirect(url_for(".devices"))
    png = base64.b64encode(qr_png(offer.payload)).decode("ascii")
    person = next((u for u in admin.list_users(acting())
                   if u["id"] == offer.user_id), None)
    return _no_store(render_template("accounts/enrol.html", offer=offer, person=person,
                                     qr_svg=qr_svg(offer.payload), qr_png=png,
                                     server=server.rstrip("/")))


@bp.post("/devices/<device_id>/revoke")
@roles_required(*_STAFF)
def revoke(device_id: str) -> Response:
    """Refuse a lost or stolen tablet from now on."""
    _attempt(lambda: admin.revoke_device(acting(), device_id),
             _("Device %(device)s revoked: it can no longer sync.", device=device_id))
    return redirect(url_for(".devices"))


@bp.get("/assignments")
@roles_required(*_STAFF)
def assignments() -> str:
    """Which enumerator works where; their tablets pull exactly these settlements."""
    user = acting()
    enumerators = [u for u in admin.list_users(user)
                   if u["role"] == "enumerator" and u["active"]]
    return render_template("accounts/assignments.html",
                           assignments=admin.list_assignments(user),
                           enumerators=enumerators, settlements=admin.list_settlements(user))


@bp.post("/assignments")
@roles_required(*_STAFF)
def assign() -> Response:
    """Assign a settlement to an enumerator."""
    _attempt(lambda: admin.assign(acting(), _form("user_id"), _form("settlement_id")),
             _("Assigned."))
    return redirect(url_for(".assignments"))


@bp.post("/assignments/remove")
@roles_required(*_STAFF)
def unassign() -> Response:
    """End an assignment."""
    _attempt(lambda: admin.unassign(acting(), _form("user_id"), _form("settlement_id")),
             _("Assignment removed."))
    return redirect(url_for(".assignments"))


@bp.post("/settlements/new")
@roles_required(*_STAFF)
def create_settlement() -> Response:
    """Add a settlement before it is profiled, so it can be assigned."""
    _attempt(lambda: admin.create_settlement(acting(), _form("name"), _form("city"),
                                             _form("federation_id") or None),
             _("Added settlement %(name)s.", name=_form("name")))
    return redirect(url_for(".assignments"))


@bp.get("/audit")
@roles_required(*_STAFF)
def audit_log() -> str:
    """Who did what: logins, role changes, devices, exports, reviews, resolutions."""
    before = whole_number(request.args.get("before"), lo=1)
    action = request.args.get("action") or None
    events = audit_events(_visible(acting()), limit=AUDIT_PAGE, before_id=before,
                          action=action)
    older = events[-1]["id"] if len(events) == AUDIT_PAGE else None
    return render_template("accounts/audit.html", events=events, older=older,
                           action=action or "")


@bp.get("/tokens")
@login_required
def tokens() -> str:
    """Your API tokens for scripts."""
    return render_template("accounts/tokens.html", tokens=admin.list_tokens(acting()),
                           new_token=None)


@bp.post("/tokens")
@login_required
def create_token() -> Response:
    """Create a token; it is shown on this page once."""
    try:
        info, raw = admin.create_token(acting(), _form("name"))
    except ApiError as err:
        flash(err.message, "error")
        return redirect(url_for(".tokens"))
    return _no_store(render_template("accounts/tokens.html",
                                     tokens=admin.list_tokens(acting()),
                                     new_token={"name": info["name"], "token": raw}))


@bp.post("/tokens/<token_id>/revoke")
@login_required
def revoke_token(token_id: str) -> Response:
    """Revoke a token: scripts using it stop working at once."""
    _attempt(lambda: admin.revoke_token(acting(), token_id), _("Token revoked."))
    return redirect(url_for(".tokens"))
