"""Cheaper storage of pushed households on PostgreSQL (issue 20): the large JSON columns
(records' fields, answers and heads, ops' payloads) are compressed with lz4 instead of
PostgreSQL's default pglz when they pass the 2 kB TOAST threshold. pglz was most of the
database server's CPU in a push of new households; lz4 compresses several times faster
for about the same size. Values already stored keep their compression until rewritten.
Servers built without lz4, and SQLite, are left as they are.

The same revision allows the heads form "all+deleted" (services/apply.encode_heads: one
op heads every field and the tombstone field, as tablets send a new household); the
downgrade lists those heads again, as code before it expects.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

#: (table, column) compressed with lz4.
COLUMNS = (("records", "fields"), ("records", "answers"), ("records", "heads"),
           ("ops", "payload"))


def _lz4_available(conn: sa.Connection) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    return bool(conn.execute(sa.text(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
        "WHERE name = 'default_toast_compression'")).scalar())


def _set_compression(method: str) -> None:
    for table, column in COLUMNS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {method}")


def upgrade() -> None:
    if _lz4_available(op.get_bind()):
        _set_compression("lz4")


def downgrade() -> None:
    conn = op.get_bind()
    if _lz4_available(conn):
        _set_compression("DEFAULT")
    records = conn.execute(sa.text(
        "SELECT record_id, heads, fields FROM records "
        "WHERE CAST(heads AS TEXT) LIKE '%all+deleted%'")
        .columns(heads=sa.JSON(), fields=sa.JSON()))
    update = sa.text("UPDATE records SET heads = :heads WHERE record_id = :rid")
    for rid, heads, fields in list(records):
        if heads and heads.get("won") == "all+deleted":
            listed = {**heads, "won": [[*(fields or {}), "__deleted__"]]}
            conn.execute(update, {"rid": rid, "heads": json.dumps(listed)})
