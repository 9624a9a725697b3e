"""People, federations, settlements, who works where, tokens and the audit log.

A federation is one country/city alliance; every user but an admin belongs to one.
Records belong to settlements (`RecordScope`), settlements to federations, and that is
how every page and endpoint decides what a user may see (server/auth, services/scoping).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import UUID_LEN, UtcDateTime, utcnow
from sync.ids import new_uuid7


class Federation(db.Model):
    """An SDI federation: the people who profile the settlements of a city or country."""

    __tablename__ = "federations"

    id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True, default=new_uuid7)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    country: Mapped[str] = mapped_column(String(100), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class User(db.Model):
    """Someone who logs in. `role` is a server.auth.Role value; admins have no federation.

    `failed_logins` and `locked_until` throttle password guessing (services/accounts).
    """

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True, default=new_uuid7)
    federation_id: Mapped[str | None] = mapped_column(
        ForeignKey("federations.id"), default=None, index=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    last_login: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    #: The web's language for this person (server/i18n.LANGUAGES); None: the browser's.
    language: Mapped[str | None] = mapped_column(String(16), default=None)


class Settlement(db.Model):
    """An informal settlement. Its id is its settlement profile's record_id when the
    profile came first, else a new uuid7 (a profile may then take it as record_id)."""

    __tablename__ = "settlements"

    id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True, default=new_uuid7)
    federation_id: Mapped[str] = mapped_column(ForeignKey("federations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Assignment(db.Model):
    """An enumerator works in a settlement: their devices pull its records."""

    __tablename__ = "assignments"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    settlement_id: Mapped[str] = mapped_column(ForeignKey("settlements.id"), primary_key=True,
                                               index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ApiToken(db.Model):
    """A bearer token a script uses to call the JSON API as a user. Only its hash is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True, default=new_uuid7)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_used: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class AuditEvent(db.Model):
    """Who did what, when. `username` is copied so the log reads well after renames."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_federation", "federation_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    user_id: Mapped[str | None] = mapped_column(String(UUID_LEN), default=None)
    username: Mapped[str] = mapped_column(String(100), default="")
    federation_id: Mapped[str | None] = mapped_column(String(UUID_LEN), default=None)
    action: Mapped[str] = mapped_column(String(100), index=True)
    target: Mapped[str] = mapped_column(String(300), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str] = mapped_column(String(64), default="")


class DeviceAccount(db.Model):
    """The user and federation a device works for (set when it enrols with their code)."""

    __tablename__ = "device_accounts"

    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None,
                                                index=True)
    federation_id: Mapped[str | None] = mapped_column(ForeignKey("federations.id"),
                                                      default=None, index=True)


class EnrolmentCodeAccount(db.Model):
    """Whom an enrolment code enrols a device for, and who made the code."""

    __tablename__ = "enrolment_code_accounts"

    code_hash: Mapped[str] = mapped_column(ForeignKey("enrolment_codes.code_hash"),
                                           primary_key=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    federation_id: Mapped[str | None] = mapped_column(ForeignKey("federations.id"),
                                                      default=None)
    created_by: Mapped[str | None] = mapped_column(String(UUID_LEN), default=None)


class RecordScope(db.Model):
    """Which settlement a record belongs to (services/scoping).

    `parent_id` is the record it points at (a household's structure, a structure's
    settlement); `settlement_id` stays NULL until that link can be followed, e.g. a
    household pushed before its structure.
    """

    __tablename__ = "record_scopes"

    record_id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    form_id: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[str | None] = mapped_column(String(UUID_LEN), default=None, index=True)
    settlement_id: Mapped[str | None] = mapped_column(String(UUID_LEN), default=None,
                                                      index=True)



class DeviceRescan(db.Model):
    """A device whose records changed under it (a settlement newly assigned to its
    person): its next pull with a cursor above 0 is told `sync.cursor_invalid`, so it
    pulls again from 0 and receives records its cursor had already passed."""

    __tablename__ = "device_rescans"

    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    reason: Mapped[str] = mapped_column(String(200), default="")
