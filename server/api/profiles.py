"""`/api/settlements`, `/api/cities`: settlement and city profiles as JSON."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from server.api.openapi import doc, schema_json
from server.api.wire import json_response, load
from server.auth import api_roles_required, current_user
from server.errors import ApiError
from server.schemas.profiles import (
    CityListSchema,
    CityProfileSchema,
    SettlementFilterSchema,
    SettlementListSchema,
    SettlementProfileSchema,
)
from server.services.indicators.profiles import (
    Filters,
    Viewer,
    city_profile,
    list_cities,
    list_settlements,
    settlement_profile,
)
from server.services.indicators.viewer import PROFILE_ROLES, viewer_for

bp = Blueprint("profiles_api", __name__, url_prefix="/api")


def current_viewer() -> Viewer:
    """What the logged-in user may see, as the indicator services understand it."""
    return viewer_for(current_user())


def filters_from(args: dict[str, Any]) -> Filters:
    return Filters.from_args(args)


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
