"""The leaders' workbench (issue 16): each person's language for the web pages (NULL:
the browser's), and records ordered by when they were first received (the records
table sorts by it).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("language", sa.String(length=16), nullable=True))
    op.create_index(op.f("ix_records_created_seq"), "records", ["created_seq"])


def downgrade() -> None:
    op.drop_index(op.f("ix_records_created_seq"), table_name="records")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language")
