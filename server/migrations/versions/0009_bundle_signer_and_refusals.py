"""A bundle is identified by its signer and its id (issue 19: the same id signed by
another device was taken for a replay of the genuine bundle), and the ops the server
refused are kept per device, so a leader sees them on the devices page.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The primary key (device_id, bundle_id) starts with the device, so it also serves
    # the "last import of this device" lookup the old index was for.
    with op.batch_alter_table("bundle_imports") as batch:
        batch.drop_index("ix_bundle_imports_device_id")
        batch.drop_constraint("pk_bundle_imports", type_="primary")
        batch.create_primary_key("pk_bundle_imports", ["device_id", "bundle_id"])
    op.create_table(
        "op_refusals",
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("op_id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("retryable", sa.Boolean(), nullable=False),
        sa.Column("upstream", sa.Boolean(), nullable=False),
        sa.Column("refused_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "op_id", name=op.f("pk_op_refusals")),
    )


def downgrade() -> None:
    op.drop_table("op_refusals")
    # The old key holds one import per bundle id: keep the first import of each.
    op.execute("DELETE FROM bundle_imports WHERE EXISTS (SELECT 1 FROM bundle_imports AS b "
               "WHERE b.bundle_id = bundle_imports.bundle_id AND (b.imported_at < "
               "bundle_imports.imported_at OR (b.imported_at = bundle_imports.imported_at "
               "AND b.device_id < bundle_imports.device_id)))")
    with op.batch_alter_table("bundle_imports") as batch:
        batch.drop_constraint("pk_bundle_imports", type_="primary")
        batch.create_primary_key("pk_bundle_imports", ["bundle_id"])
        batch.create_index("ix_bundle_imports_device_id", ["device_id"], unique=False)
