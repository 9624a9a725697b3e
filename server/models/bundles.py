"""Bundle keys and imports (USB sync), and the office hub's link to its upstream."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import DEVICE_LEN, UUID_LEN, UtcDateTime, utcnow


class DeviceKey(db.Model):
    """The Ed25519 public key a device registered at enrolment: it signs its bundles."""

    __tablename__ = "device_keys"

    device_id: Mapped[str] = mapped_column(String(DEVICE_LEN), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class BundleImport(db.Model):
    """A device bundle that was imported: importing it again changes nothing.

    A bundle is identified by its signer and its id together: the id is the device's
    own (a UUIDv7 it made), so the same id signed by another device is another bundle,
    never a replay of this one. `cursor` is the device's pull cursor when it wrote the
    bundle (the return bundle starts there); `rejected` are the per-op refusals to send
    back to that device.
    """

    __tablename__ = "bundle_imports"

    device_id: Mapped[str] = mapped_column(String(DEVICE_LEN), primary_key=True)
    bundle_id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    ops: Mapped[int] = mapped_column(Integer)
    attachments: Mapped[int] = mapped_column(Integer)
    cursor: Mapped[int] = mapped_column(BigInteger)
    rejected: Mapped[list[Any]] = mapped_column(JSON)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class RelayDevice(db.Model):
    """On the central server: a device allowed to push ops written by other devices
    (an office hub relaying its tablets). Created with `hesabu hub allow`."""

    __tablename__ = "relay_devices"

    device_id: Mapped[str] = mapped_column(String(DEVICE_LEN), primary_key=True)
    allowed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class HubLink(db.Model):
    """On a hub: its identity at the upstream server and how far it has synced.

    `push_seq` is the hub's own server_seq up to which every op was delivered upstream;
    `pull_cursor` is the upstream's sequence up to which the hub has pulled.
    """

    __tablename__ = "hub_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    upstream_url: Mapped[str] = mapped_column(String(500))
    device_id: Mapped[str] = mapped_column(String(DEVICE_LEN))
    token: Mapped[str] = mapped_column(String(200))
    push_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    pull_cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    last_attempt: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    last_success: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    #: The upstream certificate's pins (sync/pins.py); None: checked against the
    #: trusted authorities instead.
    tls_pins: Mapped[list[str] | None] = mapped_column(JSON, default=None)


class HubUpload(db.Model):
    """On a hub: an attachment already delivered whole to the upstream server."""

    __tablename__ = "hub_uploads"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
