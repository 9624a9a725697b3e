"""Enrolled devices and the one-time codes that enrol them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
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


#: Client addresses are kept to this length (an IPv6 address with a zone fits).
CLIENT_LEN = 64


class EnrolmentFailure(db.Model):
    """One wrong enrolment code from a client address (services/devices.GuessLimiter).

    Kept in the database so every worker process and server machine counts together
    and a restart forgets nothing; rows older than the window are pruned as new
    failures come in.
    """

    __tablename__ = "enrolment_failures"
    __table_args__ = (Index("ix_enrolment_failures_client", "client", "failed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client: Mapped[str] = mapped_column(String(CLIENT_LEN))
    failed_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
