"""ODK Collect / Kobo Collect / Enketo access and the XForm instances received
(services/openrosa_auth.py, services/openrosa_submissions.py, docs/openrosa.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import DEVICE_LEN, UUID_LEN, UtcDateTime, utcnow

#: Longest meta/instanceID kept (forms.submission.MAX_INSTANCE_ID).
INSTANCE_ID_LEN = 200


class CollectLogin(db.Model):
    """A person's access for an OpenRosa client. Their submissions are written as the
    device `device_id` (bound to them in `device_accounts`, so roles, assignments and
    federation scoping are a tablet's); the device's bearer token is the token of the
    server URL `/key/<token>`. The password is random, so a SHA-256 is enough for Basic
    authentication; Digest needs HA1 = MD5(username:realm:password)."""

    __tablename__ = "collect_logins"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), unique=True)
    password_sha256: Mapped[str] = mapped_column(String(64))
    digest_ha1: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(UUID_LEN), default=None)


class SubmissionInstance(db.Model):
    """An XForm instance that became (part of) a record: an OpenRosa submission or a
    row of an imported Kobo/Ona export, by its meta/instanceID.

    `fields` are the instance's answers as flat fields (repeat instances with the ids
    they were given); `versions` says which op holds each field's version as this
    instance has it: `{"op": <op id>, "from": {path: <op id>}}`, paths not in `from`
    being the instance's own op's. An edit (meta/deprecatedID) is compared with the
    instance it replaces and names those versions as the parents of what it changes.
    `files` maps the attachment file names received for it to their SHA-256.
    """

    __tablename__ = "submission_instances"

    instance_id: Mapped[str] = mapped_column(String(INSTANCE_ID_LEN), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(UUID_LEN), index=True)
    form_id: Mapped[str] = mapped_column(String(100))
    form_version: Mapped[str] = mapped_column(String(100))
    device_id: Mapped[str] = mapped_column(String(DEVICE_LEN))
    source: Mapped[str] = mapped_column(String(20))
    deprecated_id: Mapped[str | None] = mapped_column(String(INSTANCE_ID_LEN), default=None)
    digest: Mapped[str] = mapped_column(String(64))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    versions: Mapped[dict[str, Any]] = mapped_column(JSON)
    files: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
