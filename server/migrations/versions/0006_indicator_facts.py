"""Indicator facts: flat numbers derived from records for settlement and city profiles.

Revision ID: 0006
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "facts_watermark",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facts_watermark")),
    )
    op.create_table(
        "settlement_facts",
        sa.Column("settlement_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=200), nullable=True),
        sa.Column("country", sa.String(length=100), nullable=True),
        sa.Column("federation", sa.String(length=200), nullable=True),
        sa.Column("legal_status", sa.String(length=100), nullable=True),
        sa.Column("eviction_threat", sa.String(length=20), nullable=True),
        sa.Column("population", sa.Float(), nullable=True),
        sa.Column("households", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("boundary", sa.JSON(), nullable=True),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("server_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("settlement_id", name=op.f("pk_settlement_facts")),
    )
    op.create_index(op.f("ix_settlement_facts_city"), "settlement_facts", ["city"])
    op.create_table(
        "structure_facts",
        sa.Column("structure_id", sa.String(length=36), nullable=False),
        sa.Column("settlement_id", sa.String(length=36), nullable=True),
        sa.Column("structure_use", sa.String(length=50), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("structure_id", name=op.f("pk_structure_facts")),
    )
    op.create_index(op.f("ix_structure_facts_settlement_id"), "structure_facts",
                    ["settlement_id"])
    op.create_table(
        "household_facts",
        sa.Column("household_id", sa.String(length=36), nullable=False),
        sa.Column("structure_id", sa.String(length=36), nullable=True),
        sa.Column("consented", sa.Boolean(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=True),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in (
            "males", "females", "sex_other", "age_0_4", "age_5_17", "age_18_59",
            "age_60_plus", "age_unknown")],
        *[sa.Column(name, sa.String(length=length), nullable=True) for name, length in (
            ("tenure", 50), ("water_source", 50), ("toilet", 50), ("electricity", 50),
            ("savings_member", 20))],
        sa.Column("monthly_rent", sa.Float(), nullable=True),
        sa.Column("water_cost_month", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("household_id", name=op.f("pk_household_facts")),
    )
    op.create_index(op.f("ix_household_facts_structure_id"), "household_facts",
                    ["structure_id"])
    op.create_table(
        "settlement_enumeration",
        sa.Column("settlement_id", sa.String(length=36), nullable=False),
        sa.Column("structures", sa.Integer(), nullable=False),
        sa.Column("totals", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("settlement_id", name=op.f("pk_settlement_enumeration")),
    )
    op.execute(sa.text("INSERT INTO facts_watermark (id, seq) VALUES (1, 0)"))


def downgrade() -> None:
    op.drop_table("settlement_enumeration")
    op.drop_index(op.f("ix_household_facts_structure_id"), table_name="household_facts")
    op.drop_table("household_facts")
    op.drop_index(op.f("ix_structure_facts_settlement_id"), table_name="structure_facts")
    op.drop_table("structure_facts")
    op.drop_index(op.f("ix_settlement_facts_city"), table_name="settlement_facts")
    op.drop_table("settlement_facts")
    op.drop_table("facts_watermark")
