"""Tablets for the client tests: a device store enrolled at a test server.

    store = enrolled_tablet(tmp_path, "a", hub)    # hub: FlaskHub or RefServer
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from client.api import SyncApi
from client.transport import HttpTransport
from field_app.core.store import Store, open_store
from field_app.core.sync_runner import enrol


class EnrolmentServer(Protocol):
    """What enrolment needs of a test server (flaskhub.FlaskHub, refserver.RefServer)."""

    @property
    def url(self) -> str: ...

    def new_code(self) -> str: ...


def enrolled_tablet(folder: Path, name: str, server: EnrolmentServer) -> Store:
    """A new device store `<folder>/<name>.db` (device name `name`), enrolled at `server`
    with a fresh code. The caller closes it."""
    store = open_store(folder / f"{name}.db", device_name=name)
    api = SyncApi(HttpTransport(server.url))
    try:
        enrol(store, api, server.new_code())
    finally:
        api.transport.close()
    return store
