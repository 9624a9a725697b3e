"""Ops' payloads and records' nested answers as `text` on PostgreSQL (issue 20).

PostgreSQL's `json` type parses every value it stores. No SQL looks into these two
columns (a record's flat `fields` is the one queried), so they are kept as text: the
database stores a push of new households with a tenth less work, and Python reads the
same values (models.types.StoredJSON). Converting rewrites both tables once. The lz4
compression of 0014 is set again on the new columns. SQLite is left as it is.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

#: (table, column) kept as text.
COLUMNS = (("records", "answers"), ("ops", "payload"))


def _lz4_available(conn: sa.Connection) -> bool:
    return bool(conn.execute(sa.text(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
        "WHERE name = 'default_toast_compression'")).scalar())


def _retype(to: str) -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    lz4 = _lz4_available(conn)
    for table, column in COLUMNS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {to} "
                   f"USING CAST({column} AS {to})")
        if lz4:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION lz4")


def upgrade() -> None:
    _retype("text")


def downgrade() -> None:
    _retype("json")
