"""Managing people, settlements, assignments, devices and tokens, with the rules of who
may do what. The JSON API and the web pages both call these, so the rules live here once.

`actor` is who does it (`server.auth.acting()`: the user and their address); the rules
read its role and federation, the audit log records it. Objects of a federation the
actor cannot see answer "not found", so ids of other federations leak nothing.
Every change is written to the audit log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from server.auth.roles import Role, can_manage_federation, role_of, visible_federation_ids
from server.errors import ApiError
from server.extensions import db
from server.models import (
    ApiToken,
    Assignment,
    Device,
    DeviceAccount,
    Federation,
    Settlement,
    User,
)
from server.models.types import utcnow
from server.services import accounts, devices
from server.services.audit import Actor, audit
from server.services.device_accounts import EnrolmentOffer
from server.services.refusals import refusals_by_device
from server.services.scoping import request_rescan, visible_settlement_ids


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _invalid(err: accounts.AccountError) -> ApiError:
    code = "account.conflict" if err.conflict else "account.invalid"
    return ApiError(code, str(err))


def _forbidden(message: str) -> ApiError:
    return ApiError("auth.forbidden", message)


def _not_found(kind: str, key: str) -> ApiError:
    return ApiError("request.not_found", _("no %(kind)s %(key)r", kind=kind, key=key))


def _require(actor: Actor, *roles: Role) -> Role:
    role = role_of(actor)
    if role not in roles:
        raise _forbidden(_("a %(role)s may not do this",
                           role=getattr(actor, "role", None) or "visitor"))
    assert role is not None
    return role


def _in_scope(actor: Actor, federation_id: str | None) -> bool:
    visible = visible_federation_ids(actor)
    return visible is None or federation_id in visible


# Federations ---------------------------------------------------------------------------

def federation_dict(f: Federation) -> dict[str, Any]:
    return {"id": f.id, "name": f.name, "country": f.country, "city": f.city,
            "created_at": _iso(f.created_at)}


def list_federations(actor: Actor) -> list[dict[str, Any]]:
    query = select(Federation).order_by(Federation.name)
    visible = visible_federation_ids(actor)
    if visible is not None:
        query = query.where(Federation.id.in_(visible))
    return [federation_dict(f) for f in db.session.execute(query).scalars()]


def create_federation(actor: Actor, name: str, country: str = "", city: str = ""
                      ) -> dict[str, Any]:
    _require(actor, Role.ADMIN)
    try:
        federation = accounts.create_federation(name, country, city)
    except accounts.AccountError as err:
        raise _invalid(err) from None
    found = federation_dict(federation)
    audit(actor, "federation.create", federation.name, in_federation=federation.id)
    return found


# Users ---------------------------------------------------------------------------------

def user_dict(u: User) -> dict[str, Any]:
    return {"id": u.id, "username": u.username, "display_name": u.display_name,
            "role": u.role, "federation_id": u.federation_id, "active": u.active,
            "created_at": _iso(u.created_at), "last_login": _iso(u.last_login)}


def list_users(actor: Actor, federation_id: str | None = None) -> list[dict[str, Any]]:
    """Admins: everyone (or one federation's); leaders: their federation's people."""
    _require(actor, Role.ADMIN, Role.LEADER)
    query = select(User).order_by(User.role, User.username)
    visible = visible_federation_ids(actor)
    if visible is not None:
        query = query.where(User.federation_id.in_(visible))
    if federation_id:
        query = query.where(User.federation_id == federation_id)
    return [user_dict(u) for u in db.session.execute(query).scalars()]


def _user_in_scope(actor: Actor, user_id: str) -> User:
    user = db.session.get(User, user_id)
    if user is None or (role_of(actor) is not Role.ADMIN
                        and not can_manage_federation(actor, user.federation_id)):
        raise _not_found("user", user_id)
    return user


def get_user(actor: Actor, user_id: str) -> dict[str, Any]:
    _require(actor, Role.ADMIN, Role.LEADER)
    return user_dict(_user_in_scope(actor, user_id))


def create_user(actor: Actor, username: str, password: str, role: str,
                federation_id: str | None = None, display_name: str = "") -> dict[str, Any]:
    """Admins create anyone; leaders create enumerators of their own federation."""
    actor_role = _require(actor, Role.ADMIN, Role.LEADER)
    if actor_role is Role.LEADER:
        if role != Role.ENUMERATOR.value:
            raise _forbidden("leaders create enumerators; ask an admin for other roles")
        federation_id = federation_id or actor.federation_id
        if federation_id != actor.federation_id:
            raise _forbidden("leaders create people of their own federation only")
    try:
        user = accounts.create_user(username, password, role, federation_id, display_name)
    except accounts.AccountError as err:
        raise _invalid(err) from None
    found = user_dict(user)
    audit(actor, "user.create", found["username"], role=found["role"],
          in_federation=found["federation_id"])
    return found


def update_user(actor: Actor, user_id: str, *, role: str | None = None,
                federation_id: str | None = None, display_name: str | None = None,
                active: bool | None = None, password: str | None = None) -> dict[str, Any]:
    """Change a user. Roles and federations: admins only. Leaders may rename, deactivate
    and set passwords of their federation's enumerators."""
    actor_role = _require(actor, Role.ADMIN, Role.LEADER)
    user = _user_in_scope(actor, user_id)
    if actor_role is Role.LEADER and (role is not None or federation_id is not None
                                      or user.role != Role.ENUMERATOR.value):
        db.session.rollback()
        raise _forbidden(_("only an admin changes roles, federations and non-enumerators"))
    changes: dict[str, Any] = {}
    if role is not None and role != user.role:
        try:
            new_role = Role(role)
        except ValueError:
            db.session.rollback()
            raise ApiError("account.invalid", _("unknown role %(role)r", role=role)) from None
        if user.id == actor.id:
            db.session.rollback()
            raise _forbidden(_("you cannot change your own role"))
        changes["role"] = [user.role, new_role.value]
        user.role = new_role.value
        if new_role is Role.ADMIN:
            user.federation_id = None
    if federation_id is not None and federation_id != user.federation_id:
        if db.session.get(Federation, federation_id) is None:
            db.session.rollback()
            raise ApiError("account.invalid", _("no federation %(id)r", id=federation_id))
        changes["federation_id"] = [user.federation_id, federation_id]
        user.federation_id = federation_id
    if user.role != Role.ADMIN.value and user.federation_id is None:
        db.session.rollback()
        raise ApiError("account.invalid",
                       _("a %(role)s must belong to a federation", role=user.role))
    if display_name is not None and display_name.strip() != user.display_name:
        changes["display_name"] = [user.display_name, display_name.strip()]
        user.display_name = display_name.strip() or user.username
    if active is not None and active != user.active:
        if user.id == actor.id:
            db.session.rollback()
            raise _forbidden(_("you cannot deactivate yourself"))
        changes["active"] = [user.active, active]
        user.active = active
    if password is not None:
        try:
            user.password_hash = accounts.hash_password(password)
        except accounts.AccountError as err:
            db.session.rollback()
            raise _invalid(err) from None
        user.failed_logins, user.locked_until = 0, None
        changes["password"] = "set"
    if {"role", "federation_id"} & changes.keys() or changes.get("active") == [False, True]:
        request_rescan(user.id, "role, federation or activation changed")
    found = user_dict(user)
    db.session.commit()
    if "role" in changes or "federation_id" in changes:
        audit(actor, "user.role_change", found["username"],
              in_federation=found["federation_id"], **changes)
    elif changes:
        audit(actor, "user.update", found["username"],
              in_federation=found["federation_id"], **changes)
    return found


# Settlements and assignments -----------------------------------------------------------

def settlement_dict(s: Settlement) -> dict[str, Any]:
    return {"id": s.id, "federation_id": s.federation_id, "name": s.name, "city": s.city,
            "created_at": _iso(s.created_at)}


def list_settlements(actor: Actor) -> list[dict[str, Any]]:
    """The settlements `actor` may see (enumerators: their assignments)."""
    query = select(Settlement).order_by(Settlement.name)
    visible = visible_settlement_ids(actor)
    if visible is not None:
        query = query.where(Settlement.id.in_(visible.scalar_subquery()))
    return [settlement_dict(s) for s in db.session.execute(query).scalars()]


def create_settlement(actor: Actor, name: str, city: str = "",
                      federation_id: str | None = None) -> dict[str, Any]:
    actor_role = _require(actor, Role.ADMIN, Role.LEADER)
    federation_id = federation_id or (actor.federation_id if actor_role is Role.LEADER
                                      else None)
    if not federation_id or db.session.get(Federation, federation_id) is None:
        db.session.rollback()
        raise ApiError("account.invalid", _("a settlement needs an existing federation"))
    if not can_manage_federation(actor, federation_id):
        raise _forbidden(_("leaders add settlements to their own federation only"))
    name = name.strip()
    if not name or len(name) > 200:
        raise ApiError("account.invalid", _("a settlement needs a name of 1-200 characters"))
    settlement = Settlement(federation_id=federation_id, name=name, city=city.strip()[:100])
    db.session.add(settlement)
    db.session.flush()
    found = settlement_dict(settlement)
    db.session.commit()
    audit(actor, "settlement.create", found["id"], name=name)
    return found


def _settlement_in_scope(actor: Actor, settlement_id: str) -> Settlement:
    settlement = db.session.get(Settlement, settlement_id)
    if settlement is None or not _in_scope(actor, settlement.federation_id):
        raise _not_found("settlement", settlement_id)
    return settlement


def list_assignments(actor: Actor, user_id: str | None = None) -> list[dict[str, Any]]:
    _require(actor, Role.ADMIN, Role.LEADER, Role.ENUMERATOR)
    query = (select(Assignment, User.username, Settlement.name, Settlement.federation_id)
             .join(User, User.id == Assignment.user_id)
             .join(Settlement, Settlement.id == Assignment.settlement_id)
             .order_by(User.username, Settlement.name))
    if role_of(actor) is Role.ENUMERATOR:
        query = query.where(Assignment.user_id == actor.id)
    visible = visible_federation_ids(actor)
    if visible is not None:
        query = query.where(Settlement.federation_id.in_(visible))
    if user_id:
        query = query.where(Assignment.user_id == user_id)
    return [{"user_id": a.user_id, "username": username, "settlement_id": a.settlement_id,
             "settlement_name": name, "federation_id": fed, "created_at": _iso(a.created_at)}
            for a, username, name, fed in db.session.execute(query)]


def assign(actor: Actor, user_id: str, settlement_id: str) -> dict[str, Any]:
    """Let an enumerator's devices pull a settlement of their federation."""
    _require(actor, Role.ADMIN, Role.LEADER)
    user = _user_in_scope(actor, user_id)
    settlement = _settlement_in_scope(actor, settlement_id)
    if user.role != Role.ENUMERATOR.value:
        raise ApiError("account.invalid", _("settlements are assigned to enumerators"))
    if user.federation_id != settlement.federation_id:
        raise ApiError("account.invalid", _("the settlement is in another federation"))
    names = (user.username, settlement.name, settlement.federation_id)
    if db.session.get(Assignment, (user_id, settlement_id)) is None:
        db.session.add(Assignment(user_id=user_id, settlement_id=settlement_id))
        request_rescan(user_id, f"settlement {names[1]} assigned")
        db.session.commit()
        audit(actor, "assignment.add", f"{names[0]} -> {names[1]}", user_id=user_id,
              settlement_id=settlement_id, in_federation=names[2])
    return {"user_id": user_id, "settlement_id": settlement_id}


def unassign(actor: Actor, user_id: str, settlement_id: str) -> None:
    _require(actor, Role.ADMIN, Role.LEADER)
    user = _user_in_scope(actor, user_id)
    settlement = _settlement_in_scope(actor, settlement_id)
    row = db.session.get(Assignment, (user_id, settlement_id))
    if row is None:
        raise _not_found("assignment", f"{user_id} -> {settlement_id}")
    names = (user.username, settlement.name, settlement.federation_id)
    db.session.delete(row)
    db.session.commit()
    audit(actor, "assignment.remove", f"{names[0]} -> {names[1]}", user_id=user_id,
          settlement_id=settlement_id, in_federation=names[2])


# Devices -------------------------------------------------------------------------------

def list_devices(actor: Actor) -> list[dict[str, Any]]:
    """Devices with their person and federation, and the changes of each that this
    server (or, on a hub, its upstream) refused, grouped by reason. Leaders: their
    federation's."""
    _require(actor, Role.ADMIN, Role.LEADER)
    query = (select(Device, DeviceAccount.user_id, DeviceAccount.federation_id,
                    User.username)
             .outerjoin(DeviceAccount, DeviceAccount.device_id == Device.id)
             .outerjoin(User, User.id == DeviceAccount.user_id)
             .order_by(Device.enrolled_at.desc()))
    visible = visible_federation_ids(actor)
    if visible is not None:
        query = query.where(DeviceAccount.federation_id.in_(visible))
    rows = db.session.execute(query).all()
    refused = refusals_by_device(db.session, [d.id for d, *_ in rows])
    return [{"id": d.id, "name": d.name, "user_id": uid, "username": username,
             "federation_id": fed, "enrolled_at": _iso(d.enrolled_at),
             "last_seen": _iso(d.last_seen), "revoked": d.revoked,
             "refused": [g.to_wire() for g in refused.get(d.id, [])]}
            for d, uid, fed, username in rows]


def enrolment_code(actor: Actor, user_id: str, server_url: str, ttl_hours: float
                   ) -> EnrolmentOffer:
    """A one-time code that enrols a tablet for `user_id` (shown once)."""
    _require(actor, Role.ADMIN, Role.LEADER)
    user = _user_in_scope(actor, user_id)
    if not user.active:
        raise ApiError("account.invalid", _("%(name)s is deactivated", name=user.username))
    if user.role == Role.OFFICIAL.value:
        raise ApiError("account.invalid", _("officials do not collect data on tablets"))
    username = user.username
    offer = devices.create_code_for(user, server_url, ttl_hours, actor.id)
    audit(actor, "device.enrolment_code", username, user_id=user_id,
          expires_at=offer.expires_at.isoformat(), in_federation=offer.federation_id)
    return offer


def revoke_device(actor: Actor, device_id: str) -> None:
    _require(actor, Role.ADMIN, Role.LEADER)
    device = db.session.get(Device, device_id)
    account = db.session.get(DeviceAccount, device_id)
    federation = account.federation_id if account is not None else None
    if device is None or (role_of(actor) is not Role.ADMIN
                          and not can_manage_federation(actor, federation)):
        db.session.rollback()
        raise _not_found("device", device_id)
    name = device.name
    db.session.rollback()
    devices.revoke_device(device_id)
    audit(actor, "device.revoke", device_id, name=name, in_federation=federation)


# API tokens ----------------------------------------------------------------------------

def token_dict(t: ApiToken) -> dict[str, Any]:
    return {"id": t.id, "user_id": t.user_id, "name": t.name,
            "created_at": _iso(t.created_at), "last_used": _iso(t.last_used),
            "revoked": t.revoked_at is not None}


def list_tokens(actor: Actor) -> list[dict[str, Any]]:
    """Your own tokens (admins: everyone's)."""
    query = select(ApiToken).order_by(ApiToken.created_at.desc())
    if role_of(actor) is not Role.ADMIN:
        query = query.where(ApiToken.user_id == actor.id)
    return [token_dict(t) for t in db.session.execute(query).scalars()]


def create_token(actor: Actor, name: str) -> tuple[dict[str, Any], str]:
    """A token for your own scripts: (its info, the token, shown this once)."""
    if role_of(actor) is None:
        raise _forbidden("log in first")
    try:
        info, raw = accounts.create_api_token(actor.id, name)
    except accounts.AccountError as err:
        raise _invalid(err) from None
    audit(actor, "token.create", info.name, token_id=info.id)
    found = {"id": info.id, "user_id": info.user_id, "name": info.name,
             "created_at": _iso(info.created_at), "last_used": None, "revoked": False}
    return found, raw


def revoke_token(actor: Actor, token_id: str) -> None:
    row = db.session.get(ApiToken, token_id)
    if row is None or (row.user_id != actor.id and role_of(actor) is not Role.ADMIN):
        db.session.rollback()
        raise _not_found("token", token_id)
    name = row.name
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    db.session.commit()
    audit(actor, "token.revoke", name, token_id=token_id)
