"""`create_app(config)`: the server's factory. No import-time globals besides `db`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from server.access_log import install_access_log
from server.api import register_blueprints
from server.api.wire import Int64Converter
from server.errors import register_error_handlers
from server.extensions import (
    DEFAULT_SQLITE_BUSY_TIMEOUT_S,
    db,
    engine_options,
    install_sqlite_hooks,
)
from server.i18n import init_i18n
from server.migrate import upgrade
from server.services.clock import install_clock
from server.services.pull_ahead import init_app as install_pages_ahead
from server.web import register_web

#: Settings and their defaults; any of them can be passed to create_app.
DEFAULTS: dict[str, Any] = {
    # Bytes of one request body, before and after gzip (a push batch, an attachment chunk).
    "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
    "HESABU_MAX_OPS_PER_BATCH": 1000,
    "HESABU_MAX_PULL_LIMIT": 1000,
    "HESABU_DEFAULT_PULL_LIMIT": 500,
    # Bytes of JSON in a pull page (docs/sync-protocol.md, Pull): the default and the
    # most a client may ask for with `max_bytes`.
    "HESABU_DEFAULT_PULL_BYTES": 2 * 1024 * 1024,
    "HESABU_MAX_PULL_BYTES": 16 * 1024 * 1024,
    # After a pull page that has more, make the next one while the device stores this
    # one (server/services/pull_ahead.py); False makes every page on request.
    "HESABU_PULL_AHEAD": True,
    # How far an op's HLC may be ahead of the server's clock (default one day).
    "HESABU_MAX_CLOCK_DRIFT_MS": 24 * 60 * 60 * 1000,
    "HESABU_MAX_ATTACHMENT_BYTES": 200 * 1024 * 1024,
    # Upgrade the database to the newest migration when the app starts.
    "HESABU_AUTO_UPGRADE": True,
    "HESABU_ENROLMENT_TTL_HOURS": 24,
    # Wrong enrolment codes one client address may try per window before a 429.
    "HESABU_ENROL_MAX_FAILURES": 10,
    "HESABU_ENROL_WINDOW_S": 15 * 60,
    # The node id in the server's HLC (`server_hlc`); a hub can use its own name.
    "HESABU_NODE_ID": "server",
    # Only devices allowed with `hesabu hub allow` may push ops other devices wrote.
    "HESABU_RELAY_ONLY_FROM_HUBS": True,
    # SQLite: how long a request waits for the write lock before it is a 503.
    "HESABU_SQLITE_BUSY_TIMEOUT_S": DEFAULT_SQLITE_BUSY_TIMEOUT_S,
    # SQLite, for tests: a GET that writes after reading without the write lock (which
    # fails under load) is an error at once.
    "HESABU_SQLITE_STRICT_WRITES": False,
}


def database_url(instance_path: str | os.PathLike[str], config: dict[str, Any]) -> str:
    """The database URL: explicit config, else $HESABU_DATABASE_URL, else instance/hesabu.db."""
    if config.get("SQLALCHEMY_DATABASE_URI"):
        return str(config["SQLALCHEMY_DATABASE_URI"])
    env = os.environ.get("HESABU_DATABASE_URL")
    if env:
        return env
    return f"sqlite:///{Path(instance_path) / 'hesabu.db'}"


def _chosen_instance(given: str | None) -> str | None:
    path = given or os.environ.get("HESABU_INSTANCE_PATH")
    return os.path.abspath(path) if path else None


def instance_folder(given: str | None = None) -> str:
    """The instance folder `create_app` uses: `given`, else $HESABU_INSTANCE_PATH, else
    Flask's `instance/` beside the code (for commands that need it without the app)."""
    return _chosen_instance(given) or Flask("server").instance_path


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the server. `config` may hold INSTANCE_PATH (where the SQLite file and
    attachments live; else $HESABU_INSTANCE_PATH, else `instance/` beside the code) and any key of
    DEFAULTS or Flask's config."""
    config = dict(config or {})
    app = Flask("server", instance_path=_chosen_instance(config.pop("INSTANCE_PATH", None)),
                instance_relative_config=True)
    app.config.update(DEFAULTS)
    app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    uri = database_url(app.instance_path, app.config)
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(
        uri, app.config["HESABU_SQLITE_BUSY_TIMEOUT_S"]))

    db.init_app(app)
    with app.app_context():
        install_sqlite_hooks(db.engine, strict=bool(app.config.get(
            "HESABU_SQLITE_STRICT_WRITES")))
        if app.config["HESABU_AUTO_UPGRADE"]:
            upgrade(db.engine)

    # Validation messages can mix int keys (list positions) and str keys.
    app.json.sort_keys = False  # type: ignore[attr-defined]
    register_error_handlers(app)
    install_clock(app)
    install_pages_ahead(app)
    install_access_log(app)
    init_i18n(app)
    app.url_map.converters["int"] = Int64Converter
    register_blueprints(app)
    register_web(app)
    return app
