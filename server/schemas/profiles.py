"""Query parameters and answers of the profile and export endpoints."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.schemas.values import Text

_SHORT = validate.Length(min=1, max=200)


class SettlementFilterSchema(Schema):
    """Filters of the settlements list and of settlement profile downloads."""

    city = Text(load_default=None, validate=_SHORT,
                metadata={"description": "city name, any case"})
    federation_id = Text(load_default=None, validate=validate.Length(max=36))
    eviction_threat = Text(load_default=None, validate=validate.OneOf(["yes", "no"]),
                           metadata={"description": "current eviction threat"})
    legal_status = Text(load_default=None, validate=validate.OneOf([
        "declared_legal_protected", "undeclared_illegal_unprotected", "resettled"]))
    q = Text(load_default=None, validate=_SHORT,
             metadata={"description": "part of a settlement or city name"})


_HEADERS = {"load_default": "names", "validate": validate.OneOf(["names", "labels"]),
            "metadata": {"description": "CSV/XLSX header: column names, stable for "
                         "programs (default), or readable labels in your language"}}


class SettlementExportQuerySchema(SettlementFilterSchema):
    headers = Text(**_HEADERS)
    geometry = Text(load_default="point",
                    validate=validate.OneOf(["point", "boundary"]),
                    metadata={"description": "GeoJSON: settlement point or "
                              "boundary polygon (falls back to the point)"})


class CityExportQuerySchema(Schema):
    headers = Text(**_HEADERS)
    city = Text(load_default=None, validate=_SHORT,
                metadata={"description": "one city only"})


class RecordExportQuerySchema(Schema):
    headers = Text(**_HEADERS)
    settlement_id = Text(load_default=None, validate=validate.Length(min=1, max=36),
                         metadata={"description": "one settlement only"})


class SettlementSummarySchema(Schema):
    """One row of the settlements list: place and headline indicators."""

    settlement_id = fields.String()
    name = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    federation = fields.String(allow_none=True)
    federation_id = fields.String(allow_none=True)
    profile_date = fields.String(allow_none=True)
    lon = fields.Float(allow_none=True)
    lat = fields.Float(allow_none=True)
    boundary = fields.List(fields.List(fields.Float()), allow_none=True,
                           metadata={"description": "closed ring of [lon, lat]"})
    population = fields.Float(allow_none=True)
    households = fields.Float(allow_none=True)
    structures = fields.Float(allow_none=True)
    area_ha = fields.Float(allow_none=True)
    density_per_ha = fields.Float(allow_none=True)
    density_per_km2 = fields.Float(allow_none=True)
    people_per_working_toilet_seat = fields.Float(allow_none=True)
    people_per_working_tap = fields.Float(allow_none=True)
    electricity_households_pct = fields.Float(allow_none=True)
    water_cost_month = fields.Float(allow_none=True)
    garbage_collections_per_week = fields.Float(allow_none=True)
    clinic_minutes = fields.Float(allow_none=True)
    hospital_minutes = fields.Float(allow_none=True)
    savings_groups = fields.Float(allow_none=True)
    legal_status = fields.String(allow_none=True)
    eviction_threat_current = fields.String(allow_none=True)


class SettlementListSchema(Schema):
    settlements = fields.List(fields.Nested(SettlementSummarySchema))


class ComparisonSchema(Schema):
    quantity = fields.String()
    reported = fields.Float(allow_none=True, metadata={"description": "settlement profile"})
    enumerated = fields.Float(allow_none=True, metadata={"description": "household records"})
    difference_pct = fields.Float(allow_none=True,
                                  metadata={"description": "(enumerated - reported) / "
                                            "reported x 100, for counts and amounts "
                                            "(null for percentages)"})
    difference_points = fields.Float(allow_none=True,
                                     metadata={"description": "enumerated - reported in "
                                               "percentage points, for percentages (null "
                                               "otherwise)"})


class SettlementProfileSchema(Schema):
    """A settlement profile: profile-reported indicators beside enumeration figures
    (docs/indicators.md). Officials get suppressed values as null, named in
    enumeration.suppressed."""

    settlement_id = fields.String()
    name = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    federation = fields.String(allow_none=True)
    federation_id = fields.String(allow_none=True)
    lon = fields.Float(allow_none=True)
    lat = fields.Float(allow_none=True)
    boundary = fields.List(fields.List(fields.Float()), allow_none=True)
    profile = fields.Dict(metadata={"description": "indicators from the settlement profile"})
    enumeration = fields.Dict(metadata={"description": "figures from household records"})
    comparison = fields.List(fields.Nested(ComparisonSchema))


class CitySchema(Schema):
    city = fields.String()
    country = fields.String(allow_none=True)
    settlements = fields.Integer()


class CityListSchema(Schema):
    cities = fields.List(fields.Nested(CitySchema))


class CityProfileSchema(Schema):
    """A KYC city profile: the city profile record's figures (`reported`), figures added
    up from the city's settlement profiles, and from its household records."""

    city = fields.String()
    country = fields.String(allow_none=True)
    reported = fields.Dict(allow_none=True)
    from_settlement_profiles = fields.Dict()
    enumeration = fields.Dict()
    settlements = fields.List(fields.Dict())
