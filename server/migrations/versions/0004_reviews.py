"""Reviews of records (approved / has issues / rejected, with a comment).

Revision ID: 0004
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reviews',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('reviewer', sa.String(length=200), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('server_seq', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('server_seq', name=op.f('uq_reviews_server_seq'))
    )
    op.create_index(op.f('ix_reviews_record_id'), 'reviews', ['record_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_reviews_record_id'), table_name='reviews')
    op.drop_table('reviews')
