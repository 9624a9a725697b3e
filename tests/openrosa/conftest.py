"""OpenRosa tests: the real server on loopback, on SQLite and on PostgreSQL, with the SDI
forms published, two federations and people who use ODK Collect (openrosa_site.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

import pg_databases
from openrosa_site import Site, running_site

#: The test module's database: a SQLite file, then a PostgreSQL database.
db_url = pg_databases.db_url


@pytest.fixture
def site_config() -> dict[str, Any]:
    """Extra server settings for `site` (a test module may override it)."""
    return {}


@pytest.fixture
def site(db_url: str, tmp_path: Path, site_config: dict[str, Any]) -> Iterator[Site]:
    with running_site(db_url, tmp_path / "instance", **site_config) as live:
        yield live
