"""Migration 0011 (issue 16): a database at 0010, as deployed, gains each person's web
language and the index the records table sorts by "submitted"; the downgrade takes them
away again and keeps the users."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect, text

from server.migrate import alembic_config, current_revision, head_revision, upgrade


def test_0011_adds_the_users_language_and_the_records_order(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        upgrade(engine, "0010")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO users (id, username, display_name, role, "
                              "password_hash, active, created_at, failed_logins) VALUES "
                              "('u1', 'neema', 'Neema', 'leader', 'x', true, "
                              "CURRENT_TIMESTAMP, 0)"))
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        found = inspect(engine)
        assert "language" in {c["name"] for c in found.get_columns("users")}
        assert {ix["name"]: ix["column_names"] for ix in found.get_indexes("records")}[
            "ix_records_created_seq"] == ["created_seq"]
        with engine.begin() as conn:
            assert conn.execute(text("SELECT language FROM users")).scalar_one() is None
            conn.execute(text("UPDATE users SET language = 'sw'"))
            command.downgrade(alembic_config(conn), "0010")
        found = inspect(engine)
        assert "language" not in {c["name"] for c in found.get_columns("users")}
        assert "ix_records_created_seq" not in {ix["name"] for ix in found.get_indexes("records")}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT username FROM users")).scalar_one() == "neema"
    finally:
        engine.dispose()
