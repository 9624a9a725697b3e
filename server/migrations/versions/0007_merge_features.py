"""Join the feature branches (accounts, bundles and hub, reviews, record heads,
indicator facts) into one line again; new migrations follow this one.

Revision ID: 0007
Revises: 0002a, 0003, 0004, 0005, 0006
Create Date: 2026-11-27 05:15:00
"""

from __future__ import annotations

revision = "0007"
down_revision = ("0002a", "0003", "0004", "0005", "0006")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
