"""Run the Alembic migrations in server/migrations from code (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from server.extensions import WRITE_LOCK

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: pg_advisory_xact_lock key: several gunicorn workers starting at once upgrade one at a time.
_UPGRADE_LOCK = 0x4E5A_B0_01


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest revision(s). Features may add migrations on parallel branches from the
    same parent; then every head is applied and this names them all, sorted, joined by '+'."""
    return "+".join(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))


def current_revision(engine: Engine) -> str:
    """The revision(s) the database is at, in the same form as `head_revision()`."""
    with engine.connect() as conn:
        return "+".join(sorted(MigrationContext.configure(conn).get_current_heads()))


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Upgrade the database to `revision`; safe to call from several processes at once."""
    with engine.connect().execution_options(**{WRITE_LOCK: True}) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _UPGRADE_LOCK})
        command.upgrade(alembic_config(conn), revision)
