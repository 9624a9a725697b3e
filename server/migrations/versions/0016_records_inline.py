"""Records' rows kept whole on PostgreSQL (issue 20): `toast_tuple_target` 8160.

A household's record row is about 4 kB (its flat `fields` 2.3 kB, nested `answers` 1.2
kB). Past PostgreSQL's 2 kB threshold the database compressed its JSON on every write,
a sixth of its work storing a push of new households (measured: 1,000 records' COPY 28-30
-> 24-25 ms of the database's CPU), and the push waited for it. With the target at a
page's 8160 bytes, rows up to that size are stored as they come, like SQLite stores
them: the table takes about twice the disk (6,000 households: 13 -> 26 MB), and reading
every record's fields is a fifth faster (nothing to decompress). Bigger rows are still
compressed. Rows stored before keep their form until rewritten; SQLite is left as it is.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

#: A heap page's usable bytes: the largest toast_tuple_target PostgreSQL accepts.
INLINE_TARGET = 8160


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE records SET (toast_tuple_target = {INLINE_TARGET})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE records RESET (toast_tuple_target)")
