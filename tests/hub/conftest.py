"""Hub tests: a central server (SQLite or PostgreSQL), an office hub on SQLite between
it and the tablets, all live on loopback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bundles"))

from harness import central, central_url, close_app, enrolment_code, make_server, serving

from server.services.hub import allow_relay, link_hub

__all__ = ["central", "central_url", "hub"]


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
    close_app(app)
