"""Fixtures for the device store (real SQLite files in a temporary directory) and the
server a tablet syncs with (the real Flask server on loopback, flaskhub.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from field_app.core.store import Store, open_store

if TYPE_CHECKING:
    from flaskhub import FlaskHub


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "device.db"


@pytest.fixture
def store(store_path: Path) -> Iterator[Store]:
    s = open_store(store_path, device_name="tablet-07")
    yield s
    s.close()


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[FlaskHub]:
    """The real server on a loopback port with the test form ("hh", "1") published."""
    from flaskhub import FlaskHub  # the server's modules only for the tests that sync

    h = FlaskHub(tmp_path / "instance")
    yield h
    h.close()
