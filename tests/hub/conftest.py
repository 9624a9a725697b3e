"""Hub tests: a central server (SQLite or PostgreSQL), an office hub on SQLite between
it and the tablets, all live on loopback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bundles"))

from harness import (
    enrolment_code,
    make_server,
    publish_test_form,
    serving,
    wipe,
)
from pg_databases import create_pg_database, drop_pg_database

from server.extensions import db
from server.services.hub import allow_relay, link_hub


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def central_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('central') / 'hesabu.db'}"
        return
    name = create_pg_database()
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        drop_pg_database(name)


def _close(app) -> None:
    with app.app_context():
        wipe()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def central(central_url: str, tmp_path: Path) -> Iterator[tuple]:
    app = make_server(central_url, tmp_path / "central", HESABU_RELAY_ONLY_FROM_HUBS=True)
    publish_test_form(app)
    with serving(app) as url:
        yield app, url
    _close(app)


@pytest.fixture
def hub(central, tmp_path: Path) -> Iterator[tuple]:
    """(app, url): a hub on SQLite, linked to `central` and allowed to relay there."""
    central_app, central_link = central
    app = make_server(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path / "hub",
                      HESABU_NODE_ID="hub")
    with app.app_context():
        link_hub(central_link, enrolment_code(central_app), "hub-1", "Kibera office")
    with central_app.app_context():
        allow_relay("hub-1")
    with serving(app) as url:
        yield app, url
    _close(app)
