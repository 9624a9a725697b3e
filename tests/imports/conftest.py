"""Import tests: Kobo and Ona export files of the SDI forms (and of a form with nested
repeats) imported into a server database, SQLite and PostgreSQL."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "openrosa"))
sys.path.append(str(Path(__file__).resolve().parents[2] / "bench"))  # after the project

import pg_databases
from openrosa_site import SDI_FORMS, new_app, sdi_form
from server_harness import wipe

from forms import load_form
from server.extensions import db
from server.services.accounts import create_federation
from server.services.forms import publish_form

#: Household -> members -> illnesses: a repeat in a repeat (and a photo, a point...).
NESTED_FORM = Path(__file__).resolve().parents[1] / "data" / "forms" / \
    "household_enumeration.md"

#: The test module's database: a SQLite file, then a PostgreSQL database.
db_url = pg_databases.db_url




@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    """A server with the SDI forms and the nested-repeat test form, and one federation."""
    app = new_app(db_url, tmp_path / "instance")
    with app.app_context():
        for form_id in SDI_FORMS:
            publish_form(sdi_form(form_id))
        publish_form(load_form(NESTED_FORM))
        create_federation("Nairobi", "Kenya", "Nairobi")
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        wipe()
        db.engine.dispose()
