"""Server fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL must be reachable at 127.0.0.1:5432 (user postgres, trust auth; CI starts
it). If it is not, these tests fail: a server that was only tested on SQLite is not
tested for production.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pg_databases
import pytest
from flask import Flask
from kyc_data import load_kyc
from personas import People, make_personas
from server_harness import Device, LiveServer, enrol_device, publish_test_form, wipe

from server.app import create_app
from server.extensions import db
from server.services.pull_ahead import settle

#: The test module's database: a SQLite file, then a PostgreSQL database.
db_url = pg_databases.db_url


@pytest.fixture
def make_app(db_url: str, tmp_path: Path) -> Iterator[Any]:
    """Build apps on this module's database; tables are emptied after the test."""
    apps: list[Flask] = []

    def build(**config: Any) -> Flask:
        app = create_app({"SQLALCHEMY_DATABASE_URI": db_url,
                          "INSTANCE_PATH": str(tmp_path / "instance"),
                          "HESABU_SQLITE_STRICT_WRITES": True, **config})
        apps.append(app)
        return app

    yield build
    for app in apps:
        assert settle(app), "a pull page made ahead did not finish"
        with app.app_context():
            db.session.remove()
    if apps:
        with apps[0].app_context():
            wipe()
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app()


@pytest.fixture
def live(app: Flask) -> Iterator[LiveServer]:
    """The app behind a real HTTP server on a loopback port."""
    server = LiveServer(app)
    yield server
    server.close()


@pytest.fixture
def form(app: Flask) -> tuple[str, str]:
    """A published form ("household", "1")."""
    return publish_test_form(app)


@pytest.fixture
def people(app: Flask, request: pytest.FixtureRequest) -> People:
    """The personas (personas.py): two federations with their admins, leaders, officials
    and enumerators, logged in, and the enumerators' tablets. In a module or test marked
    `kyc_records`, with the SDI test records of both federations (kyc_data.py) too."""
    people = make_personas(app)
    if request.node.get_closest_marker("kyc_records"):
        load_kyc(app, people.federation_a, people.federation_b)
    return people


@pytest.fixture
def tablet(app: Flask) -> Device:
    """Persona: Amina's enrolled tablet."""
    return enrol_device(app, "tab-amina", "Amina's tablet")


@pytest.fixture
def other_tablet(app: Flask) -> Device:
    """Persona: Baraka's enrolled tablet."""
    return enrol_device(app, "tab-baraka", "Baraka's tablet")
