"""Migration 0010 (issue 17): a database at 0009, as deployed, gains the Collect logins
and the XForm instances received, with their keys and index; the downgrade takes them
away again."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect

from server.migrate import alembic_config, current_revision, head_revision, upgrade

NEW_TABLES = {"collect_logins", "submission_instances"}


def test_0010_adds_collect_logins_and_submission_instances_to_a_0009_database(
        db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        upgrade(engine, "0009")
        assert not set(inspect(engine).get_table_names()) & NEW_TABLES
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        found = inspect(engine)
        assert found.get_pk_constraint("collect_logins")["constrained_columns"] == ["user_id"]
        assert {fk["referred_table"] for fk in found.get_foreign_keys("collect_logins")} == {
            "users", "devices"}
        assert found.get_pk_constraint("submission_instances")["constrained_columns"] == [
            "instance_id"]
        assert {ix["name"]: ix["column_names"]
                for ix in found.get_indexes("submission_instances")} == {
            "ix_submission_instances_record_id": ["record_id"]}
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0009")
        assert not set(inspect(engine).get_table_names()) & NEW_TABLES
    finally:
        engine.dispose()
