"""The heads of a record's fields live in one JSON column of the record.

One row per field version (field_versions) made storing a household of 50 answers 50
index insertions; the merge only ever needs the current heads, and every version stays
in the ops' payloads. Existing heads are copied into `records.heads`.

Revision ID: 0005
Revises: 0001
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("heads", sa.JSON(), server_default="{}", nullable=False))
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT record_id, path, op_id, hlc, device_id, value FROM field_versions "
                "WHERE is_head = :yes ORDER BY record_id, path, op_id")
        .bindparams(yes=True).columns(value=sa.JSON()))
    heads: dict[str, dict[str, Any]] = {}
    for rid, path, op_id, hlc, device_id, value in rows:
        state = heads.setdefault(rid, {"ops": [], "fields": {}, "index": {}})
        index = state["index"].get(op_id)
        if index is None:
            index = state["index"][op_id] = len(state["ops"])
            state["ops"].append([op_id, hlc, device_id])
        state["fields"].setdefault(path, []).append([index, value])
    update = sa.text("UPDATE records SET heads = :heads WHERE record_id = :rid").bindparams(
        sa.bindparam("heads", type_=sa.JSON()))
    for rid, state in heads.items():
        conn.execute(update, {"rid": rid, "heads": {"ops": state["ops"],
                                                    "fields": state["fields"]}})
    op.drop_index("ix_field_versions_heads", table_name="field_versions")
    op.drop_table("field_versions")


def downgrade() -> None:
    """Recreates field_versions holding the current heads (older versions are in the
    ops' payloads only)."""
    op.create_table(
        "field_versions",
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("op_id", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.String(length=85), nullable=False),
        sa.Column("device_id", sa.String(length=100), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("is_head", sa.Boolean(), nullable=False),
        sa.Column("parents", sa.JSON(), nullable=False),
        sa.Column("server_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("record_id", "path", "op_id", name=op.f("pk_field_versions")),
    )
    op.create_index("ix_field_versions_heads", "field_versions",
                    ["record_id", "path", "is_head"], unique=False)
    conn = op.get_bind()
    insert = sa.text(
        "INSERT INTO field_versions (record_id, path, op_id, hlc, device_id, value, is_head, "
        "parents, server_seq) VALUES (:rid, :path, :op_id, :hlc, :device_id, :value, :yes, "
        "'[]', :seq)").bindparams(sa.bindparam("value", type_=sa.JSON()))
    records = conn.execute(
        sa.text("SELECT record_id, server_seq, heads, fields, deleted FROM records")
        .columns(heads=sa.JSON(), fields=sa.JSON()))
    for rid, seq, heads, fields, deleted in list(records):
        heads = heads or {}
        ops = heads.get("ops", [])
        rows = [(path, index, value) for path, versions in heads.get("fields", {}).items()
                for index, value in versions]
        # "won": fields whose only head is that op; the value is the record's own.
        # "all": one op heads every field of `fields`.
        won = heads.get("won", [])
        if won == "all":
            won = [list(fields or {})]
        rows += [(path, index, bool(deleted) if path == "__deleted__" else fields.get(path))
                 for index, paths in enumerate(won) for path in paths]
        for path, index, value in rows:
            op_id, hlc, device_id = ops[index]
            conn.execute(insert, {"rid": rid, "path": path, "op_id": op_id, "hlc": hlc,
                                  "device_id": device_id, "value": value, "yes": True,
                                  "seq": seq})
    with op.batch_alter_table("records") as batch:
        batch.drop_column("heads")
