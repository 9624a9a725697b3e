"""Merged record state: records with the heads of their fields, conflicts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import HLC_LEN, PATH_LEN, UUID_LEN, StoredJSON, UtcDateTime, utcnow


class Record(db.Model):
    """One record as the merge currently shows it.

    `fields` are the interim (winning) values by field path, `answers` the same
    unflattened the way the form nests them; `form_version` is that of the record's
    latest op by (hlc, op_id). `heads` is the merge state of every field (the versions
    no received op supersedes; see sync.merge and server.services.apply): one JSON
    value per record, so storing a new record is one row however many answers it has.
    Every version ever written stays in the ops' payloads.
    """

    __tablename__ = "records"
    #: The records table (services/records_table): a form's records newest first, and
    #: their count, from the index alone.
    __table_args__ = (Index("ix_records_form_created", "form_id", "created_seq",
                            "record_id"),)

    record_id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    form_id: Mapped[str] = mapped_column(String(100), index=True)
    form_version: Mapped[str] = mapped_column(String(100))
    latest_hlc: Mapped[str] = mapped_column(String(HLC_LEN))
    latest_op_id: Mapped[str] = mapped_column(String(UUID_LEN))
    #: Text on PostgreSQL (StoredJSON): SQL looks into it through `types.json_of`.
    fields: Mapped[dict[str, Any]] = mapped_column(StoredJSON)
    answers: Mapped[dict[str, Any]] = mapped_column(StoredJSON)
    deleted: Mapped[bool] = mapped_column(default=False)
    created_seq: Mapped[int] = mapped_column(BigInteger, index=True)
    server_seq: Mapped[int] = mapped_column(BigInteger, index=True)
    #: {"ops": [[op_id, hlc, device_id], ...], "fields": {path: [[op index, value], ...]}}
    #: Deferred: only the merge reads it.
    heads: Mapped[dict[str, Any]] = mapped_column(JSON, server_default="{}", deferred=True)


class FieldParent(db.Model):
    """`child_op_id` lists `parent_op_id` as a parent for this field.

    Kept as rows so "has any stored op superseded the incoming one?" is an index
    lookup: an ancestor that arrives after its descendants must not become a head.
    """

    __tablename__ = "field_parents"

    record_id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    path: Mapped[str] = mapped_column(String(PATH_LEN), primary_key=True)
    parent_op_id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    child_op_id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)


class Conflict(db.Model):
    """Heads of one field holding two or more values; open while `resolved_at_seq` is None.

    A conflict is identified by its heads: when the heads change (a third device
    writes concurrently) the old row is closed and a new one opened.
    """

    __tablename__ = "conflicts"
    __table_args__ = (Index("ix_conflicts_open", "record_id", "path", "resolved_at_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(String(UUID_LEN))
    path: Mapped[str] = mapped_column(String(PATH_LEN))
    head_op_ids: Mapped[list[str]] = mapped_column(JSON)
    #: The heads' versions newest first: [{op_id, hlc, device_id, value}, ...].
    versions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    opened_at_seq: Mapped[int] = mapped_column(BigInteger)
    resolved_at_seq: Mapped[int | None] = mapped_column(BigInteger, default=None)
