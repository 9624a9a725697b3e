"""The accounts API: who am I, federations, users, settlements, assignments, devices,
API tokens, the audit log. Rules of who may do what: server/services/account_admin.py."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request
from marshmallow import Schema, ValidationError

from server.api.openapi import doc, field_schema
from server.api.wire import json_body, json_response, load, optional_json_body
from server.auth import (
    Actor,
    Role,
    acting,
    api_roles_required,
    current_user,
    visible_federation_ids,
)
from server.errors import ApiError
from server.schemas.accounts import (
    AssignmentSchema,
    AuditEventSchema,
    AuditQuery,
    DeviceSchema,
    EnrolmentCodeRequest,
    EnrolmentCodeSchema,
    FederationSchema,
    SettlementSchema,
    TokenSchema,
    UserSchema,
    UserUpdateSchema,
)
from server.services import account_admin as admin
from server.services.audit import audit_events
from server.services.device_accounts import qr_svg

bp = Blueprint("accounts_api", __name__, url_prefix="/api")

_STAFF = (Role.ADMIN, Role.LEADER)


def _answer(schema: type[Schema], many: bool = False) -> dict[str, Any]:
    """The JSON schema of an answer (OpenAPI): every field but the load_only ones."""
    props = {name: field_schema(f) for name, f in schema().fields.items() if not f.load_only}
    one = {"type": "object", "properties": props}
    return {"type": "array", "items": one} if many else one


def _me() -> Actor:
    """The caller, for the account services' rules and audit log."""
    return acting()


def _dump(schema: Schema, data: Any, status: int = 200) -> Response:
    many = isinstance(data, list)
    return json_response(schema.dump(data, many=many), status=status)


def server_url() -> str:
    """The address tablets use: HESABU_PUBLIC_URL, else the one this request came to."""
    return str(current_app.config.get("HESABU_PUBLIC_URL") or request.url_root).rstrip("/")


@bp.get("/me")
@api_roles_required()
@doc(answer=_answer(UserSchema))
def me() -> Response:
    """The logged-in user (by session or API token)."""
    return _dump(UserSchema(), admin.user_dict(current_user()))


@bp.get("/federations")
@api_roles_required()
@doc(answer=_answer(FederationSchema, many=True))
def federations() -> Response:
    """Federations you can see (admins: all; others: their own)."""
    return _dump(FederationSchema(), admin.list_federations(_me()))


@bp.post("/federations")
@api_roles_required(Role.ADMIN)
@doc(body=FederationSchema, answer=_answer(FederationSchema), status=201,
     errors=["account.invalid", "account.conflict"])
def create_federation() -> Response:
    """Create a federation (admins)."""
    body = load(FederationSchema(), json_body())
    return _dump(FederationSchema(), admin.create_federation(_me(), **body), 201)


@bp.get("/users")
@api_roles_required(*_STAFF)
@doc(answer=_answer(UserSchema, many=True))
def users() -> Response:
    """People you manage: admins everyone, leaders their federation."""
    return _dump(UserSchema(), admin.list_users(_me(), request.args.get("federation_id")))


@bp.post("/users")
@api_roles_required(*_STAFF)
@doc(body=UserSchema, answer=_answer(UserSchema), status=201,
     errors=["account.invalid", "account.conflict", "auth.forbidden"])
def create_user() -> Response:
    """Create a user. Leaders create enumerators of their own federation."""
    body = load(UserSchema(), json_body())
    return _dump(UserSchema(), admin.create_user(_me(), **body), 201)


@bp.get("/users/<user_id>")
@api_roles_required(*_STAFF)
@doc(answer=_answer(UserSchema), errors=["request.not_found"])
def user(user_id: str) -> Response:
    """One user you manage."""
    return _dump(UserSchema(), admin.get_user(_me(), user_id))


@bp.patch("/users/<user_id>")
@api_roles_required(*_STAFF)
@doc(body=UserUpdateSchema, answer=_answer(UserSchema),
     errors=["account.invalid", "auth.forbidden", "request.not_found"])
def update_user(user_id: str) -> Response:
    """Change a user: role and federation (admins), name, active, password."""
    body = load(UserUpdateSchema(), json_body())
    return _dump(UserSchema(), admin.update_user(_me(), user_id, **body))


@bp.post("/users/<user_id>/enrolment-codes")
@api_roles_required(*_STAFF)
@doc(body=EnrolmentCodeRequest, answer=_answer(EnrolmentCodeSchema), status=201,
     errors=["account.invalid", "request.not_found"])
def enrolment_code(user_id: str) -> Response:
    """A one-time code (and its QR code) that enrols a tablet for this user."""
    body = load(EnrolmentCodeRequest(), optional_json_body())
    offer = admin.enrolment_code(_me(), user_id, server_url(), body["ttl_hours"])
    return _dump(EnrolmentCodeSchema(), {
        "code": offer.code, "expires_at": offer.expires_at.isoformat(),
        "payload": offer.payload, "qr_svg": qr_svg(offer.payload), "user_id": offer.user_id,
        "federation_id": offer.federation_id, "pin": offer.pin}, 201)


@bp.post("/settlements")
@api_roles_required(*_STAFF)
@doc(body=SettlementSchema, answer=_answer(SettlementSchema), status=201,
     errors=["account.invalid", "auth.forbidden"])
def create_settlement() -> Response:
    """Add a settlement to a federation (before it is profiled, to assign it)."""
    body = load(SettlementSchema(), json_body())
    return _dump(SettlementSchema(), admin.create_settlement(_me(), **body), 201)


@bp.get("/assignments")
@api_roles_required(Role.ADMIN, Role.LEADER, Role.ENUMERATOR)
@doc(answer=_answer(AssignmentSchema, many=True))
def assignments() -> Response:
    """Which enumerator works in which settlement (enumerators: their own)."""
    return _dump(AssignmentSchema(),
                 admin.list_assignments(_me(), request.args.get("user_id")))


@bp.post("/assignments")
@api_roles_required(*_STAFF)
@doc(body=AssignmentSchema, answer=_answer(AssignmentSchema), status=201,
     errors=["account.invalid", "request.not_found"])
def assign() -> Response:
    """Assign a settlement to an enumerator: their devices pull its records."""
    body = load(AssignmentSchema(), json_body())
    return _dump(AssignmentSchema(), admin.assign(_me(), body["user_id"],
                                                  body["settlement_id"]), 201)


@bp.delete("/assignments/<user_id>/<settlement_id>")
@api_roles_required(*_STAFF)
@doc(status=204, errors=["request.not_found"])
def unassign(user_id: str, settlement_id: str) -> Response:
    """End an assignment."""
    admin.unassign(_me(), user_id, settlement_id)
    return Response(status=204)


@bp.get("/devices")
@api_roles_required(*_STAFF)
@doc(answer=_answer(DeviceSchema, many=True))
def devices() -> Response:
    """Enrolled devices with their person, federation and last sync."""
    return _dump(DeviceSchema(), admin.list_devices(_me()))


@bp.post("/devices/<device_id>/revoke")
@api_roles_required(*_STAFF)
@doc(status=204, errors=["request.not_found"])
def revoke_device(device_id: str) -> Response:
    """Refuse a lost or stolen device from now on."""
    admin.revoke_device(_me(), device_id)
    return Response(status=204)


@bp.get("/tokens")
@api_roles_required()
@doc(answer=_answer(TokenSchema, many=True))
def tokens() -> Response:
    """Your API tokens (admins: everyone's). The tokens themselves are never shown again."""
    return _dump(TokenSchema(), admin.list_tokens(_me()))


@bp.post("/tokens")
@api_roles_required()
@doc(body=TokenSchema, answer=_answer(TokenSchema), status=201, errors=["account.invalid"])
def create_token() -> Response:
    """Create an API token for your scripts; `token` is in this answer only."""
    body = load(TokenSchema(), json_body())
    info, raw = admin.create_token(_me(), body["name"])
    return _dump(TokenSchema(), {**info, "token": raw}, 201)


@bp.delete("/tokens/<token_id>")
@api_roles_required()
@doc(status=204, errors=["request.not_found"])
def revoke_token(token_id: str) -> Response:
    """Revoke an API token (yours; admins: anyone's)."""
    admin.revoke_token(_me(), token_id)
    return Response(status=204)


@bp.get("/audit")
@api_roles_required(*_STAFF)
@doc(query=AuditQuery, answer=_answer(AuditEventSchema, many=True))
def audit_log() -> Response:
    """The audit log, newest first: admins all of it, leaders their federation's."""
    try:
        query = AuditQuery().load(request.args.to_dict())
    except ValidationError as exc:
        raise ApiError("request.invalid", "bad audit query",
                       details={"fields": exc.messages}) from None
    return _dump(AuditEventSchema(), audit_events(visible_federation_ids(current_user()), **query))
