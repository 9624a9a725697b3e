"""Bundle tests: the central server on SQLite and on PostgreSQL, tablets as real stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import make_server, publish_test_form, serving, wipe
from pg_databases import create_pg_database, drop_pg_database

from server.extensions import db


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


@pytest.fixture
def central(central_url: str, tmp_path: Path) -> Iterator[tuple]:
    """(app, url): the central server, live on loopback, with the form household v1."""
    app = make_server(central_url, tmp_path / "central")
    publish_test_form(app)
    with serving(app) as url:
        yield app, url
    with app.app_context():
        wipe()
        db.session.remove()
        db.engine.dispose()
