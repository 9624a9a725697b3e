"""The OpenRosa tests' server: the SDI forms published, two federations and people
who use ODK Collect (used by tests/openrosa/conftest.py and the test modules)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from server_harness import LiveServer, wipe

from forms import load_form
from forms.spec import FormSpec
from server.app import create_app
from server.extensions import db
from server.services.accounts import create_federation, create_user
from server.services.forms import publish_form
from server.services.openrosa_auth import CollectAccess, issue_access

ROOT = Path(__file__).resolve().parents[2]
SDI_FORMS = ("sdi_settlement_profile", "sdi_structure_numbering", "sdi_household_enumeration",
             "sdi_city_profile")


def sdi_form(form_id: str) -> FormSpec:
    return load_form(ROOT / "forms" / "definitions" / f"{form_id}.xlsx")


@dataclass
class Site:
    """A server with the SDI forms and Collect users, live on loopback."""

    app: Flask
    url: str
    amina: CollectAccess       # enumerator, Nairobi federation
    leader: CollectAccess      # leader, Nairobi
    bwalya: CollectAccess      # enumerator, Lusaka federation
    nairobi: str
    lusaka: str

    def ctx(self) -> Any:
        return self.app.app_context()


def make_site(app: Flask, url: str, publish: bool = True) -> Site:
    """Federations, people and their Collect access (and the SDI forms, unless a hub
    receives them from upstream)."""
    with app.app_context():
        for form_id in SDI_FORMS if publish else ():
            publish_form(sdi_form(form_id))
        nairobi = create_federation("Nairobi", "Kenya", "Nairobi").id
        lusaka = create_federation("Lusaka", "Zambia", "Lusaka").id
        for name, role, fed in (("amina", "enumerator", nairobi),
                                ("leader.nairobi", "leader", nairobi),
                                ("bwalya", "enumerator", lusaka),
                                ("official.nairobi", "official", nairobi)):
            create_user(name, "", role, fed, password_hash="not-used")
        accesses = [issue_access(None, n, url) for n in ("amina", "leader.nairobi", "bwalya")]
        db.session.remove()
    return Site(app, url, *accesses, nairobi, lusaka)


def new_app(db_url: str, folder: Path, **config: Any) -> Flask:
    return create_app({"SQLALCHEMY_DATABASE_URI": db_url, "INSTANCE_PATH": str(folder),
                       "SECRET_KEY": "openrosa-tests", **config})


@contextmanager
def running_site(db_url: str, folder: Path, **config: Any) -> Iterator[Site]:
    """A `Site` live on loopback; its tables are emptied afterwards."""
    app = new_app(db_url, folder, **config)
    server = LiveServer(app)
    try:
        yield make_site(app, f"http://127.0.0.1:{server.port}")
    finally:
        server.close()
        with app.app_context():
            db.session.remove()
            wipe()
            db.engine.dispose()
