"""Enrolled devices and the one-time codes that enrol them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import DEVICE_LEN, UtcDateTime, utcnow


class Device(db.Model):
    """A tablet (or a hub) allowed to sync. Only a hash of its bearer token is kept."""

    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(DEVICE_LEN), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    enrolled_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_seen: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    revoked: Mapped[bool] = mapped_column(default=False)


class EnrolmentCode(db.Model):
    """A one-time code a leader reads out or shows to enrol one device."""

    __tablename__ = "enrolment_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    used_by: Mapped[str | None] = mapped_column(String(DEVICE_LEN), default=None)
