"""The records table's sort keys (issue 16): each record's answer to a chosen question as
text, folded text and number, indexed per form and question, so sorting or filtering
100,000 records on a question reads a narrow table instead of parsing every record's
JSON (services/record_values, a cache); and
an index of each form's records in arrival order, for its pages and counts.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_values",
        sa.Column("form_id", sa.String(length=100), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=True),
        sa.Column("folded", sa.String(length=200), nullable=True),
        sa.Column("number", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("form_id", "path", "record_id", name=op.f("pk_record_values")),
    )
    for name, columns in (("number", ["form_id", "path", "number", "record_id"]),
                          ("folded", ["form_id", "path", "folded", "record_id"]),
                          ("value", ["form_id", "path", "value"])):
        op.create_index(f"ix_record_values_{name}", "record_values", columns)
    op.create_index("ix_records_form_created", "records",
                    ["form_id", "created_seq", "record_id"])
    op.create_table(
        "record_value_columns",
        sa.Column("form_id", sa.String(length=100), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("form_id", "path", name=op.f("pk_record_value_columns")),
    )


def downgrade() -> None:
    op.drop_table("record_value_columns")
    op.drop_index("ix_records_form_created", table_name="records")
    for name in ("number", "folded", "value"):
        op.drop_index(f"ix_record_values_{name}", table_name="record_values")
    op.drop_table("record_values")
