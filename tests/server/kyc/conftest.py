"""Fixtures shared by the read-only KYC tests in this folder (profiles, pages, exports).

Each test module gets one app holding the personas (personas.py) and the SDI test
records (kyc_data.py), built once per module on each of the module's databases: the
`db_url` fixture of tests/server/conftest.py, so every test here still runs on SQLite
and on PostgreSQL. The `app` fixture below replaces the parent folder's `app` for the
modules in this folder only.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from kyc_data import kyc_world
from personas import People


@pytest.fixture(scope="module")
def world(db_url: str, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[Flask, People]]:
    """One app with the personas and the test records for this module's read-only tests."""
    yield from kyc_world(db_url, tmp_path_factory.mktemp("instance"))


@pytest.fixture
def people(world: tuple[Flask, People]) -> People:
    return world[1]


@pytest.fixture
def app(world: tuple[Flask, People]) -> Flask:
    return world[0]
