"""Answers of records as sortable keys, for the records table (a cache of `records`).

`record_values` holds, per form and question path, each record's answer as text (and
folded: lower case, no accents) and as a number when it is one, indexed so that a page
of 100,000 records sorted or filtered on a question reads this narrow table instead of
parsing every record's JSON. `record_value_columns` says which (form, path) are kept and up to
which server sequence (services/record_values). Dropping both loses nothing.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import PATH_LEN, UUID_LEN

#: Characters of an answer kept for sorting and filtering.
VALUE_LEN = 200


class RecordValue(db.Model):
    """One record's answer to one question of the records table's columns."""

    __tablename__ = "record_values"
    __table_args__ = (
        # A sort on a question reads these in order (ties by record id) and stops at
        # the page (services/records_table._ids_by_question).
        Index("ix_record_values_number", "form_id", "path", "number", "record_id"),
        Index("ix_record_values_folded", "form_id", "path", "folded", "record_id"),
        Index("ix_record_values_value", "form_id", "path", "value"),
    )

    form_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    path: Mapped[str] = mapped_column(String(PATH_LEN), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    #: The answer as text (several choices: " a b ", so a choice is " a " inside it).
    value: Mapped[str | None] = mapped_column(String(VALUE_LEN))
    #: The same in lower case without accents (services/text_fold), for sort and search.
    folded: Mapped[str | None] = mapped_column(String(VALUE_LEN))
    number: Mapped[float | None] = mapped_column(Float)


class RecordValueColumn(db.Model):
    """A (form, path) kept in `record_values`, current up to `seq` (records.server_seq)."""

    __tablename__ = "record_value_columns"

    form_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    path: Mapped[str] = mapped_column(String(PATH_LEN), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
