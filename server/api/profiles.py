"""`/api/settlements`, `/api/cities`: settlement and city profiles as JSON."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request

from server.api.openapi import doc, schema_json
from server.api.wire import json_response, load
from server.auth import (
    Role,
    api_roles_required,
    can_see_household_data,
    current_user,
    visible_federation_ids,
)
from server.errors import ApiError
from server.schemas.profiles import (
    CityListSchema,
    CityProfileSchema,
    SettlementFilterSchema,
    SettlementListSchema,
    SettlementProfileSchema,
)
from server.services.indicators import privacy
from server.services.indicators.profiles import (
    Filters,
    Viewer,
    city_profile,
    list_cities,
    list_settlements,
    settlement_profile,
)

bp = Blueprint("profiles_api", __name__, url_prefix="/api")

#: Who sees profiles: enumerators work on devices and see none.
PROFILE_ROLES = (Role.ADMIN, Role.LEADER, Role.OFFICIAL)


def current_viewer() -> Viewer:
    """What the logged-in user may see, as the indicator services understand it."""
    user = current_user()
    ids = visible_federation_ids(user)
    return Viewer(
        federation_ids=None if ids is None else frozenset(ids),
        aggregates_only=not can_see_household_data(user),
        threshold=int(current_app.config.get("HESABU_SMALL_COUNT_THRESHOLD",
                                             privacy.DEFAULT_THRESHOLD)),
    )


def filters_from(args: dict[str, Any]) -> Filters:
    return Filters(city=args.get("city"), federation_id=args.get("federation_id"),
                   eviction_threat=args.get("eviction_threat"),
                   legal_status=args.get("legal_status"), search=args.get("q"))


def query_args(schema: Any) -> dict[str, Any]:
    return load(schema, request.args.to_dict())


@bp.get("/settlements")
@api_roles_required(*PROFILE_ROLES)
@doc(query=SettlementFilterSchema, answer=schema_json(SettlementListSchema()),
     errors=["request.invalid"])
def settlements() -> Response:
    """Settlements with a profile that you may see, with headline indicators."""
    args = query_args(SettlementFilterSchema())
    rows = list_settlements(current_viewer(), filters_from(args))
    return json_response(SettlementListSchema().dump({"settlements": rows}))


@bp.get("/settlements/<settlement_id>/profile")
@api_roles_required(*PROFILE_ROLES)
@doc(answer=schema_json(SettlementProfileSchema()), errors=["request.not_found"])
def settlement(settlement_id: str) -> Response:
    """One settlement's KYC profile: reported and enumerated figures side by side."""
    found = settlement_profile(current_viewer(), settlement_id)
    if found is None:
        raise ApiError("request.not_found",
                       f"no settlement profile {settlement_id!r} that you may see")
    return json_response(SettlementProfileSchema().dump(found))


@bp.get("/cities")
@api_roles_required(*PROFILE_ROLES)
@doc(answer=schema_json(CityListSchema()))
def cities() -> Response:
    """Cities with at least one settlement profile you may see."""
    return json_response(CityListSchema().dump({"cities": list_cities(current_viewer())}))


@bp.get("/cities/<name>/profile")
@api_roles_required(*PROFILE_ROLES)
@doc(answer=schema_json(CityProfileSchema()), errors=["request.not_found"])
def city(name: str) -> Response:
    """A KYC city profile (city name in any case)."""
    found = city_profile(current_viewer(), name)
    if found is None:
        raise ApiError("request.not_found", f"no profile of the city {name!r} that you may see")
    return json_response(CityProfileSchema().dump(found))
