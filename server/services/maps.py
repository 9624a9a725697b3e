"""What the web map draws, as GeoJSON, and where its background tiles come from.

Settlements are drawn for everyone who may see profiles: each one's boundary (a polygon)
and its point. Structure points are household-level data: only people who may see
households (leaders, admins: `Viewer.aggregates_only` is False) get them; an official's
map never receives one.

Tiles are the operator's choice (`HESABU_MAP_TILES`, a URL template such as
`https://tiles.example.org/{z}/{x}/{y}.png`, and `HESABU_MAP_ATTRIBUTION`). Without a
tile URL no tile is ever requested: boundaries and points draw on a plain background
with a scale bar (an office with no internet).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.extensions import db
from server.models.indicators import StructureFacts
from server.services.indicators.profiles import Filters, Viewer, list_settlements

#: Structure points sent at most in one map (a city of many settlements); the answer
#: says when some were left out.
MAX_STRUCTURES = 20_000


def init_maps(app: Flask) -> None:
    """Read the tile settings (config, else the environment) and let pages load images
    from the tile server (the Content-Security-Policy's img-src)."""
    for key in ("HESABU_MAP_TILES", "HESABU_MAP_ATTRIBUTION"):
        app.config.setdefault(key, os.environ.get(key, ""))
    app.config.setdefault("HESABU_MAP_MAX_STRUCTURES", MAX_STRUCTURES)
    tiles = str(app.config["HESABU_MAP_TILES"] or "").strip()
    if tiles:
        origin = tile_origin(tiles)
        csp = str(app.config.get("HESABU_CSP") or "")
        if origin not in csp:
            app.config["HESABU_CSP"] = csp.replace("img-src 'self'", f"img-src 'self' {origin}", 1)


def tile_origin(template: str) -> str:
    """The CSP source of a tile URL template: "https://{s}.tile.example.org/{z}/..." ->
    "https://*.tile.example.org". Raises ValueError for a template that is not http(s)."""
    parts = urlsplit(template)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"HESABU_MAP_TILES must be an http(s) URL template, not {template!r}")
    host = re.sub(r"\{[^}]*\}", "*", parts.netloc)
    return f"{parts.scheme}://{host}"


def tile_settings(config: dict[str, Any]) -> dict[str, str]:
    """{"url", "attribution"} of the configured tiles ("" when there are none)."""
    return {"url": str(config.get("HESABU_MAP_TILES") or "").strip(),
            "attribution": str(config.get("HESABU_MAP_ATTRIBUTION") or "").strip()}


def _ring(boundary: Iterable[Iterable[float]]) -> list[list[float]]:
    ring = [[float(lon), float(lat)] for lon, lat in boundary]
    if ring and ring[0] != ring[-1]:
        ring.append(list(ring[0]))
    return ring


def settlement_features(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """A polygon (boundary) and a point per settlement that has them."""
    features = []
    for row in rows:
        props = {"kind": "settlement", "id": row["settlement_id"],
                 "name": row.get("name") or "", "city": row.get("city") or "",
                 "threat": row.get("eviction_threat_current") == "yes"}
        ring = _ring(row.get("boundary") or ())
        if len(ring) >= 4:
            features.append({"type": "Feature", "properties": {**props, "kind": "boundary"},
                             "geometry": {"type": "Polygon", "coordinates": [ring]}})
        if row.get("lon") is not None and row.get("lat") is not None:
            features.append({"type": "Feature", "properties": props,
                             "geometry": {"type": "Point",
                                          "coordinates": [row["lon"], row["lat"]]}})
    return features


def structure_features(session: Session, settlement_ids: list[str], limit: int
                       ) -> tuple[list[dict[str, Any]], bool]:
    """Points of the structures of these settlements (at most `limit`), and whether
    some were left out."""
    if not settlement_ids:
        return [], False
    query = (select(StructureFacts.structure_id, StructureFacts.settlement_id,
                    StructureFacts.structure_use, StructureFacts.lon, StructureFacts.lat)
             .where(StructureFacts.settlement_id.in_(settlement_ids),
                    StructureFacts.lon.is_not(None), StructureFacts.lat.is_not(None))
             .order_by(StructureFacts.structure_id).limit(limit + 1))
    rows = session.connection().execute(query).all()
    features = [{"type": "Feature",
                 "properties": {"kind": "structure", "id": sid, "settlement_id": settlement,
                                "use": use or ""},
                 "geometry": {"type": "Point", "coordinates": [lon, lat]}}
                for sid, settlement, use, lon, lat in rows[:limit]]
    return features, len(rows) > limit


def map_features(viewer: Viewer, filters: Filters, limit: int = MAX_STRUCTURES,
                 session: Session | None = None) -> dict[str, Any]:
    """The map of the settlements `viewer` may see that match `filters`, as a GeoJSON
    FeatureCollection; structure points only for viewers who may see household data."""
    session = session or db.session
    rows = list_settlements(viewer, filters, session=session)
    # A map draws features in order: boundaries, then structures, then settlement points
    # on top, so each can be clicked.
    settlements = settlement_features(rows)
    found: dict[str, Any] = {"type": "FeatureCollection", "features": [
        f for f in settlements if f["properties"]["kind"] == "boundary"]}
    if not viewer.aggregates_only:
        structures, left_out = structure_features(
            session, [r["settlement_id"] for r in rows], limit)
        found["features"] += structures
        found["structures_left_out"] = left_out
    found["features"] += [f for f in settlements if f["properties"]["kind"] == "settlement"]
    session.rollback()
    return found
