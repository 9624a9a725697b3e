"""Alembic environment: always run from code with a connection (server/migrate.py)."""

from __future__ import annotations

from alembic import context

import server.models  # noqa: F401  (registers every table on the metadata)
from server.extensions import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through server.migrate (hesabu db upgrade)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
