"""ODK Collect / Enketo access per person and the XForm instances received
(OpenRosa submissions and imported Kobo/Ona exports), issue 17.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "collect_logins",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("password_sha256", sa.String(length=64), nullable=False),
        sa.Column("digest_ha1", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"],
                                name=op.f("fk_collect_logins_device_id_devices")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_collect_logins_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_collect_logins")),
        sa.UniqueConstraint("device_id", name=op.f("uq_collect_logins_device_id")),
    )
    op.create_table(
        "submission_instances",
        sa.Column("instance_id", sa.String(length=200), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("form_id", sa.String(length=100), nullable=False),
        sa.Column("form_version", sa.String(length=100), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("deprecated_id", sa.String(length=200), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("instance_id", name=op.f("pk_submission_instances")),
    )
    op.create_index(op.f("ix_submission_instances_record_id"), "submission_instances",
                    ["record_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_submission_instances_record_id"),
                  table_name="submission_instances")
    op.drop_table("submission_instances")
    op.drop_table("collect_logins")
