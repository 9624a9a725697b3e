"""Records' flat `fields` as text on PostgreSQL (issue 20).

PostgreSQL's `json` type parses every value it stores: for a push of new households that
was a tenth of the database's work (a household's `fields` is ~2.3 kB; measured: the
database's CPU per 1,000 new households 31 -> 27 ms). The queries that look into
`fields` read it through `models.types.json_of`, which casts the text to `json` there
(one more parse of the value per row read that way; the records table's sort keys are
read once per record and kept). Python reads the same values (`StoredJSON`, as 0015 did
for `answers`). Converting rewrites the `records` table once; the lz4 compression of
0014 is set again on the new column. SQLite is left as it is.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _retype(to: str) -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE records ALTER COLUMN fields TYPE {to} USING CAST(fields AS {to})")
    if conn.execute(sa.text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
                            "WHERE name = 'default_toast_compression'")).scalar():
        op.execute("ALTER TABLE records ALTER COLUMN fields SET COMPRESSION lz4")


def upgrade() -> None:
    _retype("text")


def downgrade() -> None:
    _retype("json")
