"""An office hub keeps the certificate pins of its upstream server (issue 14: `hesabu
hub link --pin` for a central server on `hesabu serve --tls`). NULL: no pin, the
upstream's certificate is checked against the trusted authorities (or it is plain HTTP).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hub_link") as batch:
        batch.add_column(sa.Column("tls_pins", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hub_link") as batch:
        batch.drop_column("tls_pins")
