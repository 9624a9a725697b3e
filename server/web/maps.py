"""The map's data: `GET /map/features`, the GeoJSON the settlements list, settlement and
city pages draw with Leaflet (server/web/static/map.js). Settlement boundaries and
points for everyone who sees profiles; structure points for leaders and admins only
(server/services/maps.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request, url_for
from marshmallow import ValidationError, fields, validate

from server.api.wire import json_response
from server.auth import current_user, roles_required
from server.errors import ApiError
from server.schemas.profiles import SettlementFilterSchema
from server.services.indicators.profiles import Filters
from server.services.indicators.viewer import PROFILE_ROLES, viewer_for
from server.services.maps import map_features

bp = Blueprint("maps", __name__)


class MapQuerySchema(SettlementFilterSchema):
    """The settlements list's filters, or one settlement."""

    settlement_id = fields.String(load_default=None, validate=validate.Length(max=36))


def _filters(args: dict[str, Any]) -> Filters:
    base = Filters.from_args(args)
    if args.get("settlement_id"):
        return Filters(settlement_ids=frozenset({args["settlement_id"]}), city=base.city)
    return base


@bp.get("/map/features")
@roles_required(*PROFILE_ROLES)
def features() -> Response:
    """The visible settlements (and, for leaders, structures) as GeoJSON."""
    raw = {k: v for k, v in request.args.items() if v.strip()}
    try:
        args = MapQuerySchema().load(raw)
    except ValidationError as exc:
        raise ApiError("request.invalid", "the map's filters are not valid",
                       details={"fields": exc.messages}) from None
    found = map_features(viewer_for(current_user()), _filters(args),
                         limit=int(current_app.config["HESABU_MAP_MAX_STRUCTURES"]))
    for feature in found["features"]:
        props = feature["properties"]
        props["href"] = (url_for("records.show", record_id=props["id"])
                         if props["kind"] == "structure"
                         else url_for("profiles.settlement", settlement_id=props["id"]))
    response = json_response(found)
    response.mimetype = "application/geo+json"
    response.headers["Cache-Control"] = "private, no-store"
    return response
