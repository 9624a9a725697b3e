"""Reviews of records by federation leaders: a state and a comment, in the change feed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import UUID_LEN, UtcDateTime, utcnow

#: Review states a leader can give a record.
APPROVED = "approved"
HAS_ISSUES = "has_issues"
REJECTED = "rejected"
REVIEW_STATES = (APPROVED, HAS_ISSUES, REJECTED)


class Review(db.Model):
    """One review decision. A record's current review state is its newest row; older
    rows stay as its history. `server_seq` puts the review in the pull feed, so the
    comment reaches the devices that see the record."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(String(UUID_LEN), index=True)
    state: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    reviewer: Mapped[str] = mapped_column(String(200))
    reviewed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    server_seq: Mapped[int] = mapped_column(BigInteger, unique=True)
