"""Hub tests: a central server (SQLite or PostgreSQL), an office hub on SQLite between
it and the tablets, all live on loopback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bundles"))

from harness import central, central_url, linked_hub

__all__ = ["central", "central_url", "hub"]


@pytest.fixture
def hub(central, tmp_path: Path) -> Iterator[tuple]:
    """(app, url): a hub on SQLite, linked to `central` and allowed to relay there."""
    yield from linked_hub(central, tmp_path, "hub-1", "Kibera office", allowed=True)
