"""Flat facts derived from records, kept for fast indicators (server.services.indicators).

They are a cache of the records table: `refresh_facts` brings them up to the records'
server sequence; dropping them loses nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import UUID_LEN


class FactsWatermark(db.Model):
    """The records' server_seq up to which the facts tables are current (one row)."""

    __tablename__ = "facts_watermark"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)


class SettlementFacts(db.Model):
    """One settlement profile record: its place, and the profile-reported indicators."""

    __tablename__ = "settlement_facts"

    settlement_id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(200), index=True)
    country: Mapped[str | None] = mapped_column(String(100))
    federation: Mapped[str | None] = mapped_column(String(200))
    legal_status: Mapped[str | None] = mapped_column(String(100))
    eviction_threat: Mapped[str | None] = mapped_column(String(20))
    population: Mapped[float | None] = mapped_column(Float)
    households: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    #: [[lon, lat], ...] closed ring, or None.
    boundary: Mapped[list[Any] | None] = mapped_column(JSON)
    indicators: Mapped[dict[str, Any]] = mapped_column(JSON)
    server_seq: Mapped[int] = mapped_column(BigInteger)


class StructureFacts(db.Model):
    __tablename__ = "structure_facts"

    structure_id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    settlement_id: Mapped[str | None] = mapped_column(String(UUID_LEN), index=True)
    structure_use: Mapped[str | None] = mapped_column(String(50))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)


class HouseholdFacts(db.Model):
    """One household enumeration record as numbers and codes: no names, no phone."""

    __tablename__ = "household_facts"

    household_id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    structure_id: Mapped[str | None] = mapped_column(String(UUID_LEN), index=True)
    consented: Mapped[bool] = mapped_column()
    size: Mapped[int | None] = mapped_column(Integer)
    males: Mapped[int] = mapped_column(Integer)
    females: Mapped[int] = mapped_column(Integer)
    sex_other: Mapped[int] = mapped_column(Integer)
    age_0_4: Mapped[int] = mapped_column(Integer)
    age_5_17: Mapped[int] = mapped_column(Integer)
    age_18_59: Mapped[int] = mapped_column(Integer)
    age_60_plus: Mapped[int] = mapped_column(Integer)
    age_unknown: Mapped[int] = mapped_column(Integer)
    tenure: Mapped[str | None] = mapped_column(String(50))
    water_source: Mapped[str | None] = mapped_column(String(50))
    toilet: Mapped[str | None] = mapped_column(String(50))
    electricity: Mapped[str | None] = mapped_column(String(50))
    savings_member: Mapped[str | None] = mapped_column(String(20))
    monthly_rent: Mapped[float | None] = mapped_column(Float)
    water_cost_month: Mapped[float | None] = mapped_column(Float)


class SettlementEnumeration(db.Model):
    """The household facts of one settlement added up (columns of
    services.indicators.enumeration), recomputed for the settlements a refresh touched."""

    __tablename__ = "settlement_enumeration"

    settlement_id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    structures: Mapped[int] = mapped_column(Integer)
    totals: Mapped[dict[str, Any]] = mapped_column(JSON)
