"""Fresh PostgreSQL databases for tests (trust auth on 127.0.0.1:5432, user postgres)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def create_pg_database() -> str:
    name = f"hesabu_test_{secrets.token_hex(6)}"
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return name


def drop_pg_database(name: str) -> None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def fresh_database_url(kind: str, folder: Path) -> Iterator[str]:
    """Yield the URL of a fresh, empty database of `kind` ("sqlite": a file in `folder`,
    "postgresql": a new database, dropped afterwards): the body of database fixtures."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'hesabu.db'}"
        return
    name = create_pg_database()
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        drop_pg_database(name)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[str]:
    """A fresh, empty database for a test module: a SQLite file or a PostgreSQL db (a
    conftest imports this fixture to run its tests on both)."""
    yield from fresh_database_url(request.param, tmp_path_factory.mktemp("sqlite"))
