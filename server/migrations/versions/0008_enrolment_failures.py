"""Wrong enrolment codes per client address, kept in the database so every worker
process counts together and a restart forgets nothing (the limit was in memory).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enrolment_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment_failures")),
    )
    # The check: one client's failures in the window, newest first.
    op.create_index("ix_enrolment_failures_client", "enrolment_failures",
                    ["client", "failed_at"])
    # The prune: every client's failures older than the window.
    op.create_index(op.f("ix_enrolment_failures_failed_at"), "enrolment_failures",
                    ["failed_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_enrolment_failures_failed_at"), table_name="enrolment_failures")
    op.drop_index("ix_enrolment_failures_client", table_name="enrolment_failures")
    op.drop_table("enrolment_failures")
