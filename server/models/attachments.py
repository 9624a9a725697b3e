"""Attachments (photos...): content-addressed, uploaded in resumable chunks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import DEVICE_LEN, UtcDateTime, utcnow

UPLOADING = "uploading"
COMPLETE = "complete"


class Attachment(db.Model):
    """One file by its SHA-256. `received` bytes are in the part file until complete.

    `storage_path` is relative to the instance folder.
    """

    __tablename__ = "attachments"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(20), default=UPLOADING)
    storage_path: Mapped[str] = mapped_column(String(300))
    uploaded_by: Mapped[str] = mapped_column(String(DEVICE_LEN))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
