"""Published form versions: immutable FormSpec JSON, the versions ops may be written in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import UtcDateTime, utcnow


class FormVersion(db.Model):
    __tablename__ = "form_versions"

    form_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    #: Position in the change feed, so devices pull new forms like any other change.
    server_seq: Mapped[int] = mapped_column(BigInteger, unique=True)
