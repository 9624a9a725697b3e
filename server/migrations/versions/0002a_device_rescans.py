"""Devices told to pull again from cursor 0 (their person got a new settlement).

Revision ID: 0002a
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002a'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('device_rescans',
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'],
                            name=op.f('fk_device_rescans_device_id_devices')),
    sa.PrimaryKeyConstraint('device_id', name=op.f('pk_device_rescans'))
    )


def downgrade() -> None:
    op.drop_table('device_rescans')
