"""Migration 0012 (issue 14): a hub's link at 0011, as deployed, keeps working with no
pin (NULL: the upstream's certificate is checked against the authorities); the
downgrade drops the pins and keeps the link."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect, text

from server.migrate import alembic_config, current_revision, head_revision, upgrade


def test_0012_gives_the_hub_link_its_upstream_pins(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        upgrade(engine, "0011")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO hub_link (id, upstream_url, device_id, token, "
                              "push_seq, pull_cursor) VALUES (1, 'https://c.example', "
                              "'hub-1', 't', 5, 7)"))
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert "tls_pins" in {c["name"] for c in inspect(engine).get_columns("hub_link")}
        with engine.begin() as conn:
            assert conn.execute(text("SELECT tls_pins FROM hub_link")).scalar_one() is None
            command.downgrade(alembic_config(conn), "0011")
        assert "tls_pins" not in {c["name"] for c in inspect(engine).get_columns("hub_link")}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT push_seq FROM hub_link")).scalar_one() == 5
    finally:
        engine.dispose()
